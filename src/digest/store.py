"""The build's memory between runs: checked clippings and the output manifest, in SQLite.

Everything is keyed by content: a clipping's check and rendering by the SHA-256 of its bytes
and its path, the whole store by a fingerprint of the code, theme and settings. Values are
JSON and text (never pickles), so a store written by other code can only ever be ignored,
not executed. File times are never consulted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from array import array
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable

from .model import Clipping

SCHEMA = 9

# A clipping's record is a JSON array of these fields, in this order (lists as lists): a build
# reads every record, and arrays decode in about half the time that objects with keys do.
RECORD_FIELDS = ("title", "date", "datetime", "category", "countries", "source", "slug",
                 "regions", "topics", "author", "author_role", "source_url", "source_site",
                 "source_title", "path", "redirect_from", "url_key")


def clipping_record(c: Clipping, url_key: str | None = None) -> list[Any]:
    """A clipping as plain JSON data in RECORD_FIELDS order (countries by code, regions by
    slug), with the duplicate check's key of its source_url."""
    return [c.title, c.date.isoformat(), isinstance(c.date, dt.datetime), c.category,
            [x.code for x in c.countries], c.source, c.slug, [r.slug for r in c.regions],
            list(c.topics), c.author, c.author_role, c.source_url, c.source_site,
            c.source_title, c.path, list(c.redirect_from), url_key]


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
     author_role, source_url, source_site, source_title, rpath, redirects, _key) = r
    date, day, moment, month = _date_of(text, is_datetime)
    countries, pairs = _countries_of(codes, gazetteer)
    return dict(
        title=title, date=date, category=category, countries=countries,
        source=source, slug=slug, body="",
        regions=tuple([gazetteer.by_slug[s] for s in regions]) if regions else (),
        topics=tuple(topics), author=author, author_role=author_role, source_url=source_url,
        source_site=source_site, source_title=source_title,
        redirect_from=tuple(redirects) if redirects else (),
        path=rpath if path is None else path,
        day=day, month=month, sort_key=(moment, slug), pairs=pairs,
    )


def clipping_from_record(r: list[Any], gazetteer, path: str | None = None) -> Clipping:
    """The clipping of `clipping_record` (its body is not kept: the rendering is)."""
    # The record was written from a checked Clipping: its fields are set directly, which is
    # several times faster than a frozen dataclass's __init__ (a build reads thousands), and
    # so are the derived values every build asks for (`day`, `month`, `sort_key`, `pairs`);
    # `tests/test_incremental.py` checks them against a Clipping's own.
    c = object.__new__(Clipping)
    c.__dict__.update(_record_fields(r, gazetteer, path))
    return c


class _Unread:
    """A field of a `StoredClipping`, read from its record when first asked for (a non-data
    descriptor: once read, the instance's own value is found first)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        instance._read()
        return instance.__dict__[self.name]


_COMPARED = tuple(f.name for f in fields(Clipping) if f.compare)


class StoredClipping(Clipping):
    """A clipping of the last build, unchanged since, as its line in the build's snapshot
    (`Snapshot`): its record is decoded only when a field other than its path, day and
    month is asked for. An incremental build of a large digest looks at few of its
    clippings, and reading every record would cost more than the rest of such a build."""

    def _read(self) -> None:
        d = self.__dict__
        record = d["_snapshot"].record(d["_at"])
        d.update(_record_fields(json.loads(record), d["_gazetteer"], d["path"]))

    def __eq__(self, other: object) -> bool:  # as a Clipping's, with any Clipping
        if not isinstance(other, Clipping):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _COMPARED)

    def __hash__(self) -> int:  # a frozen dataclass's: the compared fields
        return hash(tuple(getattr(self, n) for n in _COMPARED))


class _SortKey:
    """A `StoredClipping`'s sort key, from its snapshot's dates and slugs, its record left
    unread: the groups of an incremental build are binary-searched by it."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        d = instance.__dict__
        found = d["sort_key"] = d["_snapshot"].sort_key(d["_at"])
        return found


for _name in (*(f.name for f in fields(Clipping) if f.name != "path"),
              "day", "month", "pairs"):
    setattr(StoredClipping, _name, _Unread(_name))
StoredClipping.sort_key = _SortKey()  # type: ignore[assignment]


