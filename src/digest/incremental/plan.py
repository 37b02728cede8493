"""The build plan: full, or the clippings added, changed and removed since the last build and
the pages they reach. Nothing else decides what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from digest.core import index as index_module
from digest.core.gazetteer import load_gazetteer
from digest.core.index import DigestIndex
from digest.core.model import Clipping, Pair, slugify
from digest.incremental.records import clipping_from_record
from digest.incremental import ALWAYS, listing_owner  # noqa: F401 - (here too)


@dataclass(frozen=True)
class LastBuild:
    """What the store remembers of the last finished build into this output folder."""

    built: Mapping[str, str]  # clipping file (below the clippings folder) → its SHA-256
    files: Mapping[str, str]  # output file → signature
    owners: Mapping[str, str]  # output file → its listing's owner (`listing_owner`)
    sizes: Mapping[str, int] | None = None  # the site's bytes by top-level entry
    notes: Mapping[str, str] | None = None  # the notes it showed: `kind:slug:month` → text


@dataclass(frozen=True)
class BuildPlan:
    """What one build must render. A full plan renders everything into a fresh folder; an
    incremental one names the clippings added, edited or removed (old and new versions), the
    listings and months they belong to, and the clippings whose pages they can reach; every
    other file of the last build is kept as it is."""

    full: bool
    why: str = ""  # why the build is a full one
    last: LastBuild | None = None
    changed: tuple[Clipping, ...] = ()  # old and new versions
    fresh: frozenset[int] = frozenset()  # ids of the new versions among them
    touched: Mapping[tuple[str | None, str], frozenset[str]] = field(default_factory=dict)
    candidates: frozenset[str] | None = None  # clipping paths whose page may differ
    live: Path | None = None  # the output folder the kept files are in
    snapshot: Any = None  # the last build's snapshot the index was restored from, if any
    # the months whose notes changed, by listing ((None, "") is the whole digest's)
    noted: Mapping[tuple[str | None, str], frozenset[str]] = field(default_factory=dict)
    _owned: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    # asked by the generator ---------------------------------------------------------
    def signature(self, name: str) -> str | None:
        """The signature the last build gave file `name`; None for a full plan or a new file."""
        return self.last.files.get(name) if self.last is not None else None

    def owner(self, name: str) -> str:
        return self.last.owners.get(name, "") if self.last is not None else ""

    def reaches(self, kind: str | None, slug: str) -> bool:
        """Whether a changed clipping belongs (or belonged) to this listing."""
        return self.full or (kind, slug) in self.touched

    def kept_listing(self, kind: str, slug: str) -> tuple[str, ...] | None:
        """Every file of a listing no changed clipping or note belongs to, as the last build
        wrote them; None when the listing must be planned afresh."""
        if self.full or (kind, slug) in self.touched or (kind, slug) in self.noted:
            return None
        return self._owned.get(listing_owner(kind, slug))

    def kept_pages(self, clippings: Iterable[Clipping]) -> dict[str, str]:
        """The last build's page of each of these clippings that is out of reach of every
        change and was kept unread from the last build's snapshot, which names the page
        (clipping path → page; the clippings need not be read for it)."""
        if self.full or self.candidates is None or self.snapshot is None:
            return {}
        snapshot, candidates, files = self.snapshot, self.candidates, self.last.files
        pages = snapshot.pages()
        out = {}
        for c in clippings:
            source = c.deferred_from
            if source is None or source[0].snapshot is not snapshot or c.path in candidates:
                continue
            page = pages[source[1]]
            if page and page in files:  # type: ignore[operator]
                out[c.path] = page
        return out

    def months_to_render(self, kind: str | None, slug: str, newest_first: list[str]
                         ) -> set[str] | None:
        """The months of a listing whose month pages may differ from the last build's (None:
        all): those of its changed clippings and notes, and the months either side of each
        changed clipping's, whose pages link to the next older and newer months."""
        if self.full:
            return None
        changed = self.touched.get((kind, slug), frozenset())
        redo = set(changed) | self.noted.get((kind, slug), frozenset())
        for month in changed:
            newer = [k for k in newest_first if k > month]
            older = [k for k in newest_first if k < month]
            if newer:
                redo.add(newer[-1])
            if older:
                redo.add(older[0])
        return redo

    def day_pages(self, month_page: str) -> tuple[str, ...]:
        """The day pages (`…/days/DD/index.html`) the last build wrote beside a month page."""
        if self.last is None or "/" not in month_page:
            return ()
        return self._owned.get("days:" + month_page.rsplit("/", 1)[0] + "/days/", ())


def full_plan(why: str) -> BuildPlan:
    return BuildPlan(full=True, why=why)


def notes_changed(last: Mapping[str, str], now: Mapping[str, str]
                  ) -> dict[tuple[str | None, str], frozenset[str]]:
    """The months whose notes changed since the last build (`kind:slug:month` → text, as
    `Notes.flat`), by listing; each also under the whole digest's (None, ""), whose month
    pages show every note of their month."""
    out: dict[tuple[str | None, str], set[str]] = {}
    for key in {k for k in last.keys() | now.keys() if last.get(k) != now.get(k)}:
        kind, slug, month = key.split(":")
        out.setdefault((kind, slug), set()).add(month)
        out.setdefault((None, ""), set()).add(month)
    return {k: frozenset(v) for k, v in out.items()}


