"""Clippings grouped by country, pair, region, category, source, topic and month; matrix; related."""

from __future__ import annotations

import bisect
import datetime as dt
import sys
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Callable, Generic, Hashable, Iterable, TypeVar

from digest.core.model import (
    Clipping,
    Country,
    Pair,
    Region,
    date_key,
    load_all,
    shared_pair,
    slugify,
)

K = TypeVar("K", bound=Hashable)
_MONTH = attrgetter("month")

KINDS = ("country", "pair", "region", "category", "source", "topic")
RELATED_POOL = 10  # related clippings are chosen among this many older ones per country/pair


@dataclass
class Group(Generic[K]):
    """One listing: a country, pair, region, category, source or topic and its clippings."""

    kind: str
    slug: str
    name: str
    entity: K
    clippings: list[Clipping] = field(default_factory=list)  # newest first
    _months: list[tuple[str, list[Clipping]]] | None = field(default=None, repr=False,
                                                              compare=False)

    @property
    def count(self) -> int:
        return len(self.clippings)

    def months(self) -> list[tuple[str, list[Clipping]]]:
        """(`YYYY/MM`, clippings newest first) for each month, newest month first."""
        if self._months is None:  # clippings are newest first: each month is one run
            self._months = [(m, list(cs)) for m, cs in groupby(self.clippings, _MONTH)]
        return self._months

    @property
    def first(self) -> Clipping:
        return self.clippings[-1]

    @property
    def last(self) -> Clipping:
        return self.clippings[0]


def newest_first(clippings: Iterable[Clipping]) -> list[Clipping]:
    """Clippings newest first, ties broken by slug (reverse), so every listing is deterministic."""
    return sorted(clippings, key=lambda c: c.sort_key, reverse=True)


class _AscendingKeys(dict):
    """Sort keys of a country's or pair's clippings, oldest first, made when first asked for."""

    SEARCHED = 16  # a group asked about this often gets its list of keys

    def __init__(self, countries: dict, pairs: dict):
        super().__init__()
        self._countries, self._pairs = countries, pairs
        self._asked: dict[Hashable, int] = {}
        self.searched = self.SEARCHED  # (no limit where clippings are read when looked at)

    def __missing__(self, key):
        group = self._pairs[key] if isinstance(key, Pair) else self._countries[key]
        value = self[key] = [c.sort_key for c in reversed(group.clippings)]
        return value

    def older(self, key: Hashable, sort_key, inclusive: bool = False) -> int:
        """How many clippings of a country's or pair's group are older than `sort_key` (or as
        old, when `inclusive`): `bisect` of its keys. A group asked about a few times (an
        incremental build asks about the groups of its changed clippings) is searched as it
        is, newest first, rather than have a list made of its thousands of keys."""
        keys = self.get(key)
        if keys is None:
            asked = self._asked[key] = self._asked.get(key, 0) + 1
            if asked <= self.searched:
                group = self._pairs[key] if isinstance(key, Pair) else self._countries[key]
                clippings = group.clippings
                lo, hi = 0, len(clippings)
                while lo < hi:  # the first clipping older (or as old) is at `lo`
                    mid = (lo + hi) // 2
                    found = clippings[mid].sort_key
                    if found < sort_key or (inclusive and found == sort_key):
                        hi = mid
                    else:
                        lo = mid + 1
                return len(clippings) - lo
            keys = self[key]
        return (bisect.bisect_right if inclusive else bisect.bisect_left)(keys, sort_key)


def key_text(kind: str, key: Hashable) -> str:
    """A group's key as text (`DigestIndex.lists`)."""
    if kind == "country":
        return key.code  # type: ignore[attr-defined]
    if kind == "pair":
        return f"{key.a.code}-{key.b.code}"  # type: ignore[attr-defined]
    if kind == "region":
        return key.slug  # type: ignore[attr-defined]
    return key  # type: ignore[return-value]


def entities_from_text(gazetteer) -> dict[str, Callable[[str], Hashable]]:
    """A group's key from its text (`key_text`), per kind."""
    by_code, by_slug = gazetteer.by_code, gazetteer.by_slug

    def pair(text: str) -> Pair:
        a, b = text.split("-")
        return shared_pair(by_code[a], by_code[b])

    def same(text: str) -> str:
        return text

    return {"country": by_code.__getitem__, "pair": pair, "region": by_slug.__getitem__,
            "topic": same, "category": same, "source": same, "month": same}


