"""What templates may ask of the digest: entries, addresses, groups, timelines, the matrix."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Callable

from jinja2 import pass_context
from markupsafe import Markup

from digest.core.gazetteer import load_gazetteer
from digest.core.index import DigestIndex, Group
from digest.core.languages import language_name
from digest.core.model import Clipping, Country, Pair, format_date, load_all, slugify
from digest.core.notes import Notes
from digest.core.registry import load_registry
from digest.core.trends import Thresholds, TrendRow, trend
from digest.core.weeks import week_of
from digest.core.worldmap import choropleth
from digest.plugin.planner import signature
from digest.plugin.settings import PLURALS, PREFIX, DigestSettings

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# The timeline's geometry, in pixels: a month's step, the plot's height, the room above it
# for the counts and to its right for the scale.
TIMELINE_STEP, TIMELINE_PLOT, TIMELINE_TOP, TIMELINE_AXIS = 26, 100, 16, 34


def month_range(newest: str, oldest: str) -> list[str]:
    """Every month from `newest` back to `oldest` (`YYYY/MM`), newest first."""
    y, m = int(newest[:4]), int(newest[5:])
    out = []
    while f"{y:04d}/{m:02d}" >= oldest:
        out.append(f"{y:04d}/{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def nice_ceiling(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least `n` (a scale's top)."""
    step = 1
    while True:
        for f in (1, 2, 5):
            if f * step >= n:
                return f * step
        step *= 10


TREND_KINDS = ("country", "pair")  # the listings with a trend table

KIND_TITLES = {"country": "Country", "pair": "Country pair", "region": "Region",
               "category": "Category", "source": "Source", "topic": "Topic"}


@dataclass(frozen=True, slots=True)
class Entry:
    """A clipping as listings show it, with its address computed once (Pelican recomputes an
    article's URL on every access)."""

    url: str
    title: str
    clipping: Clipping
    summary: Markup  # HTML: its text escaped
    date_iso: str
    day: str
    meta: str
    day_month: str  # "30 Apr": the date where the month is given already (a month's heading)


    def meta_on(self, kind: str | None, entity) -> str:
        """`meta` on the listing of a country, pair or source (`kind`, `entity`): what the
        listing is about is not repeated; other countries are named after "also"."""
        if kind not in ("country", "pair", "source"):
            return self.meta
        c = self.clipping
        known = (entity.a, entity.b) if kind == "pair" else (entity,)
        others = ", ".join(x.name for x in c.countries if x not in known)
        if kind == "source":
            return others
        return f"{c.source} · also {others}" if others else c.source


def make_entry(c: Clipping, url: str, summary: str) -> Entry:
    """The listing entry of a clipping (`summary`: its plain text)."""
    meta = f"{c.source} · {', '.join(x.name for x in c.countries)}"
    day = c.day
    return Entry(url, c.title, c, Markup(html.escape(summary, quote=False)), format_date(c.date), day.isoformat(), meta,
                 f"{day.day} {_MONTH_ABBR[day.month - 1]}")


@dataclass(frozen=True, slots=True)
class ArticleView:
    """What the article template reads of a clipping: its data, summary and excerpt HTML."""

    clipping: Clipping
    summary: str
    content: str
    url: str


class PerClipping(dict):
    """Values made from a clipping when first asked for (`of`), kept by its path."""

    def __init__(self, make: Callable[[Clipping], Any]):
        super().__init__()
        self._make = make

    def of(self, c: Clipping) -> Any:
        value = self.get(c.path)
        if value is None:
            value = self[c.path] = self._make(c)
        return value


