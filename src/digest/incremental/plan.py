"""What changed since the last build: the clippings added, edited and removed."""

from __future__ import annotations

from digest.core.model import Clipping
from digest.project import Project


def _changed(last: dict[str, str], now: dict[str, str], clippings, checked, store,
             project: Project) -> tuple[list[Clipping], set[int]]:
    """The old and new versions of every clipping added, edited or removed since `last`, and
    the ids of the new ones."""
    from digest.core.gazetteer import load_gazetteer
    from digest.incremental.records import StoredClipping, clipping_from_record

    # (a clipping kept from the last build's snapshot is unchanged since: no need to look)
    current = {c.path: c for c in clippings if type(c) is not StoredClipping}
    by_rel = {checked[path].rel: path for path in current}
    out = [current[by_rel[rel]] for rel, _sha in sorted(now.items() - last.items())]
    fresh = {id(c) for c in out}
    gone = {(sha, rel) for rel, sha in last.items() - now.items()}
    old = store.checked(gone)
    gazetteer = load_gazetteer()
    for (sha, rel) in sorted(gone):
        item = old.get((sha, rel))
        if item is None:  # the old version is not stored: cannot tell what it touched
            raise _NeedFull()
        display = project.display(project.clippings / rel)
        out.append(clipping_from_record(item.record, gazetteer, display))
    return out, fresh


class _NeedFull(Exception):
    pass
