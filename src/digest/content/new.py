"""Write a new clipping file from fields (`digest new`): a unique slug, never an overwrite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath

from digest.content.check import find_clippings
from digest.core.frontmatter import dump, parse
from digest.core.model import Clipping, headline_slug, numbered_slug
from digest.core.rules import validate
from digest.core.schema import normalise_url, parse_date
from digest.errors import FrontMatterError, Problem
from digest.importers import Draft


def unique_slug(title: str, clippings_root: Path) -> str:
    """A slug from the title that no clipping file uses yet (`-2`, `-3`... when taken)."""
    base = headline_slug(title) or "clipping"
    taken = {p.stem for p in find_clippings([clippings_root])} if clippings_root.exists() else set()
    slug, n = base, 2
    while slug in taken:
        slug = numbered_slug(base, n)
        n += 1
    return slug


def _originals(clippings_root: Path):
    """(file, its source_url) of every clipping that has one, read from the front matter's
    line (every file is read: `digest new` and the inbox ask this of a whole digest)."""
    for name in find_clippings([clippings_root]) if clippings_root.exists() else []:
        try:
            head = name.read_text(encoding="utf-8", errors="replace").split("\n---", 1)[0]
        except OSError:
            continue
        for line in head.split("\n"):
            if line.startswith("source_url:"):
                value = line.split(":", 1)[1].strip().strip("'\"")
                if value:
                    yield name, value


def clipped_already(clippings_root: Path, url: str) -> Path | None:
    """The clipping file whose original is `url` (addresses compared as the duplicate check
    compares them), if there is one."""
    key = normalise_url(url)
    return next((name for name, value in _originals(clippings_root)
                 if key and normalise_url(value) == key), None)


def clipped_urls(clippings_root: Path) -> set[str]:
    """Every clipping's original, as the duplicate check compares them."""
    return {normalise_url(value) for _name, value in _originals(clippings_root)}


def write_new(new: Draft, date_text: str, clippings_root: Path, display_root: str,
              today: dt.date | None = None) -> tuple[Path | None, Clipping | None, list[Problem]]:
    """Check the fields with the clipping rules and write the file when they pass.

    `date_text` is the date as the editor gave it. Returns the path written (None when nothing
    was), the clipping and every problem.
    """
    if new.source_url:
        found = clipped_already(clippings_root, new.source_url)
        if found is not None:
            shown = f"{display_root}/{found.relative_to(clippings_root).as_posix()}"
            return None, None, [Problem(shown, None, f"this original ({new.source_url}) is "
                                        "clipped already here: edit that file instead")]
    new.date = parse_date(date_text) if date_text else None
    if new.date is None:
        return None, None, [Problem(display_root, None, f"date {date_text!r} is not an ISO date "
                                    "(YYYY-MM-DD, or YYYY-MM-DDTHH:MM+HH:MM)")]
    day = new.date.date() if isinstance(new.date, dt.datetime) else new.date
    slug = unique_slug(new.title, clippings_root)
    rel = PurePosixPath(f"{day.year:04d}", f"{day.month:02d}", f"{slug}.md")
    display = f"{display_root}/{rel}"
    try:
        text = dump(new.fields(), new.body)
        result = validate(parse(text, display), rel=rel, today=today)
    except (FrontMatterError, ValueError) as exc:
        message = exc.problem.message if isinstance(exc, FrontMatterError) else str(exc)
        return None, None, [Problem(display, None, message)]
    if any(p.is_error for p in result.problems):
        return None, None, result.problems
    path = clippings_root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:  # never overwrite
        fh.write(text)
    return path, result.clipping, result.problems
