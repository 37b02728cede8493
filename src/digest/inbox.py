"""The feed inbox: the outlets' RSS and Atom feeds (the registry's `feeds`) read into drafts
an editor accepts as clippings or rejects.

`digest inbox fetch` reads every feed (a conditional GET: ETag and Last-Modified kept; a
timeout, a size limit, an honest User-Agent; feedparser), keeps the entries whose title or
summary names a country or region, drops those already clipped or rejected, and stores each
as plain text in `inbox/` (ignored by git, never published, never checked as a clipping).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from digest import __version__
from digest.core.gazetteer import Gazetteer, load_gazetteer
from digest.core.registry import Registry, load_registry
from digest.core.schema import normalise_url
from digest.errors import UsageError
from digest.project import Project

USER_AGENT = f"digest/{__version__} (feed inbox; reads the feeds an editor listed)"
TIMEOUT = 15
MAX_BYTES = 5 * 1024 * 1024
MAX_TITLE, MAX_SUMMARY = 300, 2000
_ENTITY = re.compile(rb"<!ENTITY", re.I)
_TAGS = re.compile(r"<[^>]*>")


@dataclass
class Item:
    """One feed entry kept for the editor: plain text only."""

    id: str
    title: str
    link: str
    summary: str
    date: str  # ISO 8601 date-time with offset, or "" where the feed gives none
    source: str
    feed: str
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


@dataclass
class FetchReport:
    kept: int = 0
    known: int = 0  # already in the inbox, clipped or rejected
    unrelated: int = 0  # naming no country or region
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def folder(project: Project) -> Path:
    return project.root / "inbox"


def _plain(value: str, limit: int) -> str:
    """Text as a feed gives it, without any markup (a summary may hold script), its
    entities decoded and its length limited."""
    import html

    text = " ".join(html.unescape(_TAGS.sub(" ", value or "")).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _get(url: str, state: dict) -> tuple[bytes | None, dict]:
    """The feed's bytes (None when unchanged since the last fetch) and what to send next
    time; raises UsageError with what went wrong."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, */*;q=0.5"}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("modified"):
        headers["If-Modified-Since"] = state["modified"]
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
            sent = {"etag": response.headers.get("ETag", ""),
                    "modified": response.headers.get("Last-Modified", "")}
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None, state
        raise UsageError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise UsageError(str(getattr(exc, "reason", exc))) from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"larger than {MAX_BYTES // 1024 // 1024} MB: not read")
    return data, sent


