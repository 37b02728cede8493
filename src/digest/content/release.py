"""The last publish as a manifest: where each published clipping's page is, so that renaming or
re-dating a published clipping is caught before its address (and its feed entry's id) breaks.

The manifest is the open data file of the last publish, `data/clippings.json` on the branch
`digest publish` commits to (`gh-pages`, or `origin/gh-pages` in a fresh clone): nothing more
has to be kept in the repository. A clipping is followed from one build to the next by its
original's address (`source_url`), which the duplicate check keeps unique; a clipping without
one cannot be followed, and is not checked.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable

from digest.core.model import Clipping
from digest.core.schema import normalise_url, parse_date
from digest.core.urls import DEFAULT_PATTERN, page_address
from digest.errors import Problem

BRANCH = "gh-pages"


def release_ref(root: Path, branch: str = BRANCH) -> tuple[str, str] | None:
    """(ref, commit) of the last publish: the local branch, else origin's; None if neither."""
    for ref in (branch, f"origin/{branch}"):
        try:
            out = subprocess.run(["git", "rev-parse", "--verify", "-q", f"{ref}^{{commit}}"],
                                 cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None  # no git here: nothing to compare with
        if out.returncode == 0 and out.stdout.strip():
            return ref, out.stdout.strip()
    return None


def _published_json(root: Path, commit: str, name: str) -> Any:
    """A JSON file of a publish, or {} when it has none (or an unreadable one)."""
    try:
        out = subprocess.run(["git", "show", f"{commit}:{name}"], cwd=root,
                             capture_output=True, timeout=60)
        return json.loads(out.stdout) if out.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}


def published_pages(root: Path, commit: str, data: str, pattern: str,
                    lang: str = "en") -> dict[str, str]:
    """Each clipping of a publish, by its original's normalised address: its page's address
    (by `pattern`). Empty when that publish has no open data file (or an unreadable one)."""
    doc = _published_json(root, commit, f"{data}clippings.json")
    pages: dict[str, str] = {}
    for item in doc.get("clippings", []) if isinstance(doc, dict) else []:
        try:
            date = parse_date(item["date"])
            if not item.get("source_url") or date is None:
                continue
            pages[normalise_url(item["source_url"])] = page_address(
                pattern, item["slug"], date, item["category"], lang)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # written by other code: what cannot be read is not compared
    return pages


def published_weeks(root: Path, data: str) -> dict[str, dict[str, Any]]:
    """The finished issues of the last publish (its `weeks.json`), by week: how each was when
    it became final and whether it changed since. Empty without a publish or such a file."""
    found = release_ref(root) if data else None
    if found is None:
        return {}
    doc = _published_json(root, found[1], f"{data}weeks.json")
    weeks: dict[str, dict[str, Any]] = {}
    for item in doc.get("weeks", []) if isinstance(doc, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("week"), str) and \
                all(isinstance(item.get(k), str) for k in ("final_sha", "sha")) and \
                isinstance(item.get("final_count"), int) and \
                isinstance(item.get("updated"), (str, type(None))):
            weeks[item["week"]] = item  # (written by other code: the rest is not read)
    return weeks


def moved_problems(clippings: list[Clipping], published: dict[str, str],
                   address: Callable[[Clipping], str],
                   url_keys: dict[str, str] | None = None) -> list[Problem]:
    """Clippings whose page was published at another address that no `redirect_from` keeps."""
    problems = []
    for c in clippings:
        if not c.source_url:
            continue
        key = (url_keys or {}).get(c.path) or normalise_url(c.source_url)
        before = published.get(key)
        if before is None:
            continue
        now = address(c)
        if before != now and before not in c.redirect_from:
            problems.append(Problem(c.path, None, (
                f"this clipping was published at {before} and would now be at {now}: links "
                f"and feed readers know the old address. Rename the file back (or restore its "
                f"date), or keep the new address and add `redirect_from: [{before}]`")))
    return problems


def release_problems(root: Path, clippings: list[Clipping], pattern: str = DEFAULT_PATTERN,
                     lang: str = "en", data: str = "data/", store=None,
                     url_keys: dict[str, str] | None = None,
                     unchanged: Callable[[Clipping], bool] | None = None) -> list[Problem]:
    """`moved_problems` against the last publish, if there is one (and the open data is on).

    With a store, the check's key (the publish and the settings it depends on) is left in
    `store.release_key`, for the build to record once it has finished; when the last finished
    build passed the check under the same key, only the clippings that are not `unchanged`
    since that build are checked (the others passed it as they are).
    """
    if not data:
        return []
    found = release_ref(root)
    if found is None:
        return []
    _ref, commit = found
    key = json.dumps([commit, data, pattern, lang])
    if store is not None:
        if unchanged is not None and store.meta("release_passed") == key:
            clippings = [c for c in clippings if not unchanged(c)]
        store.release_key = key
        if not clippings:
            return []
    pages = None
    if store is not None:  # the manifest of one publish is read once, not on every build
        cached = store.meta("release")
        if cached:
            try:
                cached_key, cached_pages = json.loads(cached)
                if cached_key == key and isinstance(cached_pages, dict):
                    pages = cached_pages
            except ValueError:
                pages = None
    if pages is None:
        pages = published_pages(root, commit, data, pattern, lang)
        if store is not None:
            store.set_meta("release", json.dumps([key, pages]))
    if not pages:
        return []
    return moved_problems(clippings, pages,
                          lambda c: page_address(pattern, c.slug, c.date, c.category, lang),
                          url_keys)
