"""The search index's tiers: what an incremental build keeps of the last one's bundles.

The index is one Pagefind bundle per quarter (the *base*), and one small bundle, `recent`, of
the clipping pages written since the base bundle of their quarter was made. A rebuild that
changes a few pages indexes only `recent` again (hundreds of pages at most, not a quarter's
thousands); the base copies of the pages it holds, and those of pages removed, are *dead*:
listed in `pagefind/bundles.json` by their Pagefind id, with their filters, so that the search
page drops them from its results and its counts. Past `RECENT_LIMIT` pages (or as many dead
ones) the quarters holding most of them are indexed again, with their pages, until half the
limit is left, as log-structured stores merge their levels.

Where the pages are in the bundles is kept in the manifest (`.digest-cache/search.json`),
under the token that bundles.json and the build's record of it carry too: if any of the
three disagrees, or the counts do not add up, every bundle is made again."""

from __future__ import annotations

import json
import os
import re
import secrets
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

RECENT = "recent"
RECENT_LIMIT = 300  # pages in `recent` (or dead in the base) before quarters are merged
MANIFEST = "search.json"
_VERSION = 1
_HEADER = len(b"pagefind_dcd")  # (a fragment: gzip of this signature, then its JSON)
_URL = re.compile(rb'"url":"((?:[^"\\]|\\.)*)"')


def new_token() -> str:
    return secrets.token_hex(8)


def day_table(days: Iterable[str]) -> list[list]:
    """The days of a bundle's pages, ascending, each with its count of pages: Pagefind sorts
    the pages by their date (the string of `data-pagefind-sort`, whose first ten characters
    are the day), so the page at position p of that order is on the day where the running
    count passes p. The search page orders results across bundles by it."""
    return [[day, n] for day, n in sorted(Counter(days).items())]


def page_url(page: str) -> str:
    """The address Pagefind gives a page of the output (`2021/04/a/index.html` → `/2021/04/a/`)."""
    url = "/" + page
    return url[:-len("index.html")] if url.endswith("/index.html") else url


# A part of a clipping's page the indexer skips, about other clippings (the pair's older and
# newer ones, the related ones): written again when they change, with nothing to index.
_ABOUT_OTHERS = re.compile(rb"<(nav|aside)\b[^>]*\bdata-pagefind-ignore\b[^>]*>(.*?)</\1>", re.S)


def same_for_search(old: Path, new: Path) -> bool:
    """Whether two versions of a page give the indexer the same page: equal but for the
    parts about other clippings, where those hold nothing else for it (no filter, meta or
    sort, no nested part of their kind)."""
    try:
        a, b = old.read_bytes(), new.read_bytes()
    except OSError:
        return False
    return a == b or _without_others(a) == _without_others(b)


def _without_others(page: bytes) -> bytes:
    def cut(m: re.Match) -> bytes:
        inner = m.group(2)
        if b"data-pagefind-" in inner or b"<nav" in inner or b"<aside" in inner:
            return m.group(0)
        return b""
    return _ABOUT_OTHERS.sub(cut, page)


def fragment_ids(bundle: Path) -> dict[str, str]:
    """Each page of a bundle (by its address) with its Pagefind id, read from the first bytes
    of its fragment (the address comes first)."""
    found: dict[str, str] = {}
    folder = bundle / "fragment"
    for entry in os.scandir(folder):
        if not entry.name.endswith(".pf_fragment"):
            continue
        with open(entry.path, "rb") as fh:
            data = fh.read()
        head = zlib.decompressobj(31).decompress(data, 4096)
        m = _URL.search(head, _HEADER)
        if m is not None:
            found[json.loads(b'"' + m.group(1) + b'"')] = entry.name[:-len(".pf_fragment")]
    return found


def fragment_filters(bundle: Path, fid: str) -> dict[str, list[str]]:
    """The filters (name → values, as Pagefind holds them) of a page of a bundle."""
    data = zlib.decompress((bundle / "fragment" / f"{fid}.pf_fragment").read_bytes(), 31)
    filters = json.loads(data[_HEADER:]).get("filters") or {}
    return {k: [str(v) for v in vs] for k, vs in filters.items() if isinstance(vs, list)}