def read_all(clippings: Iterable[Clipping]) -> dict[str, str]:
    """Decode every unread clipping among these, in one JSON document (checks across all
    files read every field: one document decodes faster than many small ones); return the
    duplicate check's key of each one decoded that has one, by path."""
    unread = [c for c in clippings if type(c) is StoredClipping and "title" not in c.__dict__]
    keys: dict[str, str] = {}
    if not unread:
        return keys
    records = [c.__dict__["_snapshot"].record(c.__dict__["_at"]) for c in unread]
    for c, record in zip(unread, json.loads(b"[" + b",".join(records) + b"]")):
        d = c.__dict__
        d.update(_record_fields(record, d["_gazetteer"], d["path"]))
        if record[URL_KEY] is not None:
            keys[d["path"]] = record[URL_KEY]
    return keys


def read_across(clippings: Iterable[Clipping]) -> dict[str, str]:
    """Give every clipping kept from a snapshot among these (`StoredClipping`) the fields
    the checks across files compare (`_ACROSS`) from its snapshot's block of them, leaving
    its record unread if it is; return the duplicate check's key of each of them that has
    one, by path."""
    keys: dict[str, str] = {}
    decoded: dict[int, list[list[Any]]] = {}  # by id of the snapshot
    for c in clippings:
        if type(c) is not StoredClipping:
            continue
        d = c.__dict__
        snapshot = d["_snapshot"]
        rows = decoded.get(id(snapshot))
        if rows is None:
            rows = decoded[id(snapshot)] = snapshot.across_fields()
        slug, category, source, topics, key = rows[d["_at"]]
        if "title" not in d:  # (else read, with these fields)
            d["slug"], d["category"], d["source"], d["topics"] = slug, category, source, \
                tuple(topics)
        if key is not None:
            keys[d["path"]] = key
    return keys


# The open data files' columns (docs/data.md); `url` comes last, added at build time.
CSV_COLUMNS = ("slug", "title", "date", "category", "countries", "regions", "topics", "source",
               "author", "author_role", "source_url", "source_site", "source_title", "pairs",
               "url")


def open_data_rows(c: Clipping) -> tuple[str, str]:
    """A clipping in the open data files, without its address (docs/data.md): the JSON object
    without its closing brace, and the CSV row without its last cell."""
    import csv
    import io

    record = {
        "slug": c.slug, "title": c.title, "date": c.date.isoformat(), "category": c.category,
        "countries": [x.code for x in c.countries],
        "country_names": [x.name for x in c.countries], "regions": [r.name for r in c.regions],
        "topics": list(c.topics), "source": c.source, "author": c.author,
        "author_role": c.author_role, "source_url": c.source_url,
        "source_site": c.source_site, "source_title": c.source_title,
        "pairs": [p.key for p in c.pairs],
    }
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        ["|".join(v) if isinstance(v, list) else ("" if v is None else v)
         for v in (record[k] for k in CSV_COLUMNS[:-1])])
    return text[:-1], buffer.getvalue()[:-1]


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


