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

from digest.incremental.records import CSV_COLUMNS


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
    json: list[bytes]  # pieces to join with commas
    csv: list[bytes]  # pieces to concatenate
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

    def copy(a: int, b: int) -> None:  # rows a..b of the last files
        assert last is not None
        out.json.append(last.json[last.json_at[a]:last.json_at[b + 1] - 1])
        out.csv.append(last.csv[last.csv_at[a]:last.csv_at[b + 1]])
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