def incremental_plan(last: LastBuild, changed: list[Clipping], fresh: set[int],
                     index: DigestIndex, pair_min: int, live: Path, snapshot=None,
                     noted: Mapping[tuple[str | None, str], frozenset[str]] | None = None
                     ) -> BuildPlan:
    """The plan of an incremental build from the last build and the changed clippings (old
    and new versions; `fresh` the ids of the new ones), given the index of this build."""
    touched: dict[tuple[str | None, str], set[str]] = {}
    for c in changed:
        for key in _listings_of(c):
            touched.setdefault(key, set()).add(c.month)
    owned: dict[str, list[str]] = {}
    for name, owner in last.owners.items():
        (owned.get(owner) or owned.setdefault(owner, [])).append(name)
    for name in last.files:
        if "/days/" in name:  # the day pages of a busy month, by the month's folder
            head, _, _ = name.partition("/days/")
            key = "days:" + head + "/days/"
            (owned.get(key) or owned.setdefault(key, [])).append(name)
    return BuildPlan(
        full=False, last=last, changed=tuple(changed), fresh=frozenset(fresh),
        touched=MappingProxyType({k: frozenset(v) for k, v in touched.items()}),
        candidates=frozenset(_candidates(changed, fresh, index, pair_min)),
        live=live, snapshot=snapshot, noted=MappingProxyType(dict(noted or {})),
        _owned=MappingProxyType({k: tuple(v) for k, v in owned.items()}))


def _listings_of(c: Clipping) -> list[tuple[str | None, str]]:
    """Every listing (kind, slug) a clipping belongs to; (None, "") is the whole digest."""
    keys: list[tuple[str | None, str]] = [("country", x.slug) for x in c.countries]
    keys += [("pair", p.slug) for p in c.pairs]
    keys += [("region", r.slug) for r in c.regions]
    keys += [("topic", slugify(t)) for t in c.topics]
    keys += [("category", slugify(c.category)), ("source", slugify(c.source)), (None, "")]
    return keys


def _candidates(changed: list[Clipping], fresh: set[int], index: DigestIndex,
                pair_min: int) -> set[str]:
    """Clippings whose page may differ from the last build's.

    A page shows its own clipping (its hash), its same-pair neighbours, whether its pairs
    have pages, and related clippings (only older ones, sharing a country). So a changed
    clipping can change its neighbours' pages in each of its pairs, every page of a pair
    that gained or lost its page, and pages of the clippings just newer than it in its
    countries and pairs (related clippings are older ones, chosen among the nearest).
    """
    out: set[str] = set()
    delta: dict[Pair, int] = {}
    for d in changed:
        out.add(d.path)
        for pair in d.pairs:
            delta[pair] = delta.get(pair, 0) + (1 if id(d) in fresh else -1)
            group = index.all_pairs.get(pair)
            if group is None:
                continue
            i = index.older_count(pair, d.sort_key)  # the clippings either side of d
            n = group.count
            for k in (i - 1, i, i + 1):
                if 0 <= k < n:
                    out.add(group.clippings[n - 1 - k].path)
        # Related clippings are chosen among the RELATED_POOL clippings just older than a
        # page's in each of its countries and pairs: d can enter or leave only the choice
        # of the pages that many places newer than it.
        for key in (*d.countries, *d.pairs):
            out.update(c.path for c in index.newer(key, d.sort_key,
                                                   index_module.RELATED_POOL + 1))
    for pair, change in delta.items():
        group = index.all_pairs.get(pair)
        now = group.count if group else 0
        if (now >= pair_min) != (now - change >= pair_min) and group:
            out.update(c.path for c in group.clippings)
    return out


class NeedFull(Exception):
    """The last build cannot be followed (an old version is not stored): build in full."""


def changed_clippings(last: Mapping[str, str], now: Mapping[str, str],
                      read: list[Clipping], checked, old_versions, display
                      ) -> tuple[list[Clipping], set[int]]:
    """The old and new versions of every clipping added, edited or removed since `last`
    (file → SHA-256, as `now`), and the ids of the new ones. `read`: the clippings not kept
    unread from the last build's snapshot (those are unchanged since: no need to look);
    `old_versions` gives the stored checks of versions no longer there, by (sha256, rel);
    `display` a file's path as shown. Raises NeedFull when an old version is not stored."""
    by_rel = {checked[c.path].rel: c for c in read}
    before, after = last.get, now.get
    out = [by_rel[rel] for rel in sorted(rel for rel, sha in now.items() if before(rel) != sha)]
    fresh = {id(c) for c in out}
    gone = {(sha, rel) for rel, sha in last.items() if after(rel) != sha}
    old = old_versions(gone)
    gazetteer = load_gazetteer()
    for (sha, rel) in sorted(gone):
        item = old.get((sha, rel))
        if item is None:
            raise NeedFull()
        out.append(clipping_from_record(item.record, gazetteer, display(rel)))
    return out, fresh
