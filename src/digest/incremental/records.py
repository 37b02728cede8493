"""A checked clipping as plain data between builds: its record, open data rows, and the clipping made again from them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any, Iterable

from digest.core.model import Clipping

# A clipping's record is a JSON array of these fields, in this order (lists as lists): a build
# reads every record, and arrays decode in about half the time that objects with keys do.
RECORD_FIELDS = ("title", "date", "datetime", "category", "countries", "source", "slug",
                 "regions", "topics", "author", "author_role", "source_url", "source_site",
                 "source_title", "lang", "summary", "path", "redirect_from", "url_key")


def clipping_record(c: Clipping, url_key: str | None = None) -> list[Any]:
    """A clipping as plain JSON data in RECORD_FIELDS order (countries by code, regions by
    slug), with the duplicate check's key of its source_url."""
    return [c.title, c.date.isoformat(), isinstance(c.date, dt.datetime), c.category,
            [x.code for x in c.countries], c.source, c.slug, [r.slug for r in c.regions],
            list(c.topics), c.author, c.author_role, c.source_url, c.source_site,
            c.source_title, c.lang, c.summary, c.path, list(c.redirect_from), url_key]


URL_KEY = RECORD_FIELDS.index("url_key")


# The fields the checks across files compare in every clipping (validate.corpus_problems),
# kept apart in the build's snapshot, so that those checks read no record of the clippings
# an incremental build keeps unread.
_ACROSS = ("slug", "category", "source", "topics", "url_key")


_ACROSS_AT = tuple(RECORD_FIELDS.index(name) for name in _ACROSS)


def _across_line(record: list[Any]) -> bytes:
    """A record's fields of `_ACROSS`, as a line of the snapshot."""
    return json.dumps([record[i] for i in _ACROSS_AT], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


_UTC = dt.timezone.utc


# Few dates and few sets of countries recur over many clippings: each is decoded once (a
# build reads every record) and shared by the clippings that have it.
_DATES: dict[str, tuple[Any, dt.date, dt.datetime, str]] = {}


_COUNTRIES: dict[tuple[str, ...], tuple[Any, tuple, tuple]] = {}


def _date_of(text: str, is_datetime: bool) -> tuple[Any, dt.date, dt.datetime, str]:
    """(date, day, sort moment, month) of an ISO date or datetime text."""
    found = _DATES.get(text)
    if found is None:
        if is_datetime:
            date = dt.datetime.fromisoformat(text)
            day, moment = date.date(), date
        else:
            date = day = dt.date.fromisoformat(text)
            moment = dt.datetime(date.year, date.month, date.day, tzinfo=_UTC)
        if len(_DATES) > 100_000:
            _DATES.clear()
        found = _DATES[text] = (date, day, moment, f"{text[:4]}/{text[5:7]}")
    return found


def _countries_of(codes: list[str], gazetteer) -> tuple[tuple, tuple]:
    """(countries, their pairs) for country codes, from this gazetteer."""
    key = tuple(codes)
    found = _COUNTRIES.get(key)
    if found is None or found[0] is not gazetteer:
        countries = tuple([gazetteer.by_code[code] for code in codes])
        probe = object.__new__(Clipping)
        probe.__dict__["countries"] = countries
        if len(_COUNTRIES) > 100_000:
            _COUNTRIES.clear()
        found = _COUNTRIES[key] = (gazetteer, countries, probe.pairs)
    return found[1], found[2]


def _record_fields(r: list[Any], gazetteer, path: str | None) -> dict[str, Any]:
    """The instance fields of the clipping of a record, derived values included."""
    (title, text, is_datetime, category, codes, source, slug, regions, topics, author,
     author_role, source_url, source_site, source_title, lang, summary, rpath, redirects,
     _key) = r
    date, day, moment, month = _date_of(text, is_datetime)
    countries, pairs = _countries_of(codes, gazetteer)
    return dict(
        title=title, date=date, category=category, countries=countries,
        source=source, slug=slug, body="",
        regions=tuple([gazetteer.by_slug[s] for s in regions]) if regions else (),
        topics=tuple(topics), author=author, author_role=author_role, source_url=source_url,
        source_site=source_site, source_title=source_title, lang=lang, summary=summary,
        redirect_from=tuple(redirects) if redirects else (),
        path=rpath if path is None else path,
        day=day, month=month, sort_key=(moment, slug), pairs=pairs,
    )


def clipping_from_record(r: list[Any], gazetteer, path: str | None = None) -> Clipping:
    """The clipping of `clipping_record` (its body is not kept: the rendering is), with the
    derived values every build asks for (`day`, `month`, `sort_key`, `pairs`);
    `tests/test_incremental.py` checks them against a Clipping's own."""
    return Clipping.checked(_record_fields(r, gazetteer, path))


def read_across(clippings: Iterable[Clipping]) -> dict[str, str]:
    """Give every clipping kept from a snapshot among these the fields the checks across
    files compare (`_ACROSS`) from its snapshot's block of them, leaving its record unread if
    it is; return the duplicate check's key of each of them that has one, by path."""
    keys: dict[str, str] = {}
    decoded: dict[int, list[list[Any]]] = {}  # by id of the snapshot
    for c in clippings:
        source = c.deferred_from
        if source is None:
            continue
        loader, i = source
        rows = decoded.get(id(loader))
        if rows is None:
            rows = decoded[id(loader)] = loader.snapshot.across_fields()
        slug, category, source_name, topics, key = rows[i]
        d = c.__dict__
        if "title" not in d:  # (else read, with these fields)
            d["slug"], d["category"], d["source"], d["topics"] = slug, category, \
                source_name, tuple(topics)
        if key is not None:
            keys[d["path"]] = key
    return keys


# The open data files' columns (docs/data.md); `url` comes last, added at build time.
CSV_COLUMNS = ("slug", "title", "date", "category", "countries", "regions", "topics", "source",
               "author", "author_role", "source_url", "source_site", "source_title", "lang",
               "pairs", "url")


def open_data_rows(c: Clipping) -> tuple[str, str]:
    """A clipping in the open data files, without its address (docs/data.md): the JSON object
    without its closing brace, and the CSV row without its last cell."""
    record = {
        "slug": c.slug, "title": c.title, "date": c.date.isoformat(), "category": c.category,
        "countries": [x.code for x in c.countries],
        "country_names": [x.name for x in c.countries], "regions": [r.name for r in c.regions],
        "topics": list(c.topics), "source": c.source, "author": c.author,
        "author_role": c.author_role, "source_url": c.source_url,
        "source_site": c.source_site, "source_title": c.source_title, "lang": c.lang,
        "pairs": [p.key for p in c.pairs],
    }
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        [csv_text("|".join(v) if isinstance(v, list) else ("" if v is None else v))
         for v in (record[k] for k in CSV_COLUMNS[:-1])])
    return text[:-1], buffer.getvalue()[:-1]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: a cell that begins as a formula would (`=`,
    `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP's advice on CSV
    injection has it (the JSON keeps the value exact)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass
class Checked:
    """One clipping file checked and rendered: what a later build can reuse unchanged."""

    sha256: str
    rel: str
    record: list[Any]  # clipping_record
    warnings: list[list[Any]]  # [line, message, severity]: a check's problems, kept as they were
    summary: str | None  # None: in the store (`Store.summary`, `Store.load_summaries`)
    data: tuple[str, str] | None  # open_data_rows, unfinished; None: in the store (data_rows)
    html: str | None = None  # loaded only when a page needs it
