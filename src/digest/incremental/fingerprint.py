"""What a build depends on besides the clippings, as hashes: the code and the libraries that
shape its pages, the gazetteer and the registry, the settings, the theme and the pages."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from digest.core.tables import tables_fingerprint
from digest.project import Project


def code_files() -> list[Path]:
    """The digest's own files a build depends on: every module and packaged table."""
    package = Path(__file__).resolve().parents[1]  # the digest package
    return [path for path in sorted(package.rglob("*"))
            if path.suffix in (".py", ".txt", ".yml", ".yaml", ".json") and path.is_file()]


def code_fingerprint(tables: str | None = None) -> str:
    """A hash of the digest's code, of the libraries that shape its pages and of the tables
    of the gazetteer and the registry (`tables`: their fingerprint, `core.tables`): a
    clipping's check depends on all of them."""
    from importlib.metadata import (
        version,  # (deferred: 25 ms, and only a build needs it)
    )

    h = hashlib.sha256(f"tables={tables or tables_fingerprint()}\0".encode())
    package = Path(__file__).resolve().parents[1]
    for path in code_files():
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for lib in ("pelican", "jinja2", "markdown", "nh3", "feedgenerator", "pycountry"):
        h.update(f"{lib}={version(lib)}".encode())
    return h.hexdigest()


def site_key(project: Project, settings: dict[str, Any], code: str, production: bool) -> str:
    """What every page depends on besides the clippings, the notes (which the build plan
    follows itself) and the weeks' introductions (in their weeks' signatures): code,
    settings, theme, other content."""
    h = hashlib.sha256(f"{code}\0{production}\0".encode())
    relevant = {k: v for k, v in settings.items() if k != "OUTPUT_PATH"}
    h.update(json.dumps(relevant, sort_keys=True, default=_describe).encode())
    theme = Path(settings["THEME"])
    for folder, prefix in ((theme, "theme"), (project.content, "content")):
        files = []
        for root, dirs, names in os.walk(folder):
            if prefix == "content" and Path(root) == project.content:
                dirs[:] = [d for d in dirs if d not in (project.clippings.name, "notes", "weekly")]
            files.extend(os.path.join(root, n) for n in names)
        for path in sorted(files):
            h.update(f"{prefix}/{os.path.relpath(path, folder)}\0".encode())
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def _describe(value: Any) -> str:
    """A stable description of a setting JSON cannot hold (a function, a class, an object)."""
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return f"<{getattr(value, '__module__', '')}.{name}>"


def output_id(output: Path) -> str:
    """The identity of the output folder (a cold build swaps in a new one)."""
    try:
        st = output.stat()
    except OSError:
        return ""
    return f"{st.st_dev}:{st.st_ino}"
