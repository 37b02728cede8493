"""The rules that choose an article's facts among what its page says of itself
(`importers.html` reads the page with trafilatura and htmldate)."""

from __future__ import annotations

import datetime as dt
import html as entities
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from digest.core.gazetteer import Gazetteer
from digest.core.registry import Registry, domain_of

ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                 "OpinionNewsArticle", "BackgroundNewsArticle", "BlogPosting", "Report"}

def _types(node: dict) -> set[str]:
    t = node.get("@type", [])
    return set(t if isinstance(t, list) else [t])


def json_ld_article(soup: BeautifulSoup) -> dict:
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


def _clean(value: str) -> str:
    """Text as a page gives it, its entities decoded (JSON-LD often keeps them: O&#039;Donnell)
    and its spaces single."""
    return " ".join(entities.unescape(value).split()) if value else ""


def _name(value) -> str:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return _clean(str(value.get("name", "")))
    if isinstance(value, list):  # (a list of names: one level, never a list of lists)
        return ", ".join(n for n in (_name(v) for v in value if not isinstance(v, list)) if n)
    return ""


def meta_content(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            tag = soup.find("meta", attrs={attr: name})
            if tag and tag.get("content", "").strip():
                return _clean(tag["content"])
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


@dataclass
class Page:
    """A page read once: its tree, its JSON-LD article, trafilatura's metadata and text."""

    soup: BeautifulSoup
    ld: dict
    meta: object  # trafilatura's Document (or None)
    text: str
    raw: str

    def get(self, field: str) -> str:
        value = getattr(self.meta, field, None) if self.meta is not None else None
        return _clean(value) if isinstance(value, str) else ""


_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•)\s+")
_QUOTES = str.maketrans({"\u2032": "'", "\u2019": "'", "\u2018": "'", "\u201c": '"',
                         "\u201d": '"', "\u00a0": " "})
_NOT_A_PERSON = re.compile(
    r"https?:|www\.|@|\d|\b(?:staff|desk|news|newsroom|editors?|editorial|team|agency|agencies|"
    r"redaktion|rédaction|online|gmbh|inc|ltd|llc|letters|reporters|wire|press|service|media|"
    r"group|foundation|institute|centre|center|bureau|correspondents?|contributors?|admin|"
    r"account|filed|logged|unknown|anonymous|guest)\b", re.I)
_BY = re.compile(r"^(?:by|par|von|di|por|door|автор[ы]?:?|author:?|text:?|written by)\s+", re.I)
_BOILERPLATE = re.compile(
    r"cookie|copyright|©|all rights reserved|subscribe|sign up|newsletter|javascript|your "
    r"browser|advertis|photo:|credit:|getty images|follow us|read more|click here|"
    r"submit your|terms of (?:use|service)|privacy policy|log ?in|\bpaywall", re.I)
_DATELINE = re.compile(r"\s+(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                       r"updated|published)\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|"
                       r"nov|dec|january|february|march|april|june|july|august|september|"
                       r"october|november|december)\.?\s*\d).*$", re.I)
_MONTH = (r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|"
          r"April|June|July|August|September|October|November|December)\.?\s*\d")
_BYLINE_IN_TEXT = re.compile(r"(?:^|\s)(?:By|Von|Par|Автор:?)\s+((?:[A-Z][a-z]+|[A-Z]\.)"
                             r"(?:\s(?!" + _MONTH + r")(?:[A-Z][a-z]+|[A-Z]\.)){1,3})\b")
_PUBLISHED = ("article:published_time", "datePublished", "DC.date.issued", "DC.date",
              "dcterms.created", "dcterms.date", "publish-date", "publishdate", "pubdate",
              "parsely-pub-date", "article.published", "og:published_time", "date")


def _key(text: str) -> str:
    return " ".join(text.translate(_QUOTES).casefold().split())


def outlet(page: Page, url: str, registry: Registry) -> tuple[str, str, list[str]]:
    """(the outlet as the page names it, as the digest writes it, every name the page gives
    its publisher: none of them is ever an author)."""
    ld_publisher = _name(page.ld.get("publisher"))
    names = [n for n in (ld_publisher, meta_content(page.soup, "og:site_name"),
                         page.get("sitename"),
                         meta_content(page.soup, "application-name")) if n]
    owner = registry.by_domain(url) if url else None
    known = owner.name if owner else next(
        (m.source.name for n in names if (m := registry.resolve(_site(n))) is not None), "")
    shown = _site(names[0]) if names else ""
    host = domain_of(url) if url else ""
    orgs = [*names, *([owner.name, *owner.aliases] if owner else []), host,
            host.split(".")[0] if host else ""]
    return shown, known or shown or host, [o for o in orgs if o]


def _site(name: str) -> str:
    """A site name without what pages add to it ('© 2017 Khaleej Times. All rights
    reserved.')."""
    name = re.sub(r"(?i)^(?:©|\(c\)|copyright)?\s*\d{4}\s+", "", name.strip())
    name = re.sub(r"(?i)[.,]?\s*all rights reserved\.?$", "", name)
    if len(name) > 30:  # ('News8Plus-Realtime Updates On Breaking News & Headlines')
        name = re.split(r"\s*(?:\s-\s|\||:|–|—|-(?=[A-Z]))\s*", name, maxsplit=1)[0]
    return name.strip(" .")