def _reencoded(data: bytes, parsed, feedparser):
    """A feed whose declared encoding is wrong, read in the one its bytes read best in
    (charset-normalizer), and what to tell the editor."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    declared = str(parsed.get("bozo_exception")).split(" but ")[0]
    if best is None or best.encoding.replace("_", "-") in (parsed.get("encoding") or ""):
        return parsed, f"{declared}: read as {parsed.get('encoding')}; check its text"
    text = re.sub(r"(<\?xml[^>]*encoding=[\"'])[^\"']+", r"\g<1>utf-8", str(best), count=1)
    again = feedparser.parse(text.encode("utf-8"), sanitize_html=True,
                             resolve_relative_uris=False)
    return again, f"{declared}: its bytes read as {best.encoding}, and were read so"


def _items(data: bytes, url: str, source: str, gz: Gazetteer,
           notes: list[str]) -> list[Item]:
    """The entries of a feed, with the countries and regions each names; UsageError where
    it is no feed or a hostile one."""
    import feedparser  # (deferred: only the inbox reads feeds)

    if _ENTITY.search(data[:65536]):
        raise UsageError("it declares XML entities (a feed never needs them; an 'XML bomb' "
                         "does): not read")
    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    if type(parsed.get("bozo_exception")).__name__ == "CharacterEncodingOverride":
        parsed, said = _reencoded(data, parsed, feedparser)
        notes.append(said)
    if not parsed.get("version") and not parsed.entries:
        why = parsed.get("bozo_exception")
        raise UsageError("not an RSS or Atom feed" + (f" ({why})" if why else ""))
    out = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "")
        if not re.match(r"https?://", link):
            continue
        title = _plain(entry.get("title", ""), MAX_TITLE)
        summary = _plain(entry.get("summary", ""), MAX_SUMMARY)
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        date = dt.datetime(*when[:6], tzinfo=dt.timezone.utc).isoformat() if when else ""
        countries = [c.name for c in gz.find_in_text(f"{title}\n{summary}")]
        regions = gz.regions_in_text(f"{title}\n{summary}")
        out.append(Item(hashlib.sha256(normalise_url(link).encode()).hexdigest()[:16], title,
                        link, summary, date, source, url, countries, regions))
    return out


def fetch(project: Project, registry: Registry | None = None,
          gazetteer: Gazetteer | None = None) -> FetchReport:
    """Read every feed of the registry into the inbox."""
    from digest.content.new import clipped_urls

    reg, gz = registry or load_registry(), gazetteer or load_gazetteer()
    feeds = [(s.name, f) for s in reg.sources for f in s.feeds]
    if not feeds:
        raise UsageError("no outlet has a feed: add one to data/sources.yml (`feeds: [URL]` in "
                         "its entry, or `digest source add NAME --domain … --feed URL`)")
    box = folder(project)
    box.mkdir(exist_ok=True)
    ignore = box / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# the feed inbox: drafts, never published\n*\n", encoding="utf-8")
    states = _read_json(box / ".feeds.json", {})
    rejected = set(_read_json(box / ".rejected.json", []))
    clipped = clipped_urls(project.clippings)
    present = {p.stem for p in _drafts(box)}
    report = FetchReport()
    for source, url in feeds:
        try:
            data, states[url] = _get(url, states.get(url, {}))
            if data is None:
                report.unchanged.append(url)
                continue
            notes: list[str] = []
            items = _items(data, url, source, gz, notes)
            report.problems.extend(f"{url} ({source}): {n}" for n in notes)
        except UsageError as exc:
            report.problems.append(f"{url} ({source}): {exc.message}")
            continue
        for item in items:
            key = normalise_url(item.link)
            if item.id in present or key in clipped or key in rejected:
                report.known += 1
            elif not item.countries and not item.regions:
                report.unrelated += 1
            else:
                _write_json(box / f"{item.id}.json", asdict(item))
                present.add(item.id)
                report.kept += 1
    _write_json(box / ".feeds.json", states)
    return report


def entries(project: Project) -> list[Item]:
    """The inbox, newest first (then by title)."""
    box = folder(project)
    out = []
    for path in _drafts(box):
        try:
            out.append(Item(**json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, TypeError, OSError):
            continue  # (not one this code wrote)
    return sorted(out, key=lambda i: (i.date, i.title), reverse=True)


def pick(project: Project, number: int) -> Item:
    found = entries(project)
    if not 1 <= number <= len(found):
        raise UsageError(f"the inbox has no entry {number}: `digest inbox` lists "
                         f"{len(found)} (1 to {len(found)})" if found else "the inbox is empty: "
                         "`digest inbox fetch` reads the feeds")
    return found[number - 1]


def forget(project: Project, item: Item, rejected: bool) -> None:
    """Take an entry out of the inbox; a rejected one is never fetched again."""
    box = folder(project)
    if rejected:
        keys = set(_read_json(box / ".rejected.json", []))
        keys.add(normalise_url(item.link))
        _write_json(box / ".rejected.json", sorted(keys))
    (box / f"{item.id}.json").unlink(missing_ok=True)


def _drafts(box: Path) -> list[Path]:
    """The inbox's entries (its own state files begin with a dot)."""
    return [p for p in box.glob("*.json") if not p.name.startswith(".")] if box.is_dir() else []


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _write_json(path: Path, value) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