# The store's tables. `checked` holds what every build reads (small rows); `bodies` what a
# build reads only for the pages it renders and for the data files.
_TABLES = {
    "meta": "key TEXT PRIMARY KEY, value TEXT NOT NULL",
    "checked": "sha256 TEXT NOT NULL, rel TEXT NOT NULL, record TEXT NOT NULL, "
               "warnings TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (sha256, rel)",
    "bodies": "sha256 TEXT NOT NULL, rel TEXT NOT NULL, data_json TEXT NOT NULL, "
              "data_csv TEXT NOT NULL, html TEXT NOT NULL, PRIMARY KEY (sha256, rel)",
    "built": "rel TEXT PRIMARY KEY, sha256 TEXT NOT NULL",
    "templates": "key TEXT PRIMARY KEY, python TEXT NOT NULL",
}


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the store at `path`, for a process of its own (a forked
    process must not use its parent's connection)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


class Store:
    """`.digest-cache/build.sqlite`: reusable checks, and what the last build wrote."""

    def __init__(self, path: Path, fingerprint: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fingerprint = fingerprint
        self._built: dict[str, str] | None = None
        self.release_key: str | None = None  # the release check this build made (release.py)
        self._pid = os.getpid()
        self._forked: tuple[int, sqlite3.Connection] | None = None
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:  # not a database (or a damaged one): start afresh
            path.unlink(missing_ok=True)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # Without waiting for the disk: the log keeps the store whole if the build is
        # stopped, and a store a power cut damaged is found so and made afresh (site.build).
        db.execute("PRAGMA synchronous=OFF")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA or not self._layout_ok(db):
            for table in ("meta", "checked", "bodies", "built", "outputs", "templates"):
                # ("outputs": a table of older versions, now the file `outputs` beside)
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(f"PRAGMA user_version={SCHEMA}")
        db.executescript("".join(
            f"CREATE TABLE IF NOT EXISTS {name} ({columns});" for name, columns in _TABLES.items()))
        # Checks depend on the code (rules, gazetteer, registry): other code, other checks.
        if self._meta(db, "code") != self.fingerprint:
            db.execute("DELETE FROM checked")
            db.execute("DELETE FROM bodies")
            db.execute("DELETE FROM meta WHERE key = 'snapshot'")  # records of other code
            db.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (self.fingerprint,))
        return db

    @staticmethod
    def _layout_ok(db: sqlite3.Connection) -> bool:
        """Whether every table that exists has the columns this code expects (a store of the
        same version number written by other code is dropped, not misread)."""
        for name, columns in _TABLES.items():
            found = [row[1] for row in db.execute(f"PRAGMA table_info({name})")]
            wanted = [c.split()[0] for c in columns.split(", PRIMARY KEY")[0].split(", ")]
            if found and found != wanted:
                return False
        return True

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def meta(self, key: str) -> str | None:
        return self._meta(self.db, key)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self.db.close()

    # the last build's snapshot ----------------------------------------------------------
    @property
    def snapshot_folder(self) -> Path:
        return self.path.parent

    def snapshot(self) -> "Snapshot | None":
        """The last finished build's snapshot (`Snapshot`), if it is there and is the one
        this store recorded (written by this code)."""
        return Snapshot.read(self.snapshot_folder, self.meta("snapshot"))

    # checked clippings --------------------------------------------------------------
    def checked(self, keys: Iterable[tuple[str, str]] | None) -> dict[tuple[str, str], Checked]:
        """The stored checks for (sha256, rel) keys (None: all), without their summaries, HTML
        and open data rows (read when needed: an incremental build needs few)."""
        wanted = set(keys) if keys is not None else None
        out = {}
        select = "SELECT sha256, rel, record, warnings FROM checked"
        if wanted is None:
            rows = self.db.execute(select)
        elif len(wanted) < 100:
            rows = (self.db.execute(select + " WHERE sha256 = ? AND rel = ?", key).fetchone()
                    for key in wanted)
        else:
            rows = self.db.execute(select)
        found = [row for row in rows if row is not None
                 and (wanted is None or (row[0], row[1]) in wanted)]
        # One JSON document for all the records: decoding 20,000 small ones one by one costs
        # more in calls than in parsing.
        records = json.loads("[" + ",".join([row[2] for row in found]) + "]")
        loads = json.loads
        for (sha, rel, _, warnings), record in zip(found, records):
            out[(sha, rel)] = Checked(sha, rel, record,
                                      loads(warnings) if warnings != "[]" else [], None, None)
        return out

    def _reader(self) -> sqlite3.Connection:
        """A connection for reading in this process: a forked process opens its own."""
        if self._pid == os.getpid():
            return self.db
        if self._forked is None or self._forked[0] != os.getpid():
            self._forked = (os.getpid(), read_only(self.path))
        return self._forked[1]

    def summary(self, item: Checked) -> str:
        """The summary of a stored check (kept on it once read)."""
        if item.summary is None:
            row = self._reader().execute("SELECT summary FROM checked WHERE sha256 = ? AND "
                                         "rel = ?", (item.sha256, item.rel)).fetchone()
            if row is None:
                raise KeyError((item.sha256, item.rel))
            item.summary = row[0]
        return item.summary

    def load_summaries(self, items: Iterable[Checked]) -> None:
        """Read the summaries of these checks at once: a page's worth by their keys, a full
        build's (every one) in a pass over the table."""
        missing = {(i.sha256, i.rel): i for i in items if i.summary is None}
        if not missing:
            return
        select = "SELECT sha256, rel, summary FROM checked"
        if len(missing) > 2000:
            rows: Iterable = self._reader().execute(select)
        else:
            shas = sorted({sha for sha, _rel in missing})
            rows = (row for i in range(0, len(shas), 500) for row in self._reader().execute(
                f"{select} WHERE sha256 IN ({','.join('?' * len(shas[i:i + 500]))})",
                shas[i:i + 500]))
        for sha, rel, text in rows:
            item = missing.get((sha, rel))
            if item is not None:
                item.summary = text

    def data_rows(self, keys: Iterable[tuple[str, str]] | None = None
                  ) -> dict[tuple[str, str], tuple[bytes, bytes]]:
        """The stored open data rows (JSON, CSV; UTF-8, as they are written to the data
        files) by (sha256, rel), for these keys (None: all), read on a connection of its
        own: the data files are written by a forked process, which must not use its
        parent's."""
        db = read_only(self.path)
        select = "SELECT sha256, rel, CAST(data_json AS BLOB), CAST(data_csv AS BLOB) FROM bodies"
        try:
            if keys is None:
                rows = db.execute(select)
            else:
                rows = (row for key in keys for row in
                        db.execute(select + " WHERE sha256 = ? AND rel = ?", key))
            return {(sha, rel): (data_json, data_csv) for sha, rel, data_json, data_csv in rows}
        finally:
            db.close()

    def data_layout(self) -> dict[str, Any] | None:
        """Where each clipping's rows are in the data files a build last wrote (see
        `save_data_layout`), or None."""
        try:
            data = json.loads((self.path.parent / "data-layout.json").read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def save_data_layout(self, layout: dict[str, Any]) -> None:
        """Record the layout of data files just written, in a file beside the store (the
        data files are written by a forked process). It names the files' SHA-256: a layout
        whose files did not become the output (a build that failed) is never used."""
        path = self.path.parent / "data-layout.json"
        try:
            _replace(path, [json.dumps(layout, separators=(",", ":")).encode("utf-8")])
        except OSError:
            path.unlink(missing_ok=True)

    def html(self, sha: str, rel: str) -> str:
        row = self.db.execute("SELECT html FROM bodies WHERE sha256 = ? AND rel = ?",
                              (sha, rel)).fetchone()
        if row is None:
            raise KeyError((sha, rel))
        return row[0]

    def save_checked(self, items: Iterable[Checked]) -> None:
        items = list(items)
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO checked VALUES (?, ?, ?, ?, ?)",
                ((i.sha256, i.rel, json.dumps(i.record, ensure_ascii=False),
                  json.dumps(i.warnings, ensure_ascii=False), i.summary) for i in items))
            self.db.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?, ?)",
                ((i.sha256, i.rel, i.data[0], i.data[1], i.html or "") for i in items))

    # compiled templates -------------------------------------------------------------
    def templates(self) -> dict[str, str]:
        """The Python source Jinja generated for each template, by key (plugin/templates.py)."""
        return dict(self.db.execute("SELECT key, python FROM templates"))

    def save_templates(self, new: dict[str, str], used: set[str]) -> None:
        """Add newly generated template sources and drop those this build did not use."""
        if not new:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO templates VALUES (?, ?)", new.items())
            keep = set(used) | set(new)
            self.db.executemany("DELETE FROM templates WHERE key = ?",
                                ((k,) for (k,) in self.db.execute("SELECT key FROM templates")
                                 .fetchall() if k not in keep))

    # the last build -----------------------------------------------------------------
    def last_build(self, site_key: str, output_id: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """(clipping rel → sha256, output path → signature) of the last build, if it was made
        with this site key (settings, theme, pages, code) into this very output folder and
        finished; otherwise None, and the next build is a full one."""
        if self.meta("site") != site_key or self.meta("output") != output_id \
                or self.meta("state") != "clean":
            return None
        outputs = read_outputs(self.path.parent, self.meta("outputs"))
        return (self.built(), outputs) if outputs is not None else None

    def built(self) -> dict[str, str]:
        """Clipping rel → sha256 of the last finished build (whatever its settings), read once
        (a build asks twice)."""
        if self._built is None:
            self._built = dict(self.db.execute("SELECT rel, sha256 FROM built"))
        return self._built

    def know_built(self, built: dict[str, str]) -> None:
        """What `built()` would read, known otherwise (from the last build's snapshot)."""
        self._built = built

    def near_pairs(self) -> list[list[str]]:
        """Near-identical headlines the last build found: [rel, sha256, rel, sha256]."""
        return json.loads(self.meta("near") or "[]")

    def begin_update(self) -> None:
        """Mark the output as being changed in place: an interruption makes the next build full."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('state', 'updating')")

    def finish_build(self, site_key: str, output_id: str, built: dict[str, str],
                     outputs: dict[str, str], near: list[list[str]],
                     last: tuple[dict[str, str], dict[str, str]] | None = None,
                     snapshot: str | None = None) -> None:
        """Record a finished build and drop checks no longer in use; with `last` (what the
        store held), only the rows that changed are written. Its files (`outputs`) go to a
        file beside the store (`_write_outputs`), whose token is recorded. `snapshot`: the
        token of the snapshot it wrote (`Snapshot.write`), if any."""
        outputs_token = _write_outputs(self.path.parent, outputs)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('near', ?)",
                            (json.dumps(near),))
            if last is None:
                self.db.execute("DELETE FROM built")
                self.db.executemany("INSERT INTO built VALUES (?, ?)", built.items())
            else:
                old = last[0]
                self.db.executemany("DELETE FROM built WHERE rel = ?",
                                    ((k,) for k in old.keys() - built.keys()))
                self.db.executemany("INSERT OR REPLACE INTO built VALUES (?, ?)",
                                    [(k, v) for k, v in built.items() if old.get(k) != v])
            # Checks of files no longer built are dropped: after an incremental build those of
            # the versions it replaced (checks saved by a build that then failed go with the
            # next full one, which sweeps every table).
            replaced = [(sha, rel) for rel, sha in last[0].items() if built.get(rel) != sha] \
                if last is not None else []
            for table in ("checked", "bodies"):
                if last is None:
                    self.db.execute(f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM built b "
                                    f"WHERE b.rel = {table}.rel AND b.sha256 = {table}.sha256)")
                else:
                    self.db.executemany(f"DELETE FROM {table} WHERE sha256 = ? AND rel = ?",
                                        replaced)
            for key, value in (("site", site_key), ("output", output_id), ("state", "clean"),
                               ("release_passed", self.release_key or ""),
                               ("snapshot", snapshot or ""), ("outputs", outputs_token)):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self._built = dict(built)

    def forget_build(self) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('state', 'none')")


class Snapshot:
    """The last build's clippings and index, kept beside the store, so that an incremental
    build reads neither every stored check nor every record, and writes what changed.

    Two files. `records` holds the clippings' records, one line each (record and warnings,
    JSON, tab-separated; JSON text holds no tab and no newline) after a first line with its
    own token; a record's number is its line's. Builds add lines for the clippings they add
    or edit (the lines of those removed stay until the file is written afresh).

    `snapshot` starts with a JSON line: the token the store records for the file (so a file
    another build left, or one of a build that did not finish, is never used), the records
    file's token and length, the sizes of the blocks that follow, and each group of the
    index as [kind, key, name, size] (`DigestIndex.lists`). The blocks, newest clipping
    first: paths (relative to the clippings folder), SHA-256s, days and flags (`r`:
    redirects, `w`: warnings), each as lines; then, as arrays of 32-bit integers, the
    clippings' record numbers, the record numbers of each group's clippings group after
    group, and where each record starts in its file; last, as lines again, the fields the
    checks across files compare (`_ACROSS`, a JSON array), read only by them, each
    clipping's date and slug (tab-separated), its sort key, and each clipping's page. A group
    no clipping joined or left keeps the bytes it had.
    """

    def __init__(self, head: dict[str, Any], blocks: list[bytes], records: bytes):
        n = head["count"]

        def lines(block: bytes) -> list[str]:
            return block.decode("utf-8").split("\n") if n else []

        if len(blocks) != 10 or any(b.count(b"\n") != max(n - 1, 0) for b in blocks[7:]):
            raise ValueError("the snapshot does not have the blocks this code writes")
        self.rels, self.shas, self.days, self.flags = (lines(b) for b in blocks[:4])
        self._dates: dict[str, tuple[dt.date, str]] = {}  # day → (date, month), made once
        # The last three blocks, split into lines only when first asked for (`lines_of`):
        # the fields of `_across_line`, dates and slugs (`sort_key`), pages (`page_lines`).
        self._late = dict(zip(("across", "sorting", "pages"), blocks[7:]))
        self._lines: dict[str, list[bytes]] = {}
        self._page_lines: list[str] | None = None
        self.ids = _uints(blocks[4])
        self.members = _uints(blocks[5])
        self.starts = _uints(blocks[6])  # where each record starts in `records`
        self.body = records  # the records file, up to its recorded length
        self.groups: list[tuple[str, str, str, int, int]] = []  # kind, key, name, at, size
        at = 0
        for kind, key, name, size in head["groups"]:
            self.groups.append((kind, key, name, at, size))
            at += size
        self.position = dict(zip(self.rels, range(n)))
        self.records_token: str = head["records"]
        self.records_length: int = head["records_length"]
        if not (len(self.rels) == len(self.shas) == len(self.days) == len(self.flags)
                == len(self.ids) == len(self.position) == n) or at != len(self.members) \
                or len(records) != self.records_length \
                or (n and max(self.ids) >= len(self.starts)) \
                or (self.starts and self.starts[-1] >= len(records)):
            raise ValueError("the snapshot does not match its header")

    @classmethod
    def read(cls, folder: Path, token: str | None) -> "Snapshot | None":
        """The snapshot in `folder` if it is the one whose token the store recorded, else None."""
        if not token:
            return None
        try:
            with open(folder / "snapshot", "rb") as fh:
                head = json.loads(fh.readline())
                if not isinstance(head, dict) or head.get("token") != token:
                    return None
                blocks = [fh.read(size) for size in head["blocks"]]
                if [len(block) for block in blocks] != head["blocks"] or fh.read(1):
                    return None  # cut short, or longer than written
            with open(folder / "records", "rb") as fh:
                records = fh.read(head["records_length"])
            if json.loads(records[:records.find(b"\n") + 1]) != head["records"]:
                return None
            return cls(head, blocks, records)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None  # unreadable, cut short or not ours: the build reads the store instead

    def line(self, number: int) -> bytes:
        """Record line `number` (without its newline)."""
        end = self.starts[number + 1] if number + 1 < len(self.starts) else self.records_length
        return self.body[self.starts[number]:end - 1]

    def record(self, i: int) -> bytes:
        """The JSON text of the record of clipping `i` (newest first)."""
        return self.line(self.ids[i]).rsplit(b"\t", 1)[0]

    def sort_key(self, i: int) -> tuple[dt.datetime, str]:
        """The sort key of clipping `i` (`Clipping.sort_key`), from its date and slug alone:
        the groups are searched by it, and its record need not be read for that."""
        text, slug = self.lines_of("sorting")[i].decode("utf-8").split("\t")
        return _date_of(text, "T" in text)[2], slug

    def lines_of(self, block: str) -> list[bytes]:
        """The lines of the block "across", "sorting" or "pages", by position."""
        found = self._lines.get(block)
        if found is None:
            found = self._lines[block] = self._late[block].split(b"\n") if self.rels else []
        return found

    def page_lines(self) -> list[str]:
        """Each clipping's page (its file in the output), by position."""
        if self._page_lines is None:
            self._page_lines = self._late["pages"].decode("utf-8").split("\n") \
                if self.rels else []
        return self._page_lines

    def across_fields(self) -> list[list[Any]]:
        """The fields the checks across files compare (`_ACROSS`) of every clipping, by
        position, decoded in one document."""
        return json.loads(b"[" + b",".join(self.lines_of("across")) + b"]")

    def warnings(self, i: int) -> list[list[Any]]:
        if "w" not in self.flags[i]:
            return []
        return json.loads(self.line(self.ids[i]).rsplit(b"\t", 1)[1])

    def clipping(self, i: int, path: str, gazetteer) -> StoredClipping:
        """Clipping `i`, unread, at `path` (as displayed)."""
        c = object.__new__(StoredClipping)
        d = c.__dict__
        d["_snapshot"], d["_at"], d["_gazetteer"] = self, i, gazetteer
        text = self.days[i]
        found = self._dates.get(text)
        if found is None:
            found = self._dates[text] = (dt.date.fromisoformat(text), f"{text[:4]}/{text[5:7]}")
        d["path"], d["day"], d["month"] = path, found[0], found[1]
        if "r" not in self.flags[i]:
            d["redirect_from"] = ()
        return c

    def lists(self, kept: list[Clipping | None]):
        """The groups, as (kind, key, name, clippings still there, where the group is here
        if all are, else False): what `DigestIndex.restore` starts from; `kept` holds the
        clippings by position, None for those gone. Raises ValueError for a group that names
        a record no clipping has (a damaged snapshot)."""
        by_record: list[Clipping | None] = [None] * len(self.starts)
        for i, c in zip(self.ids, kept):
            by_record[i] = c
        gone = {i for i, c in zip(self.ids, kept) if c is None}
        get, members = by_record.__getitem__, self.members
        try:
            for kind, key, name, at, size in self.groups:
                part = members[at:at + size]
                found = list(map(get, part))
                if gone and not gone.isdisjoint(part):
                    found = [c for c in found if c is not None]
                    yield kind, key, name, found, False
                else:
                    yield kind, key, name, found, (at, size)
        except IndexError:
            raise ValueError("a group of the snapshot names a record it does not have") from None

    @staticmethod
    def token_of(folder: Path) -> str | None:
        """The token of the snapshot in `folder` (to see that a forked writer finished)."""
        try:
            with open(folder / "snapshot", "rb") as fh:
                return json.loads(fh.readline()).get("token")
        except (OSError, ValueError, AttributeError):
            return None

    @staticmethod
    def write(folder: Path, index, checked: dict[str, "Checked"], token: str,
              page_of: Callable[[Clipping], str]) -> bool:
        """Write the snapshot of a build's index (`DigestIndex`, restored from a snapshot or
        made afresh), checks (by clipping path) and clipping pages (`page_of`, asked only for
        the clippings not kept from the last snapshot) with this token; False where it could
        not be (the next build then reads the store)."""
        clippings = index.clippings
        last = index.snapshot  # the snapshot it was restored from, if any
        rels, shas, days, flags, ids = [], [], [], [], []
        added: list[bytes] = []
        record_of: dict[int, int] = {}
        # Records are added to the last build's file; a full build (or one that would leave
        # more lines unused than used) writes the file afresh.
        fresh_file = last is None or len(last.starts) > 2 * len(clippings) + 1000
        base = 0 if fresh_file else len(last.starts)
        dumps = json.dumps
        late: dict[str, list[bytes]] = {"across": [], "sorting": [], "pages": []}
        across, sorting, pages = late.values()  # (sorting: date and slug)
        last_across, last_sorting, last_pages = (last.lines_of(name) for name in late) \
            if last is not None else ([], [], [])
        for c in clippings:
            d = c.__dict__
            if type(c) is StoredClipping and not fresh_file and d["_snapshot"] is last:
                i = d["_at"]
                rels.append(last.rels[i])
                shas.append(last.shas[i])
                flags.append(last.flags[i])
                days.append(last.days[i])
                ids.append(last.ids[i])
                across.append(last_across[i])
                sorting.append(last_sorting[i])
                pages.append(last_pages[i])
                continue
            item = checked[c.path]
            if type(c) is StoredClipping:
                snapshot, i = d["_snapshot"], d["_at"]
                line, flag = snapshot.line(snapshot.ids[i]), snapshot.flags[i]
                for name, lines in late.items():
                    lines.append(snapshot.lines_of(name)[i])
            else:
                if item.record is None:
                    return False
                flag = ("r" if c.redirect_from else "") + ("w" if item.warnings else "")
                line = (dumps(item.record, ensure_ascii=False, separators=(",", ":")) + "\t"
                        + dumps(item.warnings, ensure_ascii=False, separators=(",", ":"))
                        ).encode("utf-8")
                across.append(_across_line(item.record))
                sorting.append(f"{item.record[1]}\t{item.record[6]}".encode("utf-8"))
                pages.append(page_of(c).encode("utf-8"))
            if "\n" in item.rel or b"\n" in sorting[-1] or sorting[-1].count(b"\t") != 1 \
                    or b"\n" in pages[-1]:
                return False
            record_of[id(c)] = base + len(added)
            ids.append(base + len(added))
            added.append(line)
            rels.append(item.rel)
            shas.append(item.sha256)
            flags.append(flag)
            days.append(c.day.isoformat())

        def number(c: Clipping) -> int:
            found = record_of.get(id(c))
            return found if found is not None else c.__dict__["_snapshot"].ids[c.__dict__["_at"]]

        groups, member_blocks = [], []
        for kind, key, name, members, kept in index.lists():
            groups.append([kind, key, name, len(members)])
            if kept and not fresh_file:
                at, size = kept
                member_blocks.append(last.members[at:at + size].tobytes())
            else:
                member_blocks.append(_uint_bytes([number(c) for c in members]))
        try:
            if fresh_file:
                records_token = os.urandom(16).hex()
                first = (dumps(records_token) + "\n").encode()
                offset = len(first)
                starts: list[int] = []
            else:
                records_token = last.records_token
                offset = last.records_length
                starts = last.starts.tolist()
            for line in added:
                starts.append(offset)
                offset += len(line) + 1
            appended = b"".join(line + b"\n" for line in added)
            if fresh_file:  # a new file, not the one the last snapshot's reader may hold
                _replace(folder / "records", [first, appended])
            else:
                with open(folder / "records", "r+b") as fh:
                    fh.truncate(last.records_length)  # what a failed build added goes
                    fh.seek(last.records_length)
                    fh.write(appended)
            blocks = ["\n".join(x).encode("utf-8") for x in (rels, shas, days, flags)]
            blocks += [_uint_bytes(ids), b"".join(member_blocks), _uint_bytes(starts),
                       *(b"\n".join(lines) for lines in late.values())]
            head = dumps({"token": token, "count": len(clippings), "records": records_token,
                          "records_length": offset, "blocks": [len(b) for b in blocks],
                          "groups": groups}, ensure_ascii=False, separators=(",", ":"))
            _replace(folder / "snapshot", [head.encode("utf-8") + b"\n", *blocks])
        except OSError:
            return False
        return True