def headline(page: Page, orgs: list[str]) -> str:
    """The article's headline: the page's `<h1>` where the title or social title begins
    with it, else the JSON-LD headline (unless cut short), else the title without the site's
    name, section and date."""
    soup = page.soup
    social = meta_content(soup, "og:title", "twitter:title")
    title = _clean(soup.title.string) if soup.title and soup.title.string else ""
    ld = _name(page.ld.get("headline"))
    variants = [_key(t) for t in (title, social, ld) if t]
    for h1 in soup.find_all("h1"):
        text = _clean(h1.get_text(" "))
        if len(text) >= 8 and any(v.startswith(_key(text)) for v in variants):
            return text
    if ld and not ld.endswith(("…", "...")):
        return ld
    org_keys = [_key(o) for o in orgs if len(o) > 3]
    headings = [t for h1 in soup.find_all("h1") if len((t := _clean(h1.get_text(" "))).split())
                >= 4 and not any(o in _key(t) for o in org_keys)]
    if len(headings) == 1:  # (the page's one heading, where its titles say otherwise)
        return headings[0]
    for candidate in (social, title, page.get("title")):
        if candidate:
            return _strip_site(candidate, orgs)
    return ""


def _strip_site(title: str, orgs: list[str]) -> str:
    """A page title without what follows the headline: the site's name, a section, a blog's
    name, a date ('… | DW | 19.01.2020', '… - Drive On: … - USATODAY.com'). A first part too
    short to be a headline keeps the next (a headline may hold a dash)."""
    parts = _SEPARATORS.split(title)
    org_keys = {_key(o) for o in orgs}
    if len(parts) > 1 and len(parts[0]) < 20 and _key(parts[1]) not in org_keys:
        return f"{parts[0]} - {parts[1]}"
    return parts[0]


def publication_date(page: Page, url: str) -> str:
    """When the article was first published (never the update): the page's structured
    publication date, else htmldate's reading of the original date, else the address's."""
    soup = page.soup
    candidates = [str(page.ld.get("datePublished", "") or "")]
    candidates.append(meta_content(soup, *_PUBLISHED))
    for time in soup.find_all("time", attrs={"datetime": True}):
        if time.get("itemprop") == "datePublished" or time.has_attr("pubdate"):
            candidates.append(time["datetime"])
    candidates.append(meta_content(soup, "DISPLAYDATE", "displaydate", "dat"))
    for value in candidates:
        found = iso_date(value) or _written_date(value)
        if found:
            return found
    title = meta_content(soup, "og:title") or (soup.title.string or "" if soup.title else "")
    for part in _SEPARATORS.split(title)[1:]:  # ('… | DW | 10.06.2013')
        day = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})", part.strip())
        if day:
            found = iso_date("{}-{:0>2}-{:0>2}".format(day.group(3), day.group(2), day.group(1)))
            if found:
                return found
    found = _header_date(page) or _dateline(page)
    if found:
        return found
    from htmldate import find_date  # (deferred with trafilatura)

    try:
        found = find_date(page.raw, url=url or None, original_date=True,
                          extensive_search=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError):
        found = None
    if found:
        return found
    match = re.search(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:[/-]|$)",
                      urlsplit(url).path if url else "")
    return iso_date("{}-{:0>2}-{:0>2}".format(*match.groups())) if match else ""


_DATE_IN_TEXT = re.compile(
    r"\b(?:\d{1,2}\.?\s+[^\W\d_]{3,9}\.?,?\s+(?:19|20)\d{2}|[^\W\d_]{3,9}\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\."
    r"(?:19|20)\d{2})\b")


_DATE_CLASS = re.compile(r"date|time|stamp|publish", re.I)


