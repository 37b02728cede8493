"""Shared fixtures: small digest projects built in temporary folders."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from digest.project import Project

REPO = Path(__file__).resolve().parents[1]
SEED = Path(__file__).resolve().parent / "fixtures" / "seed.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

PELICANCONF = '''
SITENAME = "Test Digest"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME = "theme"
RELATIVE_URLS = True
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
DIGEST_LISTING_ALL = 0
'''


def clipping_text(title="Border talks resume", date="2021-04-30", category="News",
                  countries=("Kyrgyzstan", "Tajikistan"), source="RFE/RL", body="An excerpt.",
                  **extra) -> str:
    """The text of a clipping file with the given fields (lists written in flow style)."""
    lines = ["---", f"title: {title}", f"date: {date}", f"category: {category}",
             f"countries: [{', '.join(countries)}]", f"source: {source}"]
    for key, value in extra.items():
        if isinstance(value, (list, tuple)):
            value = f"[{', '.join(value)}]"
        lines.append(f"{key}: {value}")
    lines += ["---", "", body, ""]
    return "\n".join(lines)


class Site:
    """A digest project in a temporary folder, with helpers to add clippings."""

    def __init__(self, root: Path, conf: str = PELICANCONF):
        self.root = root
        (root / "content" / "clippings").mkdir(parents=True)
        (root / "content" / "pages").mkdir()
        (root / "pelicanconf.py").write_text(conf)
        shutil.copytree(REPO / "theme", root / "theme")
        self.project = Project(root)

    def add(self, rel: str, text: str | bytes | None = None, **fields) -> Path:
        path = self.root / "content" / "clippings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            text = clipping_text(**fields)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text,
                            encoding="utf-8")
        return path

    def read(self, rel: str) -> str:
        return (self.root / "output" / rel).read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch) -> Site:
    """An empty digest project; the working folder is its root."""
    monkeypatch.chdir(tmp_path)
    return Site(tmp_path)


@pytest.fixture(autouse=True)
def _no_project_data_after():
    """Each test starts with the packaged tables only (a project's data files are read by
    the commands that find the project)."""
    yield
    from digest.core.tables import use_project_data

    use_project_data(None)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")
