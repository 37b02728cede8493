"""The open data files' rows, copied from the last build's files where they are unchanged."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Callable

from digest.core.index import DigestIndex
from digest.core.model import Clipping
from digest.incremental.records import CSV_COLUMNS, Checked

DATA_FILES = ("clippings.json", "clippings.csv", "pairs.json", "countries.json")


def _abs(site: str, url: str | None) -> str | None:
    return None if url is None else f"{site}/{url}"


def _write_json(path: str, data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # dump() is slower
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text + "\n")


# A character that a JSON string or a CSV cell must quote or escape.
_JSON_HEAD, _JSON_TAIL = b'{"version":1,"clippings":[', b"]}\n"


_CSV_HEAD = ",".join(CSV_COLUMNS).encode() + b"\n"


_NEEDS_QUOTING = re.compile(r'[,"\\\r\n\x00-\x1f\x7f\u2028\u2029]')


def _csv_cell(value: str) -> str:
    """One CSV cell as the csv module writes it (quoted only when it must be)."""
    if value and not _NEEDS_QUOTING.search(value):
        return value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value])
    return buffer.getvalue()[:-1]


@dataclass
class _LastData:
    """The data files (clippings.json and .csv) of the last build and where each clipping's
    rows are in them: `pos` by key (its SHA-256 and path), the rows' lengths in order."""

    json: bytes
    csv: bytes
    pos: dict[str, int]
    json_len: list[int]
    csv_len: list[int]
    json_at: list[int]  # where each row starts (rows are joined by commas)
    csv_at: list[int]

    @classmethod
    def read(cls, folder: str, layout: dict[str, Any] | None) -> "_LastData | None":
        """The files in `folder` as the recorded `layout` describes them; None when there is
        no layout or the files are not the ones it describes (a failed build's layout, a
        file someone edited)."""
        if not layout:
            return None
        data = {}
        for name in ("clippings.json", "clippings.csv"):
            try:
                with open(os.path.join(folder, name), "rb") as fh:
                    data[name] = fh.read()
            except OSError:
                return None
            if hashlib.sha256(data[name]).hexdigest() != layout["files"].get(name):
                return None
        keys = layout["keys"].split("\0") if layout["keys"] else []
        json_len, csv_len = layout["json"], layout["csv"]
        return cls(data["clippings.json"], data["clippings.csv"],
                   dict(zip(keys, range(len(keys)))), json_len, csv_len,
                   list(itertools.accumulate([n + 1 for n in json_len], initial=len(_JSON_HEAD))),
                   list(itertools.accumulate(csv_len, initial=len(_CSV_HEAD))))


@dataclass
class _Spliced:
    json: list[bytes | memoryview]  # pieces to join with commas
    csv: list[bytes | memoryview]  # pieces to concatenate
    json_len: list[int]  # each row's length, in order
    csv_len: list[int]


def _splice(keys: list[str], last: _LastData | None, row: Callable[[int], tuple[bytes, bytes]]
            ) -> _Spliced:
    """The data files' rows for clippings with these keys, in order: each run of rows the last
    files hold in the same order is copied from them in one piece, any other row is made by
    `row(n)`."""
    out = _Spliced([], [], [], [])
    pos = last.pos if last is not None else {}
    first = prev = -2  # the run of last rows being followed

    # (views of the last files: a run of rows is written from them, never copied)
    json_view = memoryview(last.json) if last is not None else None
    csv_view = memoryview(last.csv) if last is not None else None

    def copy(a: int, b: int) -> None:  # rows a..b of the last files
        assert last is not None
        out.json.append(json_view[last.json_at[a]:last.json_at[b + 1] - 1])
        out.csv.append(csv_view[last.csv_at[a]:last.csv_at[b + 1]])
        out.json_len.extend(last.json_len[a:b + 1])
        out.csv_len.extend(last.csv_len[a:b + 1])

    for n, key in enumerate(keys):
        i = pos.get(key)
        if i is not None and i == prev + 1:
            prev = i
            continue
        if first >= 0:
            copy(first, prev)
        if i is not None:
            first = prev = i
            continue
        first = prev = -2
        made = row(n)
        out.json.append(made[0])
        out.csv.append(made[1])
        out.json_len.append(len(made[0]))
        out.csv_len.append(len(made[1]))
    if first >= 0:
        copy(first, prev)
    return out