def _header_date(page: Page) -> str:
    """The date the headline's own box shows (`<li class="dateStamp">AUGUST 16, 2010`): a
    small box, not a column around it, which holds the related stories' dates."""
    heading = page.soup.find("h1")
    box = heading.parent if heading is not None else None
    if box is None or len(box.get_text(" ")) > 800:
        return ""
    for node in box.find_all(class_=_DATE_CLASS, limit=6):
        text = " ".join(node.get_text(" ").split())
        found = iso_date(node.get("datetime", "")) or _written_date(
            re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", text))
        if found:
            return found
    return ""


def _after_headline(page: Page) -> str:
    """The page's first `<h1>` and the 400 characters of text after it."""
    heading = page.soup.find("h1")
    if heading is None:
        return ""
    text: list[str] = []
    for node in heading.find_all_next(string=True, limit=80):
        text.append(str(node))
        if sum(map(len, text)) > 400:
            break
    return " ".join(" ".join(text).split())


def _dateline(page: Page) -> str:
    """The date written just below the headline (the byline's 'Jan 22 2011, 8:00 AM ET'),
    where the page's metadata gives none."""
    heading = page.soup.find("h1")
    if heading is None:
        return ""
    joined = _after_headline(page)
    headline = " ".join(heading.get_text(" ").split())
    for match in _DATE_IN_TEXT.finditer(joined):
        between = joined[len(headline):match.start()]
        # (only a date next to the headline or its byline: not the related stories' dates)
        if len(between) > 60 and not re.search(r"\b(?:By|Von|Par)\s+[A-Z]", between[:80]):
            break
        found = _written_date(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", match.group(0)))
        if found:
            return found
    return ""


def _written_date(value: str) -> str:
    """A date as pages write it in their metadata ('December 21, 2010', 'Tuesday, Aug. 17,
    2010'), read only in the unambiguous forms `parse_date` knows."""
    from digest.importers.text import parse_date

    value = re.sub(r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", "", value.strip())
    day = parse_date(value) if value and len(value) <= 40 else None
    return day.isoformat() if day else ""


def authors(page: Page, orgs: list[str]) -> str:
    """The article's authors, people only (never the publisher, a desk or an address),
    from the JSON-LD, the meta tags, the visible byline, then trafilatura's reading."""
    soup = page.soup
    found: list[str] = []
    people = page.ld.get("author")
    for entry in people if isinstance(people, list) else [people]:
        if isinstance(entry, dict) and "Organization" in str(entry.get("@type", "")):
            continue
        found.append(_name(entry))
    found.append(meta_content(soup, "author", "article:author", "parsely-author", "sailthru.author",
                       "dc.creator", "DC.creator"))
    found.extend(m.group(1) for m in _BYLINE_IN_TEXT.finditer(_after_headline(page)))
    for node in soup.select("[rel=author], [itemprop=author], .byline, .author, "
                            "[class*=byline], [class*=author-name]")[:6]:
        found.append(_clean(node.get("content") or node.get_text(" ")))
    found.append(page.get("author").replace(";", ","))
    body = soup.body.get_text(" ") if soup.body else ""
    found.extend(m.group(1) for m in _BYLINE_IN_TEXT.finditer(body[:20000]))
    org_keys = [_key(o) for o in orgs if len(o) > 2]
    for value in found:
        names: list[str] = []
        for part in re.split(r"\s*(?:,|;|\band\b|&|\bund\b|\bet\b|\bи\b)\s*", value):
            part, cut = _before_org(part, org_keys)
            name = _person(part, org_keys)
            if name:
                names.append(name)
            if cut:  # ('Caio Quero BBC Brasil, Santa Maria': the rest is a dateline)
                break
        if names:
            return ", ".join(dict.fromkeys(names))
    return ""


def _before_org(text: str, org_keys: list[str]) -> tuple[str, bool]:
    """A byline's part up to the outlet's name in it, and whether there was one."""
    words = text.split()
    for n in range(1, len(words)):
        rest = _key(" ".join(words[n:]))
        if any(rest.startswith(o) for o in org_keys if o):
            return " ".join(words[:n]), True
    return text, False


def _person(text: str, org_keys: list[str]) -> str:
    text = _BY.sub("", _clean(text)).strip(" |-–—:")
    text = re.sub(r"\s*\([^)]{0,6}\)$", "", text)  # (the desk's initials: 'Julia Hitz (eg)')
    text = re.sub(r"(?i)^author:?\s*", "", text)
    text = _DATELINE.sub("", text)  # ('Bryan Walsh Tuesday, Aug. 17')
    words = text.split()
    if not 2 <= len(words) <= 4 or _NOT_A_PERSON.search(text) or text.endswith("."):
        return ""
    key = _key(text)
    if any(o in key or key in o for o in org_keys):
        return ""
    if not all(w[:1].isupper() for w in words if w.casefold() not in ("de", "van", "von", "al",
                                                                          "bin", "der", "la")):
        return ""
    return text.title() if text.isupper() else text


def lede(page: Page, title: str) -> str:
    """The article's first paragraph of running text (never a notice, a caption or the
    headline again), else the page's description."""
    for para in page.text.split("\n"):
        para = para.strip()
        if len(para) < 60 or _BOILERPLATE.search(para) or _key(para) == _key(title) or \
                para.startswith(("|", "- ", "By ")) or not re.search(r"[.!?\"'»”…]$", para):
            continue
        return para
    description = meta_content(page.soup, "og:description", "description", "twitter:description") \
        or _name(page.ld.get("description"))
    return "" if _BOILERPLATE.search(description) else description


def countries_of(page: Page, title: str, excerpt: str, gazetteer: Gazetteer) -> list[str]:
    """The countries the headline, the description and the first paragraphs name (names,
    aliases, abbreviations such as UK and DRC, demonyms; English and Russian)."""
    description = meta_content(page.soup, "og:description", "description")
    first = " ".join(page.text.split("\n")[:3])
    text = "\n".join((title, description, excerpt, first))
    return [c.name for c in gazetteer.find_in_text(text)]
