"""Clipping files on disk: finding them, reading and checking each, then across them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

from digest.content.files import markdown_files
from digest.core.across import corpus_problems
from digest.core.frontmatter import FrontMatter, decode, parse, read_file
from digest.core.model import Clipping
from digest.core.rules import validate
from digest.core.schema import _INTERNAL, Result, link_problem, link_targets
from digest.errors import FrontMatterError, Problem


def validate_file(path: Path, root: Path | None = None, display: str | None = None,
                  today: dt.date | None = None, data: bytes | None = None,
                  rel: str | None = None) -> Result:
    """Read and validate one clipping file; `root` is the clippings folder it should live in.

    `data`, when given, is the file's content already read (the build hashes it too); `rel`,
    its path below `root` with `/` (the build has it from its listing).
    """
    display = display or str(path)
    try:
        if data is None:
            fm = read_file(path, display)
        else:
            fm = parse(decode(data, display), display)
    except FrontMatterError as exc:
        return Result(None, [exc.problem])
    where = PurePosixPath(rel) if rel is not None else None
    if root is not None and where is None:
        try:
            where = PurePosixPath(Path(path).resolve().relative_to(Path(root).resolve())
                                  .as_posix())
        except ValueError:
            where = PurePosixPath(Path(path).name)
    result = validate(fm, rel=where, today=today)
    if root is not None:
        result.problems.extend(_missing_targets(fm, Path(path), Path(root).parent))
        if result.clipping is not None and any(p.is_error for p in result.problems):
            result.clipping = None
    return result


def _missing_targets(fm: FrontMatter, path: Path, content: Path) -> list[Problem]:
    """`{filename}`, `{static}` and `{attach}` links whose target does not exist."""
    problems = []
    for match in link_targets(fm.body):
        internal = _INTERNAL.match(match.group(1))
        if not internal or link_problem(match.group(1)):
            continue
        kind, rest = internal.groups()
        target = rest.split("#", 1)[0].split("?", 1)[0]
        base = content if target.startswith("/") else path.parent
        if not target or not (base / target.lstrip("/")).is_file():
            line = fm.body_line + fm.body.count("\n", 0, match.start(1))
            problems.append(Problem(fm.path, line, f"link '{match.group(1)}' points to a file "
                                    f"that does not exist under content/"))
    return problems


def find_clippings(paths: list[Path]) -> list[Path]:
    """Every `.md` file under the given files and folders, sorted."""
    found: set[Path] = set()
    for p in paths:
        if p.is_dir():
            found.update(Path(f) for f in markdown_files(p))
        else:
            found.add(p)
    return sorted(found)


def check_paths(paths: list[Path], clippings_root: Path, display=str,
                today: dt.date | None = None) -> tuple[list[Clipping], list[Problem]]:
    """Validate every clipping under `paths`, then across them; every problem, sorted by file."""
    files = find_clippings(paths)
    clippings: list[Clipping] = []
    problems: list[Problem] = []
    for path in files:
        result = validate_file(path, clippings_root, display(path), today)
        problems.extend(result.problems)
        if result.clipping is not None:
            clippings.append(result.clipping)
    shown = {display(p): p for p in files}
    problems.extend(corpus_problems(clippings, list(shown),
                                    line_of=lambda path, key: field_line(shown[path], key)))
    return clippings, sorted(problems, key=lambda p: (p.path, p.line or 0))


def field_line(path: Path | str, key: str) -> int | None:
    """The line of the front-matter field `key` in the clipping file at `path` (None when
    it is not there, or the file cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if number > 1 and line.rstrip() == "---":
                    return None
                if line.startswith(key + ":"):
                    return number
    except OSError:
        pass
    return None