class Tiers:
    """The manifest: the base bundles (each with its day table and, once read, the id of
    each of its pages), the pages of `recent` (each with its day) and the dead base pages."""

    def __init__(self, data: dict[str, Any] | None = None):
        data = data or {}
        self.token: str = data.get("token") or new_token()
        self.base: dict[str, dict[str, Any]] = data.get("base") or {}
        self.recent: dict[str, str] = data.get("recent") or {}
        self.dead: dict[str, dict[str, list]] = data.get("dead") or {}

    @classmethod
    def load(cls, folder: Path, live: Path, token: str | None) -> "Tiers | None":
        """The manifest of the bundles in `live/pagefind/`, or None where there is none, or
        where it, the bundles' list and the build's record (`token`) do not agree."""
        try:
            data = json.loads((folder / MANIFEST).read_text("utf-8"))
            listed = json.loads((live / "pagefind" / "bundles.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if (not isinstance(data, dict) or data.get("version") != _VERSION
                or not isinstance(listed, dict) or token is None
                or data.get("token") != token or listed.get("token") != token):
            return None
        tiers = cls(data)
        names = set(tiers.base) | ({RECENT} if tiers.recent else set())
        if {b.get("name") for b in listed.get("bundles") or []} != names:
            return None
        return tiers

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data = {"version": _VERSION, "token": self.token, "base": self.base,
                "recent": self.recent, "dead": self.dead}
        tmp = folder / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)

    def live_count(self) -> int:
        """The pages the bundles give as results: the base's but the dead, and `recent`'s."""
        base = sum(n for b in self.base.values() for _day, n in b["days"])
        return base - sum(map(len, self.dead.values())) + len(self.recent)

    def ids(self, name: str, live: Path) -> dict[str, str]:
        """A base bundle's pages (by their page in the output) with their Pagefind ids, read
        from its fragments the first time they are needed, then kept in the manifest."""
        bundle = self.base[name]
        if bundle.get("ids") is None:
            urls = fragment_ids(live / "pagefind" / name)
            bundle["ids"] = {_page_of(url): fid for url, fid in urls.items()}
        return bundle["ids"]

    def kill(self, name: str, page: str, live: Path) -> None:
        """The base copy of `page` in bundle `name` (if it has one) is no longer a result."""
        if name not in self.base or page in self.dead.get(name, {}):
            return
        fid = self.ids(name, live).get(page)
        if fid is not None:
            filters = fragment_filters(live / "pagefind" / name, fid)
            self.dead.setdefault(name, {})[page] = [fid, filters]

    def to_merge(self, bundle_of: Callable[[str], str | None], keep: int) -> set[str]:
        """The quarters to index again so that at most `keep` pages stay in `recent` and as
        many dead: those holding most of them first (new clippings are mostly of the last
        quarter, which is then the one indexed again)."""
        recent = Counter(bundle_of(page) for page in self.recent)
        dead = Counter({name: len(pages) for name, pages in self.dead.items()})
        left_recent, left_dead = len(self.recent), sum(dead.values())
        chosen: set[str] = set()
        for name, _n in sorted((recent + dead).items(), key=lambda kv: (-kv[1], str(kv[0]))):
            if left_recent <= keep and left_dead <= keep:
                break
            if name is not None:
                chosen.add(name)
            left_recent -= recent[name]
            left_dead -= dead[name]
        return chosen

    def listing(self) -> dict[str, Any]:
        """bundles.json: the bundles, `recent` first and then the base newest first, each
        with its day table and its dead pages (Pagefind id → filters)."""
        order = ([RECENT] if self.recent else []) + sorted(
            self.base, key=lambda name: (self.base[name]["days"][-1][0]
                                         if self.base[name]["days"] else "", name),
            reverse=True)
        bundles = []
        for name in order:
            days = day_table(self.recent.values()) if name == RECENT else self.base[name]["days"]
            dead = {fid: filters for fid, filters in self.dead.get(name, {}).values()}
            bundles.append({"name": name, "days": days, "dead": dead})
        return {"version": 2, "token": self.token, "bundles": bundles}


def _page_of(url: str) -> str:
    """The output page of a Pagefind address (the inverse of `page_url`)."""
    path = url.lstrip("/")
    return path + "index.html" if path.endswith("/") or not path else path
