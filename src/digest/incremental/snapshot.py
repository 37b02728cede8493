"""The last build's clippings and index in two files beside the store, read without decoding every record."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from array import array
from pathlib import Path
from typing import Any, Callable

from digest.core.model import Clipping
from digest.incremental.outputs import replace_file
from digest.incremental.records import Checked, _across_line, _date_of, _record_fields

_LATE = ("across", "sorting", "pages")  # the blocks split into lines when first asked for


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
    clipping's date and slug (tab-separated), its sort key, and each clipping's page (its
    file in the output, so that a build keeps the pages of clippings out of reach of every
    change without reading them). A group no clipping joined or left keeps the bytes it
    had.
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
        # the fields of `_across_line`, dates and slugs (`sort_key`), pages (`pages`).
        self._late = dict(zip(_LATE, blocks[7:]))
        self._lines: dict[str, list[bytes]] = {}
        self._pages: list[str] | None = None
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

    def pages(self) -> list[str]:
        """Each clipping's page, by position, as the build that wrote the snapshot saved it
        ("" for none), decoded in one go."""
        if self._pages is None:
            self._pages = self._late["pages"].decode("utf-8").split("\n") if self.rels else []
        return self._pages

    def across_fields(self) -> list[list[Any]]:
        """The fields the checks across files compare (`_ACROSS`) of every clipping, by
        position, decoded in one document."""
        return json.loads(b"[" + b",".join(self.lines_of("across")) + b"]")

    def warnings(self, i: int) -> list[list[Any]]:
        if "w" not in self.flags[i]:
            return []
        return json.loads(self.line(self.ids[i]).rsplit(b"\t", 1)[1])

    def clipping(self, i: int, path: str, loader: "SnapshotLoader") -> Clipping:
        """Clipping `i`, unread, at `path` (as displayed), read by `loader` when asked."""
        text = self.days[i]
        found = self._dates.get(text)
        if found is None:
            found = self._dates[text] = (dt.date.fromisoformat(text), f"{text[:4]}/{text[5:7]}")
        known = {"path": path, "day": found[0], "month": found[1]}
        if "r" not in self.flags[i]:
            known["redirect_from"] = ()
        return Clipping.deferred(loader, i, known)

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
              page_of: Callable[[Clipping], str], last: "Snapshot | None" = None,
              unchanged: dict | None = None) -> bool:
        """Write the snapshot of a build's index (`DigestIndex`, restored from the snapshot
        `last` with its groups `unchanged`, or made afresh), checks (by clipping path) and
        clipping pages (`page_of`, asked only for the clippings not kept from `last`) with
        this token; False where it could not be (the next build then reads the store)."""
        writer = _Writer(index, checked, last, page_of)
        if not writer.rows():
            return False
        try:
            writer.save(folder, token, writer.member_blocks(unchanged))
        except OSError:
            return False
        return True


class _Writer:
    """The blocks of a new snapshot. Records are added to the last build's file; a full
    build (or one that would leave more lines unused than used) writes the file afresh."""

    def __init__(self, index, checked: dict[str, "Checked"], last: "Snapshot | None",
                 page_of: Callable[[Clipping], str]) -> None:
        self.index, self.checked, self.last, self.page_of = index, checked, last, page_of
        self.fresh_file = last is None or len(last.starts) > 2 * len(index.clippings) + 1000
        self.base = 0 if self.fresh_file else len(last.starts)
        self.rels: list[str] = []
        self.shas: list[str] = []
        self.days: list[str] = []
        self.flags: list[str] = []
        self.ids: list[int] = []
        self.added: list[bytes] = []  # record lines to append
        self.record_of: dict[int, int] = {}  # by id of the clipping
        self.late: dict[str, list[bytes]] = {name: [] for name in _LATE}

    def rows(self) -> bool:
        """Each clipping's lines: copied where it is the last snapshot's, else made from its
        check; False where a value would not fit its line."""
        last, checked, late = self.last, self.checked, self.late
        keep = last is not None and not self.fresh_file
        last_lines = {name: last.lines_of(name) for name in _LATE} if keep else {}
        dumps = json.dumps
        for c in self.index.clippings:
            source = c.deferred_from
            if keep and source is not None and source[0].snapshot is last:
                i = source[1]
                for to, frm in ((self.rels, last.rels), (self.shas, last.shas),
                                (self.flags, last.flags), (self.days, last.days)):
                    to.append(frm[i])
                self.ids.append(last.ids[i])
                for name in _LATE:
                    late[name].append(last_lines[name][i])
                continue
            item = checked[c.path]
            if source is not None:  # read from another snapshot than the last
                snapshot, i = source[0].snapshot, source[1]
                line, flag = snapshot.line(snapshot.ids[i]), snapshot.flags[i]
                for name in _LATE:
                    late[name].append(snapshot.lines_of(name)[i])
            else:
                if item.record is None:
                    return False
                flag = ("r" if c.redirect_from else "") + ("w" if item.warnings else "")
                line = (dumps(item.record, ensure_ascii=False, separators=(",", ":")) + "\t"
                        + dumps(item.warnings, ensure_ascii=False, separators=(",", ":"))
                        ).encode("utf-8")
                late["across"].append(_across_line(item.record))
                late["sorting"].append(f"{item.record[1]}\t{item.record[6]}".encode("utf-8"))
                late["pages"].append(self.page_of(c).encode("utf-8"))
            sorting = late["sorting"][-1]
            if "\n" in item.rel or b"\n" in sorting or sorting.count(b"\t") != 1 \
                    or b"\n" in late["pages"][-1]:
                return False
            self.record_of[id(c)] = self.base + len(self.added)
            self.ids.append(self.base + len(self.added))
            self.added.append(line)
            self.rels.append(item.rel)
            self.shas.append(item.sha256)
            self.flags.append(flag)
            self.days.append(c.day.isoformat())
        return True

    def member_blocks(self, unchanged: dict | None) -> list[tuple[list, bytes]]:
        """Each group's [kind, key, name, size] and the record numbers of its clippings (a
        group no clipping joined or left: its bytes in the last snapshot)."""
        from digest.incremental.restore import (
            group_texts,  # (restore imports this module)
        )

        def number(c: Clipping) -> int:
            found = self.record_of.get(id(c))
            if found is not None:
                return found
            loader, i = c.deferred_from  # type: ignore[misc]
            return loader.snapshot.ids[i]

        out = []
        for kind, key, name, members, kept in group_texts(self.index, unchanged):
            if kept and not self.fresh_file:
                at, size = kept
                block = self.last.members[at:at + size].tobytes()  # type: ignore[union-attr]
            else:
                block = _uint_bytes([number(c) for c in members])
            out.append(([kind, key, name, len(members)], block))
        return out

    def save(self, folder: Path, token: str, groups: list[tuple[list, bytes]]) -> None:
        """Append the new records (or write the records file afresh), then the snapshot."""
        last, dumps = self.last, json.dumps
        if self.fresh_file:
            records_token = os.urandom(16).hex()
            first = (dumps(records_token) + "\n").encode()
            offset = len(first)
            starts: list[int] = []
        else:
            records_token, offset = last.records_token, last.records_length
            starts = last.starts.tolist()
        for line in self.added:
            starts.append(offset)
            offset += len(line) + 1
        appended = b"".join(line + b"\n" for line in self.added)
        if self.fresh_file:  # a new file, not the one the last snapshot's reader may hold
            replace_file(folder / "records", [first, appended])
        else:
            with open(folder / "records", "r+b") as fh:
                fh.truncate(last.records_length)  # what a failed build added goes
                fh.seek(last.records_length)
                fh.write(appended)
        blocks = ["\n".join(x).encode("utf-8") for x in (self.rels, self.shas, self.days,
                                                           self.flags)]
        blocks += [_uint_bytes(self.ids), b"".join(block for _, block in groups),
                   _uint_bytes(starts), *(b"\n".join(lines) for lines in self.late.values())]
        head = dumps({"token": token, "count": len(self.index.clippings),
                      "records": records_token, "records_length": offset,
                      "blocks": [len(b) for b in blocks], "groups": [g for g, _ in groups]},
                     ensure_ascii=False, separators=(",", ":"))
        replace_file(folder / "snapshot", [head.encode("utf-8") + b"\n", *blocks])


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


class SnapshotLoader:
    """Reads the clippings a snapshot keeps (`Snapshot.clipping`) when a field is first asked
    for: the sort key from its block of dates and slugs, anything else from the record."""

    def __init__(self, snapshot: Snapshot, gazetteer) -> None:
        self.snapshot, self.gazetteer = snapshot, gazetteer

    def fill(self, clipping: Clipping, i: int, name: str) -> bool:
        d = clipping.__dict__
        if name == "sort_key" and "title" not in d:
            d["sort_key"] = self.snapshot.sort_key(i)
            return True
        d.update(_record_fields(json.loads(self.snapshot.record(i)), self.gazetteer, d["path"]))
        return True

    def fill_all(self, clippings: list[Clipping]) -> None:
        snapshot = self.snapshot
        records = [snapshot.record(c.__dict__["_ticket"]) for c in clippings]
        for c, record in zip(clippings, json.loads(b"[" + b",".join(records) + b"]")):
            d = c.__dict__
            d.update(_record_fields(record, self.gazetteer, d["path"]))