def groups_of(c: Clipping) -> list[tuple[str, Hashable]]:
    """(kind, key) of every group a clipping belongs to (as `DigestIndex` groups them), and
    its month."""
    keys: list[tuple[str, Hashable]] = [("country", x) for x in c.countries]
    keys += [("pair", p) for p in c.pairs]
    keys += [("region", r) for r in c.regions]
    keys += [("topic", slugify(t)) for t in c.topics]  # twice for two of one slug, as there
    keys += [("category", slugify(c.category)), ("source", slugify(c.source)),
             ("month", c.month)]
    return keys


def insert_newest_first(newest_first_list: list[Clipping], c: Clipping) -> int:
    """Put `c` in its place in a list of clippings newest first (after any as new); return
    where. Only the clippings the search visits are looked at."""
    key = c.sort_key
    lo, hi = 0, len(newest_first_list)
    while lo < hi:
        mid = (lo + hi) // 2
        if newest_first_list[mid].sort_key >= key:
            lo = mid + 1
        else:
            hi = mid
    newest_first_list.insert(lo, c)
    return lo


class DigestIndex:
    """Every grouping the site shows, computed once from the clippings in linear time."""

    def __init__(self, clippings: Iterable[Clipping], pair_min: int = 1):
        self.clippings = newest_first(clippings)
        # Lists of clippings per key first (a loop over tens of thousands of clippings, kept
        # free of calls), then a Group per key named by its first (newest) clipping.
        lists: dict[str, dict[Hashable, list[Clipping]]] = {k: {} for k in KINDS}
        by_country, by_pair, by_region = lists["country"], lists["pair"], lists["region"]
        by_topic, by_category, by_source = lists["topic"], lists["category"], lists["source"]
        # The lists a clipping goes into are found once per set of countries (clippings read
        # from the build store share one tuple per set), per category and per source: the
        # loop itself only appends.
        by_set: dict[int, list[list[Clipping]]] = {}
        by_label: dict[tuple[int, str], list[Clipping]] = {}

        def label_list(which: dict[Hashable, list[Clipping]], text: str, kind: int):
            key = slugify(text)
            found = by_label[(kind, text)] = \
                which.get(key) or which.setdefault(key, [])
            return found

        for c in self.clippings:  # newest first, so every group is too
            countries = c.countries
            targets = by_set.get(id(countries))
            if targets is None or targets[0] is not countries:
                targets = by_set[id(countries)] = [countries]  # type: ignore[list-item]
                for key in countries:
                    targets.append(by_country.get(key) or by_country.setdefault(key, []))
                for key in c.pairs:
                    targets.append(by_pair.get(key) or by_pair.setdefault(key, []))
            for i in range(1, len(targets)):
                targets[i].append(c)
            for key in c.regions:
                (by_region.get(key) or by_region.setdefault(key, [])).append(c)
            for key in c.topics:
                key = slugify(key)
                (by_topic.get(key) or by_topic.setdefault(key, [])).append(c)
            (by_label.get((0, c.category)) or label_list(by_category, c.category, 0)).append(c)
            (by_label.get((1, c.source)) or label_list(by_source, c.source, 1)).append(c)
        names: dict[str, dict[Hashable, str]] = {}
        for kind, label in (("topic", None), ("category", "category"), ("source", "source")):
            names[kind] = {key: (next(t for t in cs[0].topics if slugify(t) == key)
                                 if label is None else getattr(cs[0], label))
                           for key, cs in lists[kind].items()}
        by_month: dict[str, list[Clipping]] = {}
        for c in self.clippings:
            key = c.month
            (by_month.get(key) or by_month.setdefault(key, [])).append(c)
        self._setup(lists, names, by_month, pair_min)

    def _setup(self, lists: dict[str, dict[Hashable, list[Clipping]]],
               names: dict[str, dict[Hashable, str]], by_month: dict[str, list[Clipping]],
               pair_min: int) -> None:
        """The groups of the lists of clippings per key (newest first), named by their entity
        (country, pair, region) or by `names` (labels: the spelling of the newest clipping)."""
        groups: dict[str, dict[Hashable, Group]] = {}
        for kind in KINDS:
            if kind in ("country", "pair", "region"):
                groups[kind] = {key: Group(kind, key.slug, key.name, key, cs)
                                for key, cs in lists[kind].items()}
            else:
                named = names[kind]
                groups[kind] = {key: Group(kind, key, named[key], key, cs)
                                for key, cs in lists[kind].items()}
        self.all_pairs = groups["pair"]
        groups["pair"] = {k: g for k, g in groups["pair"].items() if g.count >= pair_min}
        self.groups = {kind: sorted(g.values(), key=lambda g: g.slug) for kind, g in groups.items()}
        self._by_key = groups
        self._slugs: dict[tuple[str, str], Group] | None = None
        self._partners: dict[str, list[tuple[Pair, int]]] | None = None
        self._place: dict[int, int] | None = None
        self.by_month = by_month
        # Oldest-first keys per country and pair, to find "older than" positions by bisection
        # (made when first asked for: a small change asks for few).
        self._asc_keys = _AscendingKeys(groups["country"], self.all_pairs)

    def lists(self) -> list[tuple[str, Hashable, str, list[Clipping]]]:
        """Every group as (kind, key, name, its clippings), every pair included, the months
        as kind "month" (key: `YYYY/MM`)."""
        out = []
        for kind in KINDS:
            found = self.all_pairs if kind == "pair" else self._by_key[kind]
            out += [(kind, key, g.name, g.clippings) for key, g in found.items()]
        out += [("month", m, "", cs) for m, cs in self.by_month.items()]
        return out

    @classmethod
    def from_groups(cls, ordered: list[Clipping], grouped: dict[str, dict[Hashable, list[Clipping]]],
                    names: dict[str, dict[Hashable, str]], pair_min: int = 1,
                    deferred: bool = False) -> DigestIndex:
        """The index of clippings already grouped: `ordered` newest first, `grouped` each
        kind's lists (newest first; months as kind "month"), `names` the labels' names.
        With `deferred`, its clippings may be read only when looked at: a group is then
        searched as it is, never listed whole by its keys."""
        self = cls.__new__(cls)
        self.clippings = ordered
        # newest month first, as grouping the clippings newest first makes them
        by_month = dict(sorted(grouped["month"].items(), reverse=True))
        self._setup(grouped, names, by_month, pair_min)
        if deferred:
            self._asc_keys.searched = sys.maxsize
        return self

    def group(self, kind: str, key: Hashable) -> Group | None:
        """The group of `kind` for a country, pair, region or a label's slug; None if absent."""
        if kind == "pair":
            return self._by_key["pair"].get(key)
        return self._by_key[kind].get(key)

    def by_slug(self, kind: str, slug: str) -> Group | None:
        """The group of a kind by its slug (countries, pairs and regions are keyed by entity)."""
        if self._slugs is None:
            self._slugs = {(k, g.slug): g for k in KINDS for g in self.groups[k]}
        return self._slugs.get((kind, slug))

    def country(self, country: Country) -> Group | None:
        return self._by_key["country"].get(country)

    def pair(self, pair: Pair) -> Group | None:
        return self._by_key["pair"].get(pair)

    def region(self, region: Region) -> Group | None:
        return self._by_key["region"].get(region)

    def partners(self, country: Country) -> list[tuple[Pair, int]]:
        """Each pair a country belongs to (above the threshold), busiest first."""
        if self._partners is None:  # every country's at once: one pass over the pairs
            by_code: dict[str, list[tuple[Pair, int]]] = {}
            for p, g in self._by_key["pair"].items():
                by_code.setdefault(p.a.code, []).append((p, g.count))
                by_code.setdefault(p.b.code, []).append((p, g.count))
            self._partners = {code: sorted(pcs, key=lambda pc: (-pc[1], pc[0].slug))
                              for code, pcs in by_code.items()}
        return list(self._partners.get(country.code, ()))

    def pairs_busiest(self) -> list[Group]:
        """Pair groups, busiest first, then by name."""
        return sorted(self.groups["pair"], key=lambda g: (-g.count, g.slug))

    def busiest_pairs(self, days: int = 90, limit: int = 10) -> list[tuple[Group, int]]:
        """Pairs with the most clippings in the `days` before the newest clipping (reproducible)."""
        if not self.clippings:
            return []
        end = date_key(self.clippings[0].date)
        start = end - dt.timedelta(days=days)
        # The clippings since `start` are the first `recent` (newest first); each pair's are
        # the first of its list, found by their places in the whole list: no clipping needs
        # to be looked at but the few the searches visit.
        lo, hi = 0, len(self.clippings)
        while lo < hi:
            mid = (lo + hi) // 2
            if date_key(self.clippings[mid].date) < start:
                hi = mid
            else:
                lo = mid + 1
        recent = lo
        place = self._places()
        counts: dict[Pair, int] = {}
        for pair, group in self._by_key["pair"].items():
            members = group.clippings
            lo, hi = 0, len(members)
            while lo < hi:
                mid = (lo + hi) // 2
                if place[id(members[mid])] < recent:
                    lo = mid + 1
                else:
                    hi = mid
            if lo:
                counts[pair] = lo
        ranked = sorted(counts.items(), key=lambda pc: (-pc[1], pc[0].slug))[:limit]
        return [(self._by_key["pair"][p], n) for p, n in ranked]

    def _places(self) -> dict[int, int]:
        """Each clipping's place in `clippings` (newest first), by its id."""
        if self._place is None:
            self._place = {id(c): i for i, c in enumerate(self.clippings)}
        return self._place

    def matrix(self) -> tuple[list[Country], dict[tuple[str, str], int]]:
        """Countries that have any pair, and the count for each (code, code) in both orders."""
        counts: dict[tuple[str, str], int] = {}
        countries: set[Country] = set()
        for pair, group in self.all_pairs.items():
            counts[(pair.a.code, pair.b.code)] = counts[(pair.b.code, pair.a.code)] = group.count
            countries.update((pair.a, pair.b))
        return sorted(countries, key=lambda c: c.slug), counts

    def related(self, clipping: Clipping, limit: int = 5, pool: int | None = None,
                exclude: frozenset[str] = frozenset()) -> list[Clipping]:
        """Earlier clippings sharing the most countries, then the most recent.

        Only clippings older than this one are considered, so a clipping's page does not change
        when newer clippings are added; candidates are the `pool` most recent earlier clippings
        of each of its pairs and countries, which keeps the cost linear in the site's size.
        Clippings whose path is in `exclude` (those the page links already) are passed over.
        """
        pool = pool or RELATED_POOL
        key = clipping.sort_key
        own = set(clipping.countries)
        candidates: dict[str, Clipping] = {}
        groups: list[Group] = []
        for pair in clipping.pairs:
            if pair in self.all_pairs:
                groups.append(self.all_pairs[pair])
        for country in clipping.countries:
            group = self._by_key["country"].get(country)
            if group:
                groups.append(group)
        for group in groups:
            older = self._asc_keys.older(group.entity, key)  # clippings strictly older
            start = group.count - older
            for c in group.clippings[start: start + pool]:
                if c.path not in exclude:
                    candidates[c.path or c.slug] = c
        load_all(candidates.values())  # deferred clippings: these in one go
        ranked = sorted(candidates.values(),
                        key=lambda c: (len(own.intersection(c.countries)), c.sort_key),
                        reverse=True)
        return ranked[:limit]

    def older_count(self, key: Hashable, sort_key) -> int:
        """How many clippings of a country's or pair's group are older than `sort_key`."""
        return self._asc_keys.older(key, sort_key)

    def newer(self, key: Hashable, sort_key, count: int) -> list[Clipping]:
        """The `count` clippings of a country or pair group just newer than `sort_key`."""
        group = self.all_pairs.get(key) if isinstance(key, Pair) else \
            self._by_key["country"].get(key)
        if group is None:
            return []
        i = self._asc_keys.older(key, sort_key, inclusive=True)  # clippings not newer
        end = group.count - i  # newest first: clippings[:end] are the newer ones
        return group.clippings[max(0, end - count):end]

    def neighbours(self, clipping: Clipping, pair: Pair) -> tuple[Clipping | None, Clipping | None]:
        """The previous (older) and next (newer) clipping of the same pair."""
        group = self.all_pairs.get(pair)
        if group is None:
            return None, None
        i = self._asc_keys.older(pair, clipping.sort_key)
        n = group.count
        older = group.clippings[n - i] if i > 0 and n - i < n else None
        newer = group.clippings[n - i - 2] if i + 1 < n else None
        return older, newer