def write_data(folder: str, site: str, index: DigestIndex, checked: dict[str, Checked],
               url_of: Callable[[Clipping], str], listing_url: Callable[[str, str], str | None],
               memory, last_folder: str | None) -> None:
    """Write the open data files (docs/data.md) into `folder`; `last_folder` holds the last
    build's (an incremental build copies their unchanged rows), `memory` the stored rows
    and the layout of the last files (plugin.inputs.Memory)."""
    os.makedirs(folder, exist_ok=True)
    _clipping_files(folder, site, index, checked, url_of, memory, last_folder)
    pairs = []
    for group in index.pairs_busiest():
        pair = group.entity
        pairs.append({
            "pair": pair.key, "slug": pair.slug, "name": pair.name,
            "countries": [pair.a.code, pair.b.code],
            "country_names": [pair.a.name, pair.b.name],
            "count": group.count, "first": group.first.day.isoformat(),
            "last": group.last.day.isoformat(),
            "url": _abs(site, listing_url("pair", pair.slug)),
        })
    _write_json(os.path.join(folder, "pairs.json"), {"version": 1, "pairs": pairs})
    countries = []
    for group in index.groups["country"]:
        country = group.entity
        countries.append({
            "code": country.code, "name": country.name, "slug": country.slug,
            "count": group.count, "first": group.first.day.isoformat(),
            "last": group.last.day.isoformat(),
            "partners": [{"code": p.b.code if p.a.code == country.code else p.a.code,
                          "count": n} for p, n in index.partners(country)],
            "url": _abs(site, listing_url("country", country.slug)),
        })
    _write_json(os.path.join(folder, "countries.json"), {"version": 1, "countries": countries})


def _clipping_files(folder: str, site: str, index: DigestIndex, checked: dict[str, Checked],
                    url_of: Callable[[Clipping], str], memory, last_folder: str | None) -> None:
    """clippings.json and clippings.csv. Each clipping's rows were made when it was checked
    (and are kept with the check): only its address is added here. The rows of clippings
    unchanged since the last build are that build's, copied from its files a run of rows at
    a time. The rows are bytes, as the store gives them: 20,000 clippings make 20 MB."""
    clippings = index.clippings[::-1]  # oldest first
    items = [checked[c.path] for c in clippings]
    keys = [item.sha256 + item.rel for item in items]
    last = _LastData.read(last_folder, memory.data_layout()) \
        if last_folder is not None and memory is not None else None
    fresh = [n for n, key in enumerate(keys) if last is None or key not in last.pos]
    wanted = [(items[n].sha256, items[n].rel) for n in fresh if items[n].data is None]
    stored = memory.data_rows(wanted if last is not None else None) \
        if wanted and memory is not None else {}
    dumps = json.JSONEncoder(ensure_ascii=False).encode  # (dumps(x, **options) makes one a call)

    def row(n: int) -> tuple[bytes, bytes]:
        item = items[n]
        base = stored[(item.sha256, item.rel)] if item.data is None else \
            (item.data[0].encode(), item.data[1].encode())
        url = f"{site}/{url_of(clippings[n])}"
        # An address made of slugs and a pattern (the usual case) needs no quoting.
        if not _NEEDS_QUOTING.search(url):
            link = url.encode()
            return b'%s,"url":"%s"}' % (base[0], link), b"%s,%s\n" % (base[1], link)
        return (b'%s,"url":%s}' % (base[0], dumps(url).encode()),
                b"%s,%s\n" % (base[1], _csv_cell(url).encode()))

    made = _splice(keys, last, row)
    sums = {"clippings.json": _write_pieces(os.path.join(folder, "clippings.json"), _JSON_HEAD,
                                            made.json, b",", _JSON_TAIL),
            "clippings.csv": _write_pieces(os.path.join(folder, "clippings.csv"), _CSV_HEAD,
                                           made.csv, b"", b"")}
    if memory is not None:
        memory.save_data_layout({"files": sums, "keys": "\0".join(keys),
                                 "json": made.json_len, "csv": made.csv_len})


def _write_pieces(path: str, head: bytes, pieces: list, between: bytes, tail: bytes) -> str:
    """Write head, the pieces (`between` each two) and tail to `path` a piece at a time (the
    file whole is never in memory: 12 MB at 20,000 clippings); returns its SHA-256."""
    digest = hashlib.sha256(head)
    with open(path, "wb") as fh:
        fh.write(head)
        for k, piece in enumerate(pieces):
            if k and between:
                fh.write(between)
                digest.update(between)
            fh.write(piece)
            digest.update(piece)
        fh.write(tail)
        digest.update(tail)
    return digest.hexdigest()
