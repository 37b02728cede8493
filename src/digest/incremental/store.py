"""The build's memory between runs: checked clippings and the output manifest, in SQLite.

Everything is keyed by content: a clipping's check and rendering by the SHA-256 of its bytes
and its path, the whole store by a fingerprint of the code, theme and settings. Values are
JSON and text (never pickles), so a store written by other code can only ever be ignored,
not executed. File times are never consulted.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable

from digest.incremental import CACHE_FILE  # noqa: F401 - where the store is
from digest.incremental.outputs import (
    read_only,
    read_outputs,
    replace_file,
    write_outputs,
)
from digest.incremental.plan import LastBuild
from digest.incremental.records import Checked
from digest.incremental.snapshot import Snapshot

SCHEMA = 10



# The store's tables. `checked` holds what every build reads (small rows); `bodies` what a
# build reads only for the pages it renders and for the data files.
_TABLES = {
    "meta": "key TEXT PRIMARY KEY, value TEXT NOT NULL",
    "checked": "sha256 TEXT NOT NULL, rel TEXT NOT NULL, record TEXT NOT NULL, "
               "warnings TEXT NOT NULL, summary TEXT NOT NULL, PRIMARY KEY (sha256, rel)",
    "bodies": "sha256 TEXT NOT NULL, rel TEXT NOT NULL, data_json TEXT NOT NULL, "
              "data_csv TEXT NOT NULL, html TEXT NOT NULL, PRIMARY KEY (sha256, rel)",
    "built": "rel TEXT PRIMARY KEY, sha256 TEXT NOT NULL",
}


def remove_store(root: Path) -> None:
    """Remove the store (found damaged: the next build starts afresh)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / CACHE_FILE}{suffix}").unlink(missing_ok=True)


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
            for (table,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                db.execute(f'DROP TABLE IF EXISTS "{table}"')
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
        """Whether the store has the tables this code expects, each with its columns, and no
        other (a store of the same version number written by other code is dropped, not
        misread)."""
        names = {row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if names - set(_TABLES):
            return False
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
            replace_file(path, [json.dumps(layout, separators=(",", ":")).encode("utf-8")])
        except OSError:
            path.unlink(missing_ok=True)

    def html(self, sha: str, rel: str) -> str:
        row = self._reader().execute("SELECT html FROM bodies WHERE sha256 = ? AND rel = ?",
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

    def last_build(self, site_key: str, output_id: str,
                   sizes_now: Callable[[], dict[str, int]] | None = None
                   ) -> tuple[LastBuild | None, str]:
        """The last build, if it was made with this site key (code, data, settings, theme,
        pages) into this very output folder and finished; else None (the next build is a
        full one) and why. A folder that is not the one written (another device and inode)
        is still the last build's output when its bytes by top-level entry (`sizes_now`) are
        those the build recorded: a copy restored with the store, as a CI cache does."""
        if self.meta("state") != "clean":
            return None, "no finished build to follow" if self.meta("state") != "updating" \
                else "the last build was stopped while it changed the output"
        if self.meta("site") != site_key:
            return None, "the code, data, settings, theme or pages changed"
        try:
            sizes = json.loads(self.meta("sizes") or "null")
        except ValueError:
            sizes = None
        if not (isinstance(sizes, dict) and all(isinstance(v, int) for v in sizes.values())):
            sizes = None  # (counted again from output/)
        if self.meta("output") != output_id and (
                sizes is None or sizes_now is None or sizes_now() != sizes):
            return None, "output/ is not the folder the last build wrote"
        outputs = read_outputs(self.path.parent, self.meta("outputs"))
        if outputs is None:
            return None, "the list of the last build's files is missing or damaged"
        files, owners = outputs
        try:
            notes = json.loads(self.meta("notes") or "null")
        except ValueError:
            notes = None
        if not (isinstance(notes, dict) and all(isinstance(v, str) for v in notes.values())):
            notes = None  # (a full build records them)
        return LastBuild(self.built(), files, owners, sizes, notes), ""

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

    def cancel_update(self) -> None:
        """The output was changed back to the last build's: it can be followed again."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('state', 'clean')")

    def finish_build(self, site_key: str, output_id: str, built: dict[str, str],
                     outputs: dict[str, str], owners: dict[str, str], near: list[list[str]],
                     token: str, last: LastBuild | None = None,
                     snapshot: str | None = None, times: str | None = None,
                     sizes: dict[str, int] | None = None,
                     notes: dict[str, str] | None = None) -> None:
        """Record a finished build and drop checks no longer in use; with `last` (what the
        store held), only the rows that changed are written. Its files (`outputs`) go to a
        file beside the store (`write_outputs`), whose token is recorded. `snapshot`: the
        token of the snapshot it wrote (`Snapshot.write`), if any; `token`: the build's own,
        under which its list of files is written (`write_outputs`, with `times`, the change
        times of the output's folders, or None where the reading process wrote them)."""
        outputs_token = token if write_outputs(self.path.parent, outputs, owners, token,
                                               times) else ""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('near', ?)",
                            (json.dumps(near),))
            if last is None:
                self.db.execute("DELETE FROM built")
                self.db.executemany("INSERT INTO built VALUES (?, ?)", built.items())
            else:
                old = last.built
                self.db.executemany("DELETE FROM built WHERE rel = ?",
                                    ((k,) for k in old.keys() - built.keys()))
                self.db.executemany("INSERT OR REPLACE INTO built VALUES (?, ?)",
                                    [(k, v) for k, v in built.items() if old.get(k) != v])
            # Checks of files no longer built are dropped: after an incremental build those of
            # the versions it replaced (checks saved by a build that then failed go with the
            # next full one, which sweeps every table).
            replaced = [(sha, rel) for rel, sha in last.built.items() if built.get(rel) != sha] \
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
                               ("snapshot", snapshot or ""), ("outputs", outputs_token),
                               ("sizes", json.dumps(sizes)),
                               ("notes", json.dumps(notes or {}, ensure_ascii=False))):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        self._built = dict(built)

    def forget_build(self) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('state', 'none')")
