"""`digest check --fix`: aliases rewritten to canonical names in place, and nothing else."""

from __future__ import annotations

import os
import re
from pathlib import Path

from digest.core.frontmatter import parse, read_file
from digest.core.gazetteer import load_gazetteer
from digest.core.registry import load_registry
from digest.errors import FrontMatterError


def _replace_once(line: str, old: str, new: str, after: int = 0) -> str:
    pattern = re.compile(rf"(?<![\w]){re.escape(old)}(?![\w])")
    match = pattern.search(line, after)
    if not match:
        return line
    return line[: match.start()] + new + line[match.end():]


def fix_file(path: Path, display: str | None = None) -> list[str]:
    """Rewrite aliases (countries, regions, outlet) to canonical names in place, nothing else.

    Returns a description of each change. The file keeps its layout, line endings and BOM;
    it is replaced atomically, and only when the result still parses.
    """
    display = display or str(path)
    raw = Path(path).read_bytes()
    fm = read_file(path, display)
    gz, reg = load_gazetteer(), load_registry()
    text = raw.decode("utf-8")
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    changes: list[str] = []
    for key in ("countries", "regions"):
        values = fm.fields.get(key)
        if not isinstance(values, list):
            continue
        for item, line in zip(values, fm.item_lines.get(key, ())):
            match = gz.resolve(item.strip())
            if match and match.how == "alias" and item.strip() != match.entity.name:
                idx = line - 1
                start = lines[idx].find(":") + 1 if lines[idx].lstrip().startswith(key) else 0
                new_line = _replace_once(lines[idx], item.strip(), match.entity.name, start)
                if new_line != lines[idx]:
                    lines[idx] = new_line
                    changes.append(f"{display}:{line}: {item.strip()} → {match.entity.name}")
    source = fm.fields.get("source")
    if isinstance(source, str) and source.strip():
        match = reg.resolve(source.strip())
        if match and match.how == "alias":
            idx = fm.line("source") - 1
            start = lines[idx].find(":") + 1
            new_line = _replace_once(lines[idx], source.strip(), match.source.name, start)
            if new_line != lines[idx]:
                lines[idx] = new_line
                changes.append(f"{display}:{idx + 1}: {source.strip()} → {match.source.name}")
    if not changes:
        return []
    new_text = "\n".join(lines)
    try:
        parse(new_text, display)
    except FrontMatterError:
        return []  # the name needs quoting in this file: leave it for a person
    out = ("\ufeff" if bom else "") + (new_text.replace("\n", "\r\n") if crlf else new_text)
    tmp = Path(path).with_name(f".{Path(path).name}.fix")
    tmp.write_bytes(out.encode("utf-8"))
    os.replace(tmp, path)
    return changes
