"""The Pelican reader for clippings and pages: strict front matter, the checker's rules, safe HTML."""

from __future__ import annotations

import html
import os
from pathlib import Path, PurePosixPath

from pelican.readers import BaseReader
from pelican.utils import SafeDatetime

from digest.content.render import plain_text, shared_renderer, summary
from digest.core.frontmatter import read_file
from digest.core.model import SLUG_RE, date_key
from digest.core.rules import validate
from digest.core.schema import MAX_TITLE, RESERVED_SLUGS, link_problem
from digest.errors import ContentError, Problem

PAGE_FIELDS = ("title", "slug")


class ClippingReader(BaseReader):
    """Reads `.md` files: clippings under `clippings/`, static pages elsewhere."""

    enabled = True
    file_extensions = ["md"]

    def __init__(self, settings):
        super().__init__(settings)
        self._root = Path(settings["PATH"]).resolve()

    def _display(self, path: Path) -> str:
        try:
            return os.path.relpath(path, Path.cwd())
        except ValueError:
            return str(path)

    def read(self, source_path):
        path = Path(source_path).resolve()
        rel = path.relative_to(self._root)
        if rel.parts and rel.parts[0] == "clippings":
            fm = read_file(path, self._display(path))
            return self._clipping(fm, PurePosixPath(*rel.parts[1:]).as_posix())
        return self._page(read_file(path, self._display(path)))

    def _clipping(self, fm, rel: str):
        result = validate(fm, rel=PurePosixPath(rel))
        if result.clipping is None:
            raise ContentError(f"{fm.path}: invalid clipping", result.errors)
        c = result.clipping
        content = shared_renderer().html(c.body)
        return self._metadata(c, content, summary(plain_text(content)))

    def _metadata(self, c, content: str, text: str):
        when = date_key(c.date)
        metadata = {
            "title": c.title,
            "date": SafeDatetime(when.year, when.month, when.day, when.hour, when.minute,
                                 when.second, tzinfo=when.tzinfo),
            "slug": c.slug,
            "summary": html.escape(text),
            "clipping": c,
        }
        return content, metadata

    def _page(self, fm):
        problems = []
        for key in fm.fields:
            if key not in PAGE_FIELDS:
                problems.append(Problem(fm.path, fm.line(key), f"unknown key '{key}' in a page: "
                                        f"allowed keys: {', '.join(PAGE_FIELDS)}"))
        title = fm.fields.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            problems.append(Problem(fm.path, fm.line("title"), "a page needs a one-line title"))
        slug = fm.fields.get("slug") or Path(fm.path).stem
        if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            problems.append(Problem(fm.path, fm.line("slug"), f"page slug {slug!r} is not a "
                                    "valid address (lower-case letters, digits, hyphens; not "
                                    "a reserved name)"))
        import re
        for m in re.finditer(r"\]\(\s*<?([^)\s>]+)", fm.body):
            problem = link_problem(m.group(1))
            if problem:
                line = fm.body_line + fm.body.count("\n", 0, m.start())
                problems.append(Problem(fm.path, line, problem))
        if problems:
            raise ContentError(f"{fm.path}: invalid page", problems)
        content = shared_renderer().html(fm.body)
        return content, {"title": title.strip(), "slug": slug,
                         "summary": html.escape(summary(plain_text(content)))}


