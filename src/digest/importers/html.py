"""Pre-fill a clipping from an article's web page: OpenGraph, Twitter cards, JSON-LD, meta tags."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from digest import __version__
from digest.core.gazetteer import Gazetteer, load_gazetteer
from digest.core.registry import Registry, domain_of, load_registry
from digest.errors import UsageError

USER_AGENT = f"digest/{__version__} (clipping helper; fetches one page an editor asked for)"
TIMEOUT = 15
MAX_BYTES = 5 * 1024 * 1024
ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                 "OpinionNewsArticle", "BackgroundNewsArticle", "BlogPosting", "Report"}


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


def _types(node: dict) -> set[str]:
    t = node.get("@type", [])
    return set(t if isinstance(t, list) else [t])


def _json_ld_article(soup: BeautifulSoup) -> dict:
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except (json.JSONDecodeError, TypeError, RecursionError):  # (nested past any use)
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            if _types(node) & ARTICLE_TYPES:
                return node
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return {}


def _name(value) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return str(value.get("name", "")).strip()
    if isinstance(value, list):  # (a list of names: one level, never a list of lists)
        return ", ".join(n for n in (_name(v) for v in value if not isinstance(v, list)) if n)
    return ""


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return " ".join(tag["content"].split())
    return ""


def iso_date(value: str) -> str:
    """An ISO date, or date-time with offset, from what a page gives; '' when unclear."""
    value = value.strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?"
                     r"(Z|[+-]\d{2}:?\d{2})?)?", value)
    if not match:
        return ""
    day, time, offset = match.groups()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return ""
    if time and offset:
        offset = "+00:00" if offset == "Z" else (offset if ":" in offset else offset[:3] + ":" + offset[3:])
        return f"{day}T{time}{offset}"
    return day  # a time without an offset is not a moment: keep the day


def extract(html: bytes | str, base_url: str = "", gazetteer: Gazetteer | None = None,
            registry: Registry | None = None) -> ArticleFacts:
    """The facts an article page states about itself, by the most reliable source first."""
    gz = gazetteer or load_gazetteer()
    reg = registry or load_registry()
    soup = BeautifulSoup(html, "html.parser")
    ld = _json_ld_article(soup)
    facts = ArticleFacts()
    facts.title = (_meta(soup, "og:title", "twitter:title") or _name(ld.get("headline"))
                   or (soup.title.string.strip() if soup.title and soup.title.string else ""))
    facts.author = (_name(ld.get("author")) or _meta(soup, "author", "article:author",
                                                     "twitter:creator"))
    time_tag = soup.find("time", attrs={"datetime": True})
    facts.date = iso_date(str(ld.get("datePublished", "")) or
                          _meta(soup, "article:published_time", "date", "pubdate") or
                          (time_tag["datetime"] if time_tag else ""))
    canonical = soup.find("link", rel="canonical")
    url = (canonical.get("href", "") if canonical else "") or _meta(soup, "og:url") or \
        str(ld.get("url", "")) or base_url
    facts.source_url = urljoin(base_url, url) if url else ""
    if facts.source_url and urlsplit(facts.source_url).scheme not in ("http", "https"):
        facts.source_url = ""
    facts.outlet = _meta(soup, "og:site_name") or _name(ld.get("publisher"))
    match = reg.resolve(facts.outlet) if facts.outlet else None
    owner = reg.by_domain(facts.source_url) if facts.source_url else None
    facts.source = match.source.name if match else (owner.name if owner else facts.outlet)
    if not facts.source and facts.source_url:
        facts.source = domain_of(facts.source_url)
    facts.excerpt = (_meta(soup, "og:description", "twitter:description", "description")
                     or _name(ld.get("description")))
    if not facts.excerpt:
        article = soup.find("article") or soup
        para = article.find("p")
        facts.excerpt = " ".join(para.get_text(" ").split()) if para else ""
    found = gz.find_in_text(f"{facts.title} {facts.excerpt}")
    facts.countries = [c.name for c in found]
    return facts