class SiteView:
    """What templates may ask of the digest: addresses, groups, related clippings."""

    def __init__(self, cfg: DigestSettings, index: DigestIndex, entries: dict[str, Entry],
                 prefetch: Callable[[list[str]], None] | None = None,
                 notes: Notes | None = None):
        self.cfg = cfg
        self.index = index
        self.notes = notes or Notes()
        self._trends: dict[tuple[str, str], list[TrendRow]] = {}
        self.thresholds = Thresholds(cfg["DIGEST_TREND_RISE"], cfg["DIGEST_TREND_FALL"],
                                     cfg["DIGEST_TREND_LEAST"])
        self._entries = entries
        self._prefetch = prefetch  # given the paths of entries about to be made
        self._related: dict[str, list[Entry]] = {}
        self._neighbours: dict[tuple[str, str], tuple[Entry | None, Entry | None]] = {}
        self._registry = load_registry()
        self._listing_urls: dict[tuple[str, str], str | None] = {}
        self._outlets: dict[str, str] = {}
        self.settings = cfg.values
        site = str(cfg.values.get("SITEURL") or "")
        self.site_url = site.rstrip("/") if site.startswith(("http://", "https://")) else ""

    # addresses -----------------------------------------------------------------------
    def listing_url(self, kind: str, slug: str) -> str | None:
        """The first page of a listing, or None when that page type is off or absent."""
        key = (kind, slug)
        if key not in self._listing_urls:  # (asked for by every link to a listing)
            self._listing_urls[key] = self.cfg.url(PREFIX[kind], slug=slug) \
                if self.cfg.values[f"{PREFIX[kind]}_SAVE_AS"] else None
        return self._listing_urls[key]

    def month_url(self, kind: str | None, slug: str, month: str) -> str | None:
        year, mon = month.split("/")
        key = f"{PREFIX[kind]}_MONTH" if kind else "MONTH"
        if kind and self.whole(kind, slug):  # the month's heading on the listing's page
            return f"{self.listing_url(kind, slug)}#{year}-{mon}"
        if not self.cfg.values[f"{key}_SAVE_AS"] or (kind and not self.listing_url(kind, slug)):
            return None
        return self.cfg.url(key, slug=slug, year=year, month=mon)

    def whole(self, kind: str, slug: str) -> bool:
        """Whether a listing shows all its clippings on one page (and has no month pages)."""
        group = self.index.by_slug(kind, slug)
        return bool(group and self.listing_url(kind, slug)
                    and group.count <= self.cfg["DIGEST_LISTING_ALL"])

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

    def group_url(self, kind: str, slug: str) -> str | None:
        """The first page of a listing that exists (a pair under the threshold has none)."""
        return self.listing_url(kind, slug) if self.index.by_slug(kind, slug) else None

    def label_url(self, kind: str, name: str) -> str | None:
        return self.listing_url(kind, slugify(name))

    # clippings ----------------------------------------------------------------------
    def entry(self, clipping: Clipping) -> Entry:
        return self._entries.of(clipping)

    def entries(self, clippings: list[Clipping]) -> list[Entry]:
        missing = [c for c in clippings if c.path not in self._entries]
        if missing:
            load_all(missing)  # deferred clippings (kept unread from the last build): in one go
            if self._prefetch is not None:
                self._prefetch([c.path for c in missing])
        return [self._entries.of(c) for c in clippings]

    def related(self, clipping: Clipping) -> list[Entry]:
        """Related clippings (asked for by the page's signature, then by its template), other
        than the older same-pair neighbours the page links already."""
        found = self._related.get(clipping.path)
        if found is None:
            linked = frozenset(older.clipping.path for pair in clipping.pairs
                               if self.pair_url(pair)
                               for older in self.neighbours(clipping, pair)[:1] if older)
            found = self._related[clipping.path] = self.entries(
                self.index.related(clipping, self.cfg["DIGEST_RELATED"], exclude=linked))
        return found

    def neighbours(self, clipping: Clipping, pair: Pair) -> tuple[Entry | None, Entry | None]:
        key = (clipping.path, pair.slug)
        found = self._neighbours.get(key)
        if found is None:
            older, newer = self.index.neighbours(clipping, pair)
            found = self._neighbours[key] = (self._entries.of(older) if older else None,
                                             self._entries.of(newer) if newer else None)
        return found

    def nav(self, pages) -> list[tuple[str, str]]:
        """The site's sections and pages as (label, url), computed once per build: a kind
        with no listing yet (no clipping names a region) is not offered."""
        labels = {"country": "Countries", "pair": "Pairs", "region": "Regions",
                  "source": "Sources", "category": "Categories", "topic": "Topics"}
        out = [(labels[k], u) for k in ("country", "pair", "region", "source", "category",
                                         "topic")
               if self.index.groups[k] and (u := self.index_url(k))]
        if self.cfg.values["MONTHS_SAVE_AS"]:
            out.append(("Months", self.cfg.values["MONTHS_URL"]))
        if self.cfg.values["WEEKS_SAVE_AS"] and self.cfg.values["WEEK_SAVE_AS"] \
                and self.index.clippings:
            out.append(("Weekly", self.cfg.values["WEEKS_URL"]))
        if self.cfg.values["SEARCH_SAVE_AS"]:
            out.append(("Search", self.cfg.values["SEARCH_URL"]))
        out.extend((p.title, p.url) for p in pages)
        return out

    def outlet(self, name: str) -> str:
        """A one-line description of an outlet: 'TASS — state news agency, Russia'."""
        found = self._outlets.get(name)
        if found is None:
            found = self._outlets[name] = self._describe(name)
        return found

    def _describe(self, name: str) -> str:
        match = self._registry.resolve(name)
        if not match:
            return ""
        source = match.source
        country = load_gazetteer().by_code.get(source.country)
        parts = [p for p in (source.kind, country.name if country else "") if p]
        return ", ".join(parts)

    def timeline(self, group: Group) -> dict[str, Any] | None:
        """An inline SVG chart of clippings per month, gaps included, oldest first: bars with
        their counts, month ticks (the year under each January) and a count scale; None for
        a listing of one month."""
        counts = {m: len(cs) for m, cs in group.months()}
        months = month_range(group.last.month, group.first.month)[::-1]
        if len(months) < 2:
            return None
        top = nice_ceiling(max(counts.values()))
        bars = []
        for i, month in enumerate(months):
            n = counts.get(month, 0)
            height = round(TIMELINE_PLOT * n / top) if n else 0
            x = i * TIMELINE_STEP
            year, mon = int(month[:4]), int(month[5:])
            bars.append({"month": month, "count": n, "x": x, "height": height,
                         "y": TIMELINE_TOP + TIMELINE_PLOT - height,
                         "label": _MONTH_ABBR[mon - 1],
                         "year": year if mon == 1 or i == 0 else None,
                         "url": self.month_url(group.kind, group.slug, month) if n else None})
        plot_width = len(months) * TIMELINE_STEP
        scale = [{"value": v, "y": TIMELINE_TOP + TIMELINE_PLOT - round(TIMELINE_PLOT * v / top)}
                 for v in sorted({0, top // 2, top})]
        return {"bars": bars, "scale": scale, "width": plot_width + TIMELINE_AXIS,
                "plot_width": plot_width, "height": TIMELINE_TOP + TIMELINE_PLOT + 34,
                "base": TIMELINE_TOP + TIMELINE_PLOT, "bar": TIMELINE_STEP - 4,
                "first": months[0], "last": months[-1], "top": top}

    def matrix(self) -> dict[str, Any]:
        """The co-occurrence matrix of every country that has a pair (or of the
        DIGEST_MATRIX_COUNTRIES most named, where that is set), with shading levels, and
        every pair with a page, busiest first."""
        limit = self.cfg["DIGEST_MATRIX_COUNTRIES"] or None
        countries, counts = self.index.matrix()
        busiest = sorted(countries, key=lambda c: (-self.index.country(c).count, c.slug))[:limit]
        shown = sorted(busiest, key=lambda c: c.slug)
        top = max(counts.values(), default=0)
        bounds = _levels(top)

        def level(n: int) -> int:
            return _level(bounds, n)

        rows = []
        for a in shown:
            cells = []
            for b in shown:
                n = counts.get((a.code, b.code), 0) if a != b else 0
                pair = Pair.of(a, b) if a != b else None
                cells.append({"count": n, "level": level(n), "same": a == b,
                              "url": self.pair_url(pair) if pair and n else None})
            rows.append((a, cells))
        return {"countries": shown, "rows": rows, "legend": _legend(bounds),
                "all": len(countries), "pairs": self.index.pairs_busiest()}

    def week_links(self, clippings: list[Clipping]) -> list[tuple[str, str]]:
        """The weeks these clippings are in, newest first, as (label, address of the week's
        issue); none when weekly pages are off."""
        if not self.cfg.values["WEEK_SAVE_AS"]:
            return []
        weeks = sorted({week_of(c.day) for c in clippings}, reverse=True)
        return [(f"week {int(w[-2:])}", self.cfg.url("WEEK", week=w)) for w in weeks]

    # trends and notes ---------------------------------------------------------------
    @property
    def newest_month(self) -> str | None:
        """The digest's newest month (`YYYY/MM`), which trend tables run to."""
        return next(iter(self.index.by_month), None)

    def trends(self, group: Group) -> list[TrendRow]:
        """The trend table of a country or pair: DIGEST_TREND_MONTHS months to the digest's
        newest, newest first (none for other listings, or with the setting at 0)."""
        key = (group.kind, group.slug)
        found = self._trends.get(key)
        if found is None:
            months, anchor = self.cfg["DIGEST_TREND_MONTHS"], self.newest_month
            found = self._trends[key] = trend(
                group.clippings, anchor, months, self.thresholds,
                self.notes.of(group.kind, group.slug)) \
                if group.kind in TREND_KINDS and months and anchor else []
        return found

    def trend_anchor(self, group: Group) -> str:
        """The month a listing's trend table runs to (`2021-04`), "" for no table."""
        month = self.newest_month
        if group.kind not in TREND_KINDS or not self.cfg["DIGEST_TREND_MONTHS"] or not month:
            return ""
        return month.replace("/", "-")

    def trend_signature(self, group: Group) -> str:
        """What a listing's trend table shows, for its page's signature ("" for none)."""
        rows = self.trends(group)
        return signature([f"{r.month}:{r.count}:{r.before}:{r.note or ''}" for r in rows]) \
            if rows else ""

    def rises(self) -> list[tuple[Group, TrendRow]]:
        """The countries and pairs whose newest month is a rise, busiest first (each
        compared on its newest month alone: every listing is, on every build)."""
        anchor, out = self.newest_month, []
        if not anchor or not self.cfg["DIGEST_HOME_RISES"]:
            return []
        for kind in TREND_KINDS:
            for group in self.index.groups[kind]:
                if group.last.month < anchor:  # (nothing this month: no rise)
                    continue
                row = trend(group.clippings, anchor, 1, self.thresholds,
                            self.notes.of(group.kind, group.slug))[0]
                if row.direction == "up":
                    out.append((group, row))
        out.sort(key=lambda gr: (-gr[1].count, gr[0].kind, gr[0].slug))
        return out[:self.cfg["DIGEST_HOME_RISES"]]

    def month_notes(self, kind: str | None, slug: str, month: str
                    ) -> list[tuple[str, str | None, str]]:
        """The notes a month page shows, as (name, its listing's address or None, note):
        a listing's own, or on the whole digest's page every note of the month."""
        if kind:
            note = self.notes.note(kind, slug, month)
            group = self.index.by_slug(kind, slug)
            return [(group.name if group else slug, None, note)] if note else []
        return [(name, self.listing_url(k, s) if self.index.by_slug(k, s) else None, text)
                for k, s, name, text in self.notes.in_month(month)]

    @staticmethod
    def matrix_cells(cells: list[dict[str, Any]], siteurl: str) -> Markup:
        """A matrix row's cells as HTML, made here: a matrix of every country is thousands
        of cells, which the template language would take ten times as long to write."""
        base = html.escape(siteurl, quote=True)
        out = []
        for cell in cells:
            if cell["same"]:
                out.append('<td class="same"></td>')
            elif cell["url"]:
                out.append(f'<td class="s{cell["level"]}"><a href="{base}/'
                           f'{html.escape(cell["url"], quote=True)}">{cell["count"]}</a></td>')
            elif cell["count"]:
                out.append(f'<td class="s{cell["level"]}">{cell["count"]}</td>')
            else:
                out.append("<td></td>")
        return Markup("".join(out))

    def world_map(self) -> dict[str, Any] | None:
        """The choropleth of the countries page: each country with clippings shaded by its
        count and linked to its page, the other countries of the region as land."""
        groups = {g.entity.code: g for g in self.index.groups["country"]}
        bounds = _levels(max((g.count for g in groups.values()), default=0))

        def level(n: int) -> int:
            return _level(bounds, n)

        found = choropleth({code: g.count for code, g in groups.items()}, level)
        if found is None:
            return None
        for shape in found["shapes"]:
            group = groups.get(shape["code"]) if shape["count"] else None
            shape["url"] = self.listing_url("country", group.slug) if group else None
            shape["name"] = group.name if group else shape["name"]
        found["missing"] = sorted((g for code, g in groups.items() if code not in found["shown"]),
                                  key=lambda g: g.slug)
        found["legend"] = _legend(bounds)
        found["rows"] = sorted(groups.values(), key=lambda g: (-g.count, g.slug))
        return found

    @staticmethod
    def language(code: str | None) -> str | None:
        """The English name of an original's language (`ru` → Russian)."""
        return language_name(code) if code else None

    @staticmethod
    def search_value(text: str) -> str | None:
        """A search filter's value as Pagefind must be given it, where that differs from
        the text: Pagefind decodes the HTML entities of a filter's text once more than the
        page does (the search page decodes them once, as text); so a value with `&` (or,
        were the rules to let one through, `<`) is given escaped twice (the template escapes
        it a third time). None for a value that is the same either way, which the page's
        own link carries."""
        once = html.escape(text, quote=False)
        return html.escape(once, quote=False) if once != text else None

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


@pass_context
def href(context, url: str) -> str:
    """The link to a site address (`2023/06/slug/`) from the page being written: with relative
    URLs, the shortest relative path (`../slug/` between clippings of a month), else under
    SITEURL. Most links on a clipping page go to clippings near it."""
    if context.get("localsiteurl") is None:  # absolute (or root-relative) addresses
        return f"{context['SITEURL']}/{url}"
    page = context.get("output_file") or ""
    here = page.split("/")[:-1]
    there = url.split("/")
    n, limit = 0, min(len(here), len(there) - 1)
    while n < limit and here[n] == there[n]:
        n += 1
    return "../" * (len(here) - n) + "/".join(there[n:]) or "./"


def _level(bounds: list[int], n: int) -> int:
    """The shading level of a count (0 for none) among the upper bounds of `_levels`."""
    return next(i for i, b in enumerate(bounds, 1) if n <= b) if n else 0


def _legend(bounds: list[int]) -> list[tuple[int, int, int]]:
    """(level, lowest, highest count) of each shading level."""
    legend, low = [], 1
    for i, b in enumerate(bounds, 1):
        legend.append((i, low, b))
        low = b + 1
    return legend


def _levels(top: int) -> list[int]:
    """Upper bounds of up to five shading levels for counts from 1 to `top`, spaced
    geometrically: pair counts are skewed (a few pairs dominate), and even steps would put
    nearly every cell in the lightest shade."""
    if top <= 5:
        return list(range(1, top + 1))
    return sorted({max(1, round(top ** (i / 5))) for i in range(1, 6)})
