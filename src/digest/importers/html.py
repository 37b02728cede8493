"""Pre-fill a clipping from an article's web page.

trafilatura (the page's main text and metadata) and htmldate (its publication date) do the
reading; the rules here choose among what a page says of itself: the headline over the
social title, the publication date over the update, people over the publisher, the registry
for the outlet and the gazetteer for the countries.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from digest import __version__
from digest.core.gazetteer import Gazetteer, load_gazetteer
from digest.core.registry import Registry, load_registry
from digest.errors import UsageError
from digest.importers.article import (  # noqa: F401 - iso_date: the module's, for callers
    Page,
    authors,
    countries_of,
    headline,
    iso_date,
    json_ld_article,
    lede,
    meta_content,
    outlet,
    publication_date,
)

USER_AGENT = f"digest/{__version__} (clipping helper; fetches one page an editor asked for)"
TIMEOUT = 15
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ArticleFacts:
    """What an article page says about itself; every field may be empty."""

    title: str = ""
    author: str = ""
    date: str = ""  # ISO 8601, as accepted in front matter
    outlet: str = ""
    source: str = ""  # the outlet as the registry names it, when known
    source_url: str = ""
    excerpt: str = ""
    countries: list[str] = field(default_factory=list)  # suggestions, for the editor to confirm


def fetch(url: str) -> tuple[bytes, str]:
    """The page at an http(s) address: a timeout, a size limit and an honest User-Agent."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise UsageError(f"{url!r} is neither a file nor an http(s) address")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                   "Accept": "text/html,application/xhtml+xml"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        raise UsageError(f"fetching {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"fetching {url} failed: {reason}; save the page and pass the file "
                         "instead") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{url} is larger than {MAX_BYTES // 1024 // 1024} MB: not an article "
                         "page?")
    return data, final


def read_page(source: str) -> tuple[bytes, str]:
    """A saved page (a file) or a fetched one (an address), with the address to resolve against."""
    path = Path(source)
    if path.is_file():
        return path.read_bytes(), ""
    if "://" not in source:
        raise UsageError(f"no such file: {source}")
    return fetch(source)


def _read(html: bytes | str, base_url: str) -> Page:
    import trafilatura  # (deferred on purpose: 0.3 s, for --from-html only)
    from trafilatura.metadata import extract_metadata

    raw = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    soup = BeautifulSoup(html, "html.parser")
    meta = extract_metadata(raw, default_url=base_url or None)
    text = trafilatura.extract(raw, url=base_url or None, favor_precision=True,
                               include_comments=False, include_tables=False) or ""
    return Page(soup, json_ld_article(soup), meta, text, raw)


def _address(page: Page, base_url: str) -> str:
    """The article's own address: its canonical link, OpenGraph address, JSON-LD address or
    the address it was fetched from, the first that is (or resolves to) an http(s) one."""
    canonical = page.soup.find("link", rel="canonical")
    candidates = [canonical.get("href", "") if canonical else "",
                  meta_content(page.soup, "og:url"), str(page.ld.get("url", "") or ""),
                  page.get("url"), base_url]
    absolute = next((c for c in candidates if urlsplit(c).scheme in ("http", "https")), "")
    for candidate in candidates:
        if candidate:
            url = urljoin(base_url or absolute, candidate)
            if urlsplit(url).scheme in ("http", "https"):
                return url
    return ""


def extract(html: bytes | str, base_url: str = "", gazetteer: Gazetteer | None = None,
            registry: Registry | None = None) -> ArticleFacts:
    """The facts an article page states about itself, by the most reliable source first."""
    gz = gazetteer or load_gazetteer()
    reg = registry or load_registry()
    page = _read(html, base_url)
    facts = ArticleFacts()
    facts.source_url = _address(page, base_url)
    facts.outlet, facts.source, orgs = outlet(page, facts.source_url or base_url, reg)
    facts.title = headline(page, orgs)
    facts.date = publication_date(page, facts.source_url or base_url)
    facts.author = authors(page, orgs)
    facts.excerpt = lede(page, facts.title)
    facts.countries = countries_of(page, facts.title, facts.excerpt, gz)
    return facts
