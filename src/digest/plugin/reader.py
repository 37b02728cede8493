"""The Pelican reader for the site's pages: strict front matter, the page rules, safe HTML.
(Clippings never reach Pelican's readers: `digest build` checks and renders them.)"""

from __future__ import annotations

import html
import os
from pathlib import Path

from pelican.readers import BaseReader

from digest.content.pages import page_problems
from digest.content.render import plain_text, shared_renderer, summary
from digest.core.frontmatter import read_file
from digest.errors import ContentError


class PageReader(BaseReader):
    """Reads `.md` pages under content/pages/."""

    enabled = True
    file_extensions = ["md"]

    def read(self, source_path):
        path = Path(source_path).resolve()
        try:
            display = os.path.relpath(path, Path.cwd())
        except ValueError:
            display = str(path)
        fm = read_file(path, display)
        title, slug, problems = page_problems(fm)
        if problems:
            raise ContentError(f"{fm.path}: invalid page", problems)
        content = shared_renderer().html(fm.body)
        return content, {"title": title, "slug": slug,
                         "summary": html.escape(summary(plain_text(content)))}
