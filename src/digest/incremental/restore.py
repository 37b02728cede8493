"""The index of the last build's snapshot with this build's changes made: the same index as
one made from every clipping, at the cost of the changes only."""

from __future__ import annotations

from typing import Any, Hashable

from digest.core.index import (
    KINDS,
    DigestIndex,
    entities_from_text,
    groups_of,
    insert_newest_first,
    key_text,
)
from digest.core.model import Clipping, slugify
from digest.incremental.snapshot import Snapshot

Unchanged = dict[tuple[str, Hashable], tuple[int, int]]  # group → (at, size) in the snapshot


def restore_index(snapshot: Snapshot, kept: list[Clipping | None], added: list[Clipping],
                  gazetteer, pair_min: int = 1) -> tuple[DigestIndex, Unchanged]:
    """The index of `snapshot`, of which `kept` holds the clippings still there by position
    (None for the others), with the clippings `added`; and the groups no clipping joined or
    left, by where they are in the snapshot (the next snapshot copies their bytes). Kept
    clippings are not looked at, so an unread one stays unread. Raises ValueError, KeyError,
    IndexError or TypeError for a snapshot that does not hold together."""
    entity = entities_from_text(gazetteer)
    grouped: dict[str, dict[Hashable, list[Clipping]]] = {k: {} for k in (*KINDS, "month")}
    names: dict[str, dict[Hashable, str]] = {k: {} for k in (*KINDS, "month")}
    renamed: dict[str, set[Hashable]] = {k: set() for k in (*KINDS, "month")}
    unchanged: Unchanged = {}
    for kind, text, name, members, same in snapshot.lists(kept):
        if not members:
            continue
        key = entity[kind](text)
        grouped[kind][key] = members
        names[kind][key] = name
        if same:
            unchanged[(kind, key)] = same
        else:  # a clipping left: its newest may have gone
            renamed[kind].add(key)
    ordered = [c for c in kept if c is not None]
    for c in added:
        insert_newest_first(ordered, c)
        for kind, key in groups_of(c):
            unchanged.pop((kind, key), None)
            members = grouped[kind].get(key)
            if members is None:
                grouped[kind][key] = [c]
                renamed[kind].add(key)
            elif insert_newest_first(members, c) == 0:
                renamed[kind].add(key)
    for kind in ("topic", "category", "source"):
        for key in renamed[kind]:
            newest = grouped[kind][key][0]
            names[kind][key] = (next(t for t in newest.topics if slugify(t) == key)
                                if kind == "topic" else getattr(newest, kind))
    index = DigestIndex.from_groups(ordered, grouped, names, pair_min, deferred=True)
    return index, unchanged


def group_texts(index: DigestIndex, unchanged: Unchanged | None = None
                ) -> list[tuple[str, str, str, list[Clipping], Any]]:
    """Every group of the index as the snapshot keeps it: (kind, key as text, name,
    clippings, where it is in the last snapshot if unchanged since, else False)."""
    unchanged = unchanged or {}
    return [(kind, key_text(kind, key), name, members, unchanged.get((kind, key), False))
            for kind, key, name, members in index.lists()]
