"""The site's own pages (`content/pages/*.md`): their few keys, address and links checked."""

from __future__ import annotations

import re
from pathlib import Path

from digest.content.files import markdown_files
from digest.core.frontmatter import FrontMatter, read_file
from digest.core.model import SLUG_RE
from digest.core.schema import MAX_TITLE, RESERVED_SLUGS, link_problem
from digest.errors import FrontMatterError, Problem

PAGE_FIELDS = ("title", "slug")
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")


def page_problems(fm: FrontMatter) -> tuple[str, str, list[Problem]]:
    """A page's title and slug, and every problem with it (path and line each)."""
    problems = []
    for key in fm.fields:
        if key not in PAGE_FIELDS:
            problems.append(Problem(fm.path, fm.line(key), f"unknown key '{key}' in a page: "
                                    f"allowed keys: {', '.join(PAGE_FIELDS)}"))
    title = fm.fields.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        problems.append(Problem(fm.path, fm.line("title"), "a page needs a one-line title"))
        title = ""
    slug = fm.fields.get("slug") or Path(fm.path).stem
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        problems.append(Problem(fm.path, fm.line("slug"), f"page slug {slug!r} is not a "
                                "valid address (lower-case letters, digits, hyphens; not "
                                "a reserved name)"))
        slug = ""
    for m in _LINK.finditer(fm.body):
        problem = link_problem(m.group(1))
        if problem:
            line = fm.body_line + fm.body.count("\n", 0, m.start())
            problems.append(Problem(fm.path, line, problem))
    return title.strip(), slug, problems


def check_pages(folder: Path, display=str) -> list[Problem]:
    """Every problem of the pages under `folder` (content/pages/), two pages with one
    address included, as `path:line` problems."""
    problems: list[Problem] = []
    by_slug: dict[str, list[str]] = {}
    for name in markdown_files(folder) if folder.is_dir() else []:
        shown = display(Path(name))
        try:
            fm = read_file(name, shown)
        except FrontMatterError as exc:
            problems.append(exc.problem)
            continue
        _title, slug, found = page_problems(fm)
        problems.extend(found)
        if slug:
            by_slug.setdefault(slug, []).append(shown)
    for slug, files in by_slug.items():
        for path in files[1:] if len(files) > 1 else []:
            problems.append(Problem(path, None, f"page address '{slug}' is {files[0]}'s too: "
                                    "give this page another `slug:` or file name"))
    return problems