def _write_outputs(folder: Path, outputs: dict[str, str]) -> str:
    """Write the list of a build's files (output path → signature) to the file `outputs` in
    `folder`, under a new token, and return the token ("" where it could not be written: the
    next build is then a full one). A line per file, path and signature tab-separated, after
    a first line (JSON) with the token and the count."""
    token = os.urandom(16).hex()
    body = "\n".join([f"{name}\t{sig}" for name, sig in outputs.items()])
    if body.count("\t") != len(outputs) or body.count("\n") != max(len(outputs) - 1, 0):
        return ""  # (a tab or a line break in a name or a signature)
    head = json.dumps({"token": token, "count": len(outputs)}) + "\n"
    try:
        _replace(folder / "outputs", [head.encode("utf-8"), body.encode("utf-8")])
    except OSError:
        return ""
    return token


def read_outputs(folder: Path, token: str | None) -> dict[str, str] | None:
    """The list of files `_write_outputs` wrote to `folder` under this token, or None (no
    token, another build's list, a list cut short or damaged)."""
    if not token:
        return None
    try:
        with open(folder / "outputs", "rb") as fh:
            head = json.loads(fh.readline())
            text = fh.read().decode("utf-8")
        if not isinstance(head, dict) or head.get("token") != token:
            return None
        lines = text.split("\n") if text else []
        outputs = dict(line.split("\t", 1) for line in lines)
        if len(outputs) != head["count"] or len(lines) != head["count"]:
            return None
        return outputs
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _replace(path: Path, chunks: Iterable[bytes]) -> None:
    """Write a file whole or not at all: into a file of this process's beside it, then
    renamed over it (a reader holding the old file keeps reading the old one)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        with open(temporary, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


_U32 = next(code for code in "ILH" if array(code).itemsize == 4)


def _uints(data: bytes) -> "array":
    """An array of unsigned 32-bit integers from its bytes (little-endian)."""
    values = array(_U32)
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _uint_bytes(values: list[int]) -> bytes:
    found = array(_U32, values)
    if sys.byteorder != "little":
        found.byteswap()
    return found.tobytes()


@dataclass
class SiteInput:
    """What `digest build` hands the generator, and what the generator hands back."""

    clippings: list[Clipping] = field(default_factory=list)
    checked: dict[str, Checked] = field(default_factory=dict)  # by clipping path
    store: Store | None = None
    previous: dict[str, str] | None = None  # the last build's files → signatures; None: full
    live: Path | None = None  # where the last build's files are (incremental builds)
    changed: list[Clipping] = field(default_factory=list)  # old and new versions
    fresh: set[int] = field(default_factory=set)  # ids of the new versions among them
    planned: dict[str, str] | None = None  # filled in: every file the generator owns
    rendered: int = 0
    article_pages: dict[str, str] = field(default_factory=dict)  # clipping path → its page
    templates: Any = None  # plugin.templates.TemplateCache: compiled templates from the store
    # (Snapshot, its clippings still there by position): the index is restored from it
    restored: tuple[Any, list[Clipping | None]] | None = None
    snapshot: tuple[Path, str] | None = None  # where to write this build's, with its token
    snapshot_forked: bool = False  # filled in: whether the generator's data process wrote it
    index: Any = None  # filled in: the generator's DigestIndex
    article_save_as: Any = None  # filled in: the generator's, a clipping's page
