"""The Pelican generator for the digest's own pages: listings, month pages, indexes, feeds, data."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from dataclasses import dataclass
from functools import partial
from typing import Any

from feedgenerator import Atom1Feed, get_tag_uri
from markupsafe import Markup
from pelican.generators import Generator
from pelican.utils import sanitised_join

from ..errors import DigestError
from ..index import DigestIndex, Group
from ..model import Clipping, Country, Pair, date_key, format_date, slugify
from ..sources import load_registry
from .settings import LISTINGS, PLURALS, PREFIX, DigestSettings, digest_settings

KIND_TITLES = {"country": "Country", "pair": "Country pair", "region": "Region",
               "category": "Category", "source": "Source", "topic": "Topic"}


@dataclass(frozen=True, slots=True)
class Entry:
    """A clipping as listings show it, with its address computed once (Pelican recomputes an
    article's URL on every access)."""

    url: str
    title: str
    clipping: Clipping
    summary: str
    date_iso: str
    day: str
    meta: str


def make_entry(article) -> Entry:
    """The listing entry of a Pelican article that holds a clipping."""
    c: Clipping = article.clipping
    meta = f"{c.source} · {', '.join(x.name for x in c.countries)}"
    return Entry(article.url, c.title, c, article.summary, format_date(c.date), c.day.isoformat(),
                 meta)


class SiteView:
    """What templates may ask of the digest: addresses, groups, related clippings."""

    def __init__(self, cfg: DigestSettings, index: DigestIndex, entries: dict[str, Entry]):
        self.cfg = cfg
        self.index = index
        self._entries = entries
        self._registry = load_registry()
        self.settings = cfg.values
        site = str(cfg.values.get("SITEURL") or "")
        self.site_url = site.rstrip("/") if site.startswith(("http://", "https://")) else ""

    # addresses -----------------------------------------------------------------------
    def listing_url(self, kind: str, slug: str) -> str | None:
        """The first page of a listing, or None when that page type is off or absent."""
        if not self.cfg.values[f"{PREFIX[kind]}_SAVE_AS"]:
            return None
        return self.cfg.url(PREFIX[kind], slug=slug)

    def month_url(self, kind: str | None, slug: str, month: str) -> str | None:
        year, mon = month.split("/")
        key = f"{PREFIX[kind]}_MONTH" if kind else "MONTH"
        if not self.cfg.values[f"{key}_SAVE_AS"] or (kind and not self.listing_url(kind, slug)):
            return None
        return self.cfg.url(key, slug=slug, year=year, month=mon)

    def feed_url(self, kind: str | None, slug: str = "") -> str | None:
        key = f"{PREFIX[kind]}_FEED_ATOM_SAVE_AS" if kind else "FEED_ALL_ATOM_SAVE_AS"
        pattern = self.cfg.values[key]
        return pattern.format(slug=slug) if pattern else None

    def index_url(self, kind: str) -> str | None:
        key = PLURALS[kind].upper()
        if not self.cfg.values[f"{key}_SAVE_AS"] or not self.cfg.values[f"{PREFIX[kind]}_SAVE_AS"]:
            return None  # an index of pages that are switched off would only hold dead links
        return self.cfg.values[f"{key}_URL"]

    def country_url(self, country: Country) -> str | None:
        return self.listing_url("country", country.slug) if self.index.country(country) else None

    def pair_url(self, pair: Pair) -> str | None:
        return self.listing_url("pair", pair.slug) if self.index.pair(pair) else None

    def label_url(self, kind: str, name: str) -> str | None:
        return self.listing_url(kind, slugify(name))

    # clippings ----------------------------------------------------------------------
    def entry(self, clipping: Clipping) -> Entry:
        return self._entries[clipping.path]

    def entries(self, clippings: list[Clipping]) -> list[Entry]:
        return [self._entries[c.path] for c in clippings]

    def related(self, clipping: Clipping) -> list[Entry]:
        return self.entries(self.index.related(clipping, self.cfg["DIGEST_RELATED"]))

    def neighbours(self, clipping: Clipping, pair: Pair) -> tuple[Entry | None, Entry | None]:
        older, newer = self.index.neighbours(clipping, pair)
        return (self._entries[older.path] if older else None,
                self._entries[newer.path] if newer else None)

    def nav(self, pages) -> list[tuple[str, str]]:
        """The site's sections and pages as (label, url), computed once per build."""
        labels = {"country": "Countries", "pair": "Pairs", "region": "Regions",
                  "source": "Sources", "category": "Categories", "topic": "Topics"}
        out = [(labels[k], u) for k in ("country", "pair", "region", "source", "category",
                                         "topic") if (u := self.index_url(k))]
        if self.cfg.values["MONTHS_SAVE_AS"]:
            out.append(("Months", self.cfg.values["MONTHS_URL"]))
        if self.cfg.values["SEARCH_SAVE_AS"]:
            out.append(("Search", self.cfg.values["SEARCH_URL"]))
        out.extend((p.title, p.url) for p in pages)
        return out

    def outlet(self, name: str) -> str:
        """A one-line description of an outlet: 'TASS — state news agency, Russia'."""
        match = self._registry.resolve(name)
        if not match:
            return ""
        from ..gazetteer import load_gazetteer

        source = match.source
        country = load_gazetteer().by_code.get(source.country)
        parts = [p for p in (source.kind, country.name if country else "") if p]
        return ", ".join(parts)

    def timeline(self, group: Group) -> list[dict[str, Any]]:
        """Bars for an inline SVG chart of clippings per month, gaps included, oldest first."""
        counts = {m: len(cs) for m, cs in group.months()}
        first, last = group.first.day, group.last.day
        months = []
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            months.append(f"{y:04d}/{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        top = max(counts.values())
        bars = []
        for i, month in enumerate(months):
            n = counts.get(month, 0)
            height = round(60 * n / top) if n else 0
            bars.append({"month": month, "count": n, "x": i * 12, "height": height,
                         "y": 64 - height,
                         "url": self.month_url(group.kind, group.slug, month) if n else None})
        return bars

    def matrix(self) -> dict[str, Any]:
        """The co-occurrence matrix of the most-named countries, with shading levels."""
        limit = self.cfg["DIGEST_MATRIX_COUNTRIES"]
        countries, counts = self.index.matrix()
        busiest = sorted(countries, key=lambda c: (-self.index.country(c).count, c.slug))[:limit]
        shown = sorted(busiest, key=lambda c: c.slug)
        top = max(counts.values(), default=0)
        bounds = _levels(top)

        def level(n: int) -> int:
            return next(i for i, b in enumerate(bounds, 1) if n <= b) if n else 0

        rows = []
        for a in shown:
            cells = []
            for b in shown:
                n = counts.get((a.code, b.code), 0) if a != b else 0
                pair = Pair.of(a, b) if a != b else None
                cells.append({"count": n, "level": level(n), "same": a == b,
                              "url": self.pair_url(pair) if pair and n else None})
            rows.append((a, cells))
        legend = []
        low = 1
        for i, b in enumerate(bounds, 1):
            legend.append((i, low, b))
            low = b + 1
        return {"countries": shown, "rows": rows, "legend": legend,
                "all": len(countries), "pairs": self.index.pairs_busiest()}

    @staticmethod
    def jsonld(data: dict[str, Any]) -> Markup:
        """JSON-LD for a <script> block: `<`, `>` and `&` escaped so no text can close it."""
        text = json.dumps({k: v for k, v in data.items() if v not in (None, "", [])},
                          ensure_ascii=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))

    @staticmethod
    def archive_url(clipping: Clipping) -> str | None:
        """The Wayback Machine's copy nearest the clipping's date, built without a request."""
        if not clipping.source_url:
            return None
        return f"https://web.archive.org/web/{clipping.day:%Y%m%d}/{clipping.source_url}"


class DigestGenerator(Generator):
    """Writes country, pair, region, category, source and topic listings with their month
    pages and feeds, the index pages, the home page and the open data files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cfg = digest_settings(self.settings)
        self.index: DigestIndex | None = None
        self.view: SiteView | None = None

    def generate_context(self) -> None:
        articles = [a for a in self.context.get("articles", []) if hasattr(a, "clipping")]
        entries = {a.clipping.path: make_entry(a) for a in articles}
        self.index = DigestIndex([a.clipping for a in articles],
                                 self.cfg["DIGEST_PAIR_MIN_CLIPPINGS"])
        self.view = SiteView(self.cfg, self.index, entries)
        self.context["digest"] = self.view
        self.context["digest_nav"] = self.view.nav(self.context.get("pages", []))
        self.context["digest_feed"] = self.view.feed_url(None)
        self.context["KIND_TITLES"] = KIND_TITLES

    # output ---------------------------------------------------------------------------
    def generate_output(self, writer) -> None:
        assert self.index is not None and self.view is not None
        jobs: list[tuple] = []

        def write(name, template, context, **kwargs):
            if name:
                jobs.append(("page", name, template, kwargs))

        self._article_jobs(write)
        latest = self.cfg["DIGEST_LISTING_LATEST"]
        listing = self.get_template("listing")
        month_tpl = self.get_template("month")
        for kind in LISTINGS:
            key = PREFIX[kind]
            for group in self.index.groups[kind]:
                months = group.months()
                url = self.view.listing_url(kind, group.slug)
                if url:
                    write(self.cfg.save_as(key, slug=group.slug), listing, self.context,
                          url=url, kind=kind, group=group, months=months,
                          entries=self.view.entries(group.clippings[:latest]),
                          template_name="listing", page_name=url.rstrip("/"))
                for month, clippings in months:
                    save_as = self._month_save_as(kind, group.slug, month) if url else ""
                    if save_as:
                        self._month_pages(write, month_tpl, save_as,
                                          self.view.month_url(kind, group.slug, month),
                                          clippings, kind=kind, group=group, month=month,
                                          months=months)
                jobs.append(("feed", kind, group))
            index_key = PLURALS[kind].upper()
            if self.view.index_url(kind):
                groups = (self.index.pairs_busiest() if kind == "pair"
                          else self.index.groups[kind])
                extra = {}
                if kind == "country":
                    extra["matrix"] = self.view.matrix()
                template = PLURALS[kind] if kind in ("country", "pair") else "groups"
                write(self.cfg.values[f"{index_key}_SAVE_AS"], self.get_template(template),
                      self.context, url=self.cfg.values[f"{index_key}_URL"], kind=kind,
                      groups=groups, template_name=PLURALS[kind], **extra)
        self._home_and_months(write)
        if self.cfg.values["SEARCH_SAVE_AS"]:
            write(self.cfg.values["SEARCH_SAVE_AS"], self.get_template("search"), self.context,
                  url=self.cfg.values["SEARCH_URL"], template_name="search")
        # The 404 page is served at any depth, so its links cannot be relative.
        write("404.html", self.get_template("404"), self.context, relative_urls=False,
              url="404.html", template_name="404")
        jobs.append(("feed", None, None))
        _check_unique(jobs)
        run_jobs(jobs, partial(self._run_job, writer), self.settings.get("DIGEST_JOBS"))
        self._data()

    def _article_jobs(self, write) -> None:
        """Clipping pages: written here, in parallel with the rest, instead of by Pelican
        (`digest build` hands Pelican an empty ARTICLE_SAVE_AS and keeps the pattern here)."""
        pattern = self.settings.get("DIGEST_ARTICLE_SAVE_AS")
        if not pattern:
            return
        for article in self.context.get("articles", []):
            write(pattern.format(**article.url_format), self.get_template(article.template),
                  self.context, article=article, category=None, url=article.url, blog=True)

    def _run_job(self, writer, job: tuple) -> None:
        if job[0] == "feed":
            self._feed(job[1], job[2])
            return
        _, name, template, kwargs = job
        kwargs.setdefault("relative_urls", self.settings["RELATIVE_URLS"])
        writer.write_file(name, template, self.context, **kwargs)

    def _month_save_as(self, kind: str | None, slug: str, month: str) -> str:
        year, mon = month.split("/")
        key = f"{PREFIX[kind]}_MONTH" if kind else "MONTH"
        return self.cfg.save_as(key, slug=slug, year=year, month=mon)

    def _month_pages(self, write, template, save_as: str, url: str, clippings: list[Clipping],
                     **kwargs) -> None:
        """A month page; a month with more than DIGEST_MONTH_MAX clippings lists its days,
        each on its own page (`.../days/DD/`), so that no page grows past its budget."""
        if len(clippings) <= self.cfg["DIGEST_MONTH_MAX"]:
            write(save_as, template, self.context, url=url,
                  entries=self.view.entries(clippings), template_name="month", **kwargs)
            return
        by_day: dict[str, list[Clipping]] = {}
        for c in clippings:
            by_day.setdefault(f"{c.day.day:02d}", []).append(c)
        folder = save_as.rsplit("/", 1)[0] + "/" if "/" in save_as else ""
        days = [(d, len(cs), f"{url}days/{d}/") for d, cs in by_day.items()]
        write(save_as, template, self.context, url=url, entries=[], days=days,
              template_name="month", **kwargs)
        for d, cs in by_day.items():
            write(f"{folder}days/{d}/index.html", template, self.context, url=f"{url}days/{d}/",
                  entries=self.view.entries(cs), day=d, month_url=url, template_name="month",
                  **kwargs)

    def _home_and_months(self, write) -> None:
        assert self.index is not None and self.view is not None
        months = list(self.index.by_month.items())
        write("index.html", self.get_template("index"), self.context, url="",
              entries=self.view.entries(self.index.clippings[: self.cfg["DIGEST_HOME_LATEST"]]),
              busiest=self.index.busiest_pairs(self.cfg["DIGEST_HOME_PAIR_DAYS"]),
              months=months, template_name="index", page_name="index")
        month_tpl = self.get_template("month")
        for month, clippings in months:
            save_as = self._month_save_as(None, "", month)
            if save_as:
                self._month_pages(write, month_tpl, save_as, self.view.month_url(None, "", month),
                                  clippings, kind=None, group=None, month=month, months=months)
        if self.cfg.values["MONTHS_SAVE_AS"]:
            write(self.cfg.values["MONTHS_SAVE_AS"], self.get_template("months"), self.context,
                  url=self.cfg.values["MONTHS_URL"], months=months, template_name="months")

    # feeds --------------------------------------------------------------------------
    def _feed(self, kind: str | None, group: Group | None) -> None:
        assert self.index is not None and self.view is not None
        slug = group.slug if group else ""
        path = self.view.feed_url(kind, slug)
        if not path:
            return
        site = self.settings.get("SITEURL", "").rstrip("/")
        sitename = self.settings.get("SITENAME", "Digest")
        clippings = (group.clippings if group else self.index.clippings)
        clippings = clippings[: self.cfg["DIGEST_FEED_MAX_ITEMS"]]
        if group:
            title = f"{sitename}: {group.name}"
            link = self.view.listing_url(kind, slug) or ""
        else:
            title, link = sitename, ""
        feed = Atom1Feed(title=title, link=f"{site}/{link}", description="",
                         feed_url=f"{site}/{path}", language=self.settings.get("DEFAULT_LANG", "en"),
                         feed_guid=f"{site}/{path}")
        for c in clippings:
            entry = self.view.entry(c)
            url = f"{site}/{entry.url}"
            feed.add_item(
                title=c.title, link=url, description=entry.summary,
                unique_id=get_tag_uri(url, c.day) if site else url,
                author_name=c.author or None, pubdate=date_key(c.date), updateddate=date_key(c.date),
                categories=[x.name for x in c.countries] + [r.name for r in c.regions]
                + list(c.topics),
            )
        target = sanitised_join(self.output_path, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        buffer = io.StringIO()
        feed.write(buffer, "utf-8")
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(buffer.getvalue())

    # open data ----------------------------------------------------------------------
    def _data(self) -> None:
        assert self.index is not None and self.view is not None
        folder = self.cfg["DIGEST_DATA_SAVE_AS"]
        if not folder:
            return
        site = self.settings.get("SITEURL", "").rstrip("/")
        out = sanitised_join(self.output_path, folder)
        os.makedirs(out, exist_ok=True)
        oldest_first = list(reversed(self.index.clippings))
        records = [clipping_record(c, self.view, site) for c in oldest_first]
        _write_json(os.path.join(out, "clippings.json"), {"version": 1, "clippings": records})
        _write_csv(os.path.join(out, "clippings.csv"), records)
        pairs = []
        for group in self.index.pairs_busiest():
            pair: Pair = group.entity
            pairs.append({
                "pair": pair.key, "slug": pair.slug, "name": pair.name,
                "countries": [pair.a.code, pair.b.code],
                "country_names": [pair.a.name, pair.b.name],
                "count": group.count, "first": group.first.day.isoformat(),
                "last": group.last.day.isoformat(),
                "url": _abs(site, self.view.listing_url("pair", pair.slug)),
            })
        _write_json(os.path.join(out, "pairs.json"), {"version": 1, "pairs": pairs})
        countries = []
        for group in self.index.groups["country"]:
            country: Country = group.entity
            countries.append({
                "code": country.code, "name": country.name, "slug": country.slug,
                "count": group.count, "first": group.first.day.isoformat(),
                "last": group.last.day.isoformat(),
                "partners": [{"code": (p.b if p.a == country else p.a).code, "count": n}
                             for p, n in self.index.partners(country)],
                "url": _abs(site, self.view.listing_url("country", country.slug)),
            })
        _write_json(os.path.join(out, "countries.json"), {"version": 1, "countries": countries})


def _check_unique(jobs: list[tuple]) -> None:
    """Two pages for one file would silently keep one: refuse, naming the file."""
    seen: set[str] = set()
    for job in jobs:
        if job[0] == "page":
            name = os.path.normpath(job[1])
            if name in seen:
                raise DigestError(f"two pages would be written to {name}: a slug or a URL "
                                  "setting makes them collide")
            seen.add(name)


def run_jobs(jobs: list[tuple], run, processes: int | None = None) -> None:
    """Run page and feed jobs, split over forked processes on a multi-core machine.

    Rendering is per-page work, so it pays to use every core. Each child reports the warnings
    it logged back through a pipe, and the parent logs them again so that the build still
    fails on any of them; a child that fails makes the whole output fail.
    """
    processes = processes or min(os.cpu_count() or 1, 8)
    if processes < 2 or len(jobs) < 400 or not hasattr(os, "fork"):
        for job in jobs:
            run(job)
        return
    children = []
    for i in range(1, processes):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its share, then report and leave without cleanup
            os.close(read_end)
            code = 0
            records = _capture_warnings()
            try:
                for job in jobs[i::processes]:
                    run(job)
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                records.messages.append(f"error: {type(exc).__name__}: {exc}")
                code = 1
            with os.fdopen(write_end, "w", encoding="utf-8") as fh:
                json.dump(records.messages, fh)
            os._exit(code)
        os.close(write_end)
        children.append((pid, read_end))
    failure = None
    try:
        for job in jobs[0::processes]:
            run(job)
    except BaseException as exc:
        failure = exc
    logger = logging.getLogger("pelican")
    for pid, read_end in children:
        with os.fdopen(read_end, encoding="utf-8") as fh:
            messages = json.loads(fh.read() or "[]")
        _, status = os.waitpid(pid, 0)
        for message in messages:
            logger.warning("%s", message)
        if os.waitstatus_to_exitcode(status) != 0 and failure is None:
            failure = DigestError("a page-writing process failed: "
                                  + "; ".join(messages[-3:]))
    if failure is not None:
        raise failure


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def _capture_warnings() -> _Records:
    handler = _Records()
    root = logging.getLogger()
    root.handlers = [handler]
    logging.getLogger("pelican").handlers = []
    return handler


def _levels(top: int) -> list[int]:
    """Upper bounds of up to five shading levels for counts from 1 to `top`."""
    if top <= 5:
        return list(range(1, top + 1))
    bounds = sorted({max(1, round(top * f)) for f in (0.1, 0.25, 0.5, 0.75, 1.0)})
    return bounds


def _abs(site: str, url: str | None) -> str | None:
    return None if url is None else f"{site}/{url}"


def clipping_record(c: Clipping, view: SiteView, site: str) -> dict[str, Any]:
    """One clipping in the open data files (the format is documented in docs/data.md)."""
    return {
        "slug": c.slug,
        "title": c.title,
        "date": format_date(c.date),
        "category": c.category,
        "countries": [x.code for x in c.countries],
        "country_names": [x.name for x in c.countries],
        "regions": [r.name for r in c.regions],
        "topics": list(c.topics),
        "source": c.source,
        "author": c.author,
        "author_role": c.author_role,
        "source_url": c.source_url,
        "source_site": c.source_site,
        "source_title": c.source_title,
        "pairs": [p.key for p in c.pairs],
        "url": f"{site}/{view.entry(c).url}",
    }


def _write_json(path: str, data: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")


CSV_COLUMNS = ("slug", "title", "date", "category", "countries", "regions", "topics", "source",
               "author", "author_role", "source_url", "source_site", "source_title", "pairs",
               "url")


def _write_csv(path: str, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in records:
            writer.writerow(["|".join(v) if isinstance(v, list) else ("" if v is None else v)
                             for v in (r[k] for k in CSV_COLUMNS)])
