"""The weekly issue: ISO weeks, when a week closes, and a week's clippings as an issue
(grouped by pair, busiest first; a clipping naming one country under that country)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from digest.core.model import Clipping, Country, Pair

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOSES = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@lru_cache(maxsize=8192)
def week_of(day: dt.date) -> str:
    """The ISO week a day is in: `2021-W33` (a digest has a few hundred days per year:
    each is worked out once)."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_days(week: str) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of an ISO week (`2021-W33`)."""
    m = _WEEK.match(week)
    if not m:
        raise ValueError(f"not an ISO week: {week!r} (write it as 2021-W33)")
    monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    return monday, monday + dt.timedelta(days=6)


def parse_closes(text: str) -> tuple[int, dt.time]:
    """When a week closes, as written in DIGEST_WEEK_CLOSES (`Monday 00:00`: the start of the
    next Monday): the weekday after the week (0 Monday) and the time."""
    m = _CLOSES.match(text or "")
    if not m or m.group(1).lower() not in WEEKDAYS or int(m.group(2)) > 23 or \
            int(m.group(3)) > 59:
        raise ValueError(f"DIGEST_WEEK_CLOSES must be a weekday and a time, as "
                         f"'Monday 00:00', not {text!r}")
    return WEEKDAYS.index(m.group(1).lower()), dt.time(int(m.group(2)), int(m.group(3)))


def closes_at(week: str, closes: tuple[int, dt.time], tz: dt.tzinfo) -> dt.datetime:
    """The moment a week's issue is final: the given weekday and time after its Sunday."""
    _, sunday = week_days(week)
    day = sunday + dt.timedelta(days=1 + closes[0])
    return dt.datetime.combine(day, closes[1], tzinfo=tz)


@dataclass(frozen=True)
class Intro:
    """An editor's introduction to one week's issue: its title (may be empty), its safe HTML
    and the hash of its file's text."""

    week: str
    title: str
    html: str
    sha: str


@dataclass(frozen=True)
class Section:
    """The clippings of an issue under one pair or country."""

    name: str
    kind: str  # "pair" or "country"
    slug: str
    clippings: tuple[Clipping, ...]


def sections(clippings: list[Clipping]) -> list[Section]:
    """A week's clippings (newest first) grouped for its issue: each clipping once, under the
    week's busiest of its pairs (a clipping naming one country, under that country); groups
    busiest first, then by name; within one, newest first."""
    pair_counts: dict[Pair, int] = {}
    for c in clippings:
        for p in c.pairs:
            pair_counts[p] = pair_counts.get(p, 0) + 1
    groups: dict[Pair | Country, list[Clipping]] = {}
    for c in clippings:
        if c.pairs:
            key = min(c.pairs, key=lambda p: (-pair_counts[p], p.slug))
        else:
            key = c.countries[0]
        groups.setdefault(key, []).append(c)
    out = [Section(k.name, "pair" if isinstance(k, Pair) else "country", k.slug, tuple(cs))
           for k, cs in groups.items()]
    out.sort(key=lambda s: (-len(s.clippings), s.kind != "pair", s.name))
    return out


def busiest_pairs(clippings: Iterable[Clipping], limit: int = 5) -> list[tuple[Pair, int]]:
    counts: dict[Pair, int] = {}
    for c in clippings:
        for p in c.pairs:
            counts[p] = counts.get(p, 0) + 1
    return sorted(counts.items(), key=lambda pc: (-pc[1], pc[0].slug))[:limit]


def country_counts(clippings: Iterable[Clipping]) -> dict[Country, int]:
    counts: dict[Country, int] = {}
    for c in clippings:
        for x in c.countries:
            counts[x] = counts.get(x, 0) + 1
    return counts
