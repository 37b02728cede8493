"""The search index: Pagefind bundles (one per quarter and `recent`), built into the stage."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from digest.build import search_tiers
from digest.build.output import path_size, remove_later, scan_output
from digest.build.search_tiers import (
    RECENT,
    Tiers,
    day_table,
    new_token,
    same_for_search,
)
from digest.errors import BuildError
from digest.plugin.settings import DEFAULTS

SEARCH = "pagefind"  # the search index's folder in the output
_NEW = ".pagefind-new"  # where the stage holds the bundles this build made
_LINKED = ".pagefind-pages"  # where it links the pages of a bundle for the indexer


def search_phase(settings: dict[str, Any], stage: Path, pages: Mapping[str, str],
                 live: Path | None = None, changed: set[str] | None = None,
                 recorded: Callable[[str], bool] | None = None, cache: Path | None = None,
                 token: str | None = None) -> tuple[dict[str, str], dict[str, str], float]:
    """Index the clipping pages (`pages`: page → its day) with Pagefind into the stage: one
    base bundle per quarter (`search_bundles`) and the bundle `recent` (search_tiers). A full
    build's pages are all in the stage, and every bundle is made. An incremental one (`live`:
    the output folder, which has its new pages by now; `changed`: the files it wrote or
    removed; `recorded(f"pagefind/{bundle}/")`: whether the last build listed a bundle;
    `token`: the one the last build recorded for bundles.json) indexes the pages written
    into `recent` and keeps the base bundles, where the manifest in `cache` agrees with the
    output; else it makes every bundle from `live`. Returns the search files (name →
    signature, name → owner) and the seconds it took; nothing when search is off."""
    if not settings.get("DIGEST_SEARCH", True):
        return {}, {}, 0.0
    started = time.perf_counter()
    pages = dict(pages)
    if not pages:  # a digest with no clippings yet: nothing to index (its pages say so)
        return {}, {}, 0.0
    globs = search_bundles(settings["DIGEST_ARTICLE_SAVE_AS"], pages,
                           settings.get("DIGEST_SEARCH_BUNDLE_PAGES", BUNDLE_PAGES))
    groups: dict[str, dict[str, str]] = {}  # bundle → page → day
    for page, day in pages.items():
        name = _bundle_of(page, globs)
        if name is not None:
            groups.setdefault(name, {})[page] = day
    site = stage if live is None else live
    tiers, todo = None, None
    if live is not None and changed is not None and cache is not None:
        tiers = Tiers.load(cache, live, token)
        todo = None if tiers is None else _tier_plan(
            tiers, groups, changed, live, stage / ".replaced", globs,
            recorded or (lambda _name: False))
    if tiers is None or todo is None:  # every bundle made
        tiers = Tiers()
        tiers.base = {name: {"days": day_table(group.values()), "ids": None}
                      for name, group in groups.items()}
        todo = {name: (site, globs[name]) for name in groups}
    new = stage / _NEW
    new.mkdir()
    if live is not None or RECENT in todo:
        _link_pages(todo, live or stage, stage, tiers, groups,
                    os.path.splitext(settings["DIGEST_ARTICLE_SAVE_AS"])[1] or ".html")
    search_index(todo, new, min(os.cpu_count() or 1, 2))
    tiers.token = new_token()
    # The search page (theme/static/js/search.js) loads every bundle bundles.json lists.
    (new / "bundles.json").write_text(json.dumps(tiers.listing(), separators=(",", ":")) + "\n",
                                      encoding="utf-8")
    if cache is not None:
        tiers.save(cache)
    scan_output(new, prefix=SEARCH + "/")  # what Pagefind wrote is published too
    # The list of outputs names each bundle by its folder (Pagefind writes thousands of
    # files a bundle, replaced together), and bundles.json by the token it shares with the
    # manifest.
    names = set(tiers.base) | ({RECENT} if tiers.recent else set())
    files = {f"{SEARCH}/{name}/": "search" for name in names}
    files[f"{SEARCH}/bundles.json"] = f"search:{tiers.token}"
    if live is None:  # a full build: the stage is the site
        os.replace(new, stage / SEARCH)
    return files, {}, time.perf_counter() - started


def _tier_plan(tiers: Tiers, groups: dict[str, dict[str, str]], changed: set[str],
               live: Path, replaced: Path, globs: dict[str, str],
               recorded: Callable[[str], bool]) -> dict[str, tuple[Path, str]] | None:
    """Bring the manifest up to the pages of this build (`groups`: bundle → page → day;
    `replaced`: where the pages they replace were put) and say which bundles to make (name
    → the site and glob of its pages); None where the manifest does not describe the
    output's bundles (then every bundle is made)."""
    for name in [*tiers.base, *([RECENT] if tiers.recent else [])]:
        if not ((live / SEARCH / name / "pagefind.js").is_file()
                and recorded(f"{SEARCH}/{name}/")):
            return None
    pages = {page: day for group in groups.values() for page, day in group.items()}
    damaged = {name.split("/")[1] for name in changed
               if name.startswith(SEARCH + "/") and name.count("/") >= 2}
    before = dict(tiers.recent)
    for name in changed:
        if name in pages and same_for_search(replaced / name, live / name):
            continue  # (written again for its links to other clippings only)
        bundle = _bundle_of(name, globs)
        if bundle is not None and bundle in tiers.base:
            tiers.kill(bundle, name, live)  # (a page written again, or removed)
        if name in pages:
            tiers.recent[name] = pages[name]
        else:
            tiers.recent.pop(name, None)
    merge = {name for name in damaged if name in tiers.base}
    for name in [name for name in tiers.base if name not in groups]:
        # A bundle this build does not make (a quarter grown past BUNDLE_PAGES and now a
        # bundle per month, months joined again, a quarter left empty) goes, and the bundles
        # now holding its months are made.
        merge |= {name} | {other for other in groups if _overlap(name, other)}
    limit = search_tiers.RECENT_LIMIT
    if len(tiers.recent) > limit or sum(map(len, tiers.dead.values())) > limit:
        merge |= tiers.to_merge(lambda page: _bundle_of(page, globs), limit // 2)
    for name in merge:  # made again of every page of its quarter or month
        tiers.dead.pop(name, None)
        for page in groups.get(name, {}):
            tiers.recent.pop(page, None)
        if name in groups:
            tiers.base[name] = {"days": day_table(groups[name].values()), "ids": None}
        else:
            tiers.base.pop(name, None)
    if tiers.live_count() != len(pages):
        return None
    todo = {name: (live, globs[name]) for name in merge if name in groups}
    if tiers.recent and (tiers.recent != before or RECENT in damaged or merge):
        todo[RECENT] = (live, "")
    return todo


def _link_pages(todo: dict[str, tuple[Path, str]], live: Path, stage: Path, tiers: Tiers,
                groups: dict[str, dict[str, str]], ext: str) -> None:
    """Index `recent`, and every bundle of an incremental build, from a folder of links to
    its pages alone: the output still has the pages the build removes (they go once it is
    published)."""
    for name in todo:
        if name == RECENT or live is not stage:
            pages = tiers.recent if name == RECENT else groups[name]
            todo[name] = (_linked_site(live, stage / _LINKED / name, pages), f"**/*{ext}")


def _linked_site(live: Path, folder: Path, pages: Iterable[str]) -> Path:
    """A folder with the pages of a bundle (links to those of `live`, or copies), so that
    Pagefind reads them and nothing else."""
    for page in pages:
        target = folder / page
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(live / page, target)
        except OSError:
            shutil.copyfile(live / page, target)
    return folder


def apply_search(stage: Path, output: Path, files: Mapping[str, str]) -> None:
    """Put the bundles made in the stage in place in `output/pagefind/`: each replaces the
    bundle of its name, the shared files are replaced, bundles no longer listed go."""
    new, target = stage / _NEW, output / SEARCH
    if not new.exists():
        return
    target.mkdir(exist_ok=True)
    trash = stage / ".pagefind-old"
    trash.mkdir(exist_ok=True)
    listed = {name.split("/")[1] for name in files if name.count("/") >= 2}
    for entry in list(os.scandir(target)):
        if entry.is_dir() and entry.name not in listed:
            os.replace(entry.path, trash / entry.name)
    for entry in list(os.scandir(new)):
        if entry.is_dir():
            if (target / entry.name).exists():
                os.replace(target / entry.name, trash / entry.name)
            os.replace(entry.path, target / entry.name)
        else:
            os.replace(entry.path, target / entry.name)
    remove_later(trash)


def search_size_change(stage: Path, output: Path, files: Mapping[str, str]) -> int:
    """How many bytes putting the stage's bundles in place (`apply_search`) adds to the
    output's pagefind/ (or takes from it)."""
    new, target = stage / _NEW, output / SEARCH
    if not new.exists():
        return 0
    listed = {name.split("/")[1] for name in files if name.count("/") >= 2}
    change = 0
    if target.exists():
        for entry in os.scandir(target):
            if entry.is_dir() and entry.name not in listed:
                change -= path_size(Path(entry.path))
    for entry in os.scandir(new):
        change += path_size(Path(entry.path)) - path_size(target / entry.name)
    return change


_DATED = re.compile(r"(\d{4})/(\d{2})/")


_QUARTER_MONTHS = ("01,02,03", "04,05,06", "07,08,09", "10,11,12")
# The most pages a quarter's bundle holds: a larger quarter is a bundle per month. Pagefind
# holds about 130 KB a page while it indexes, so a bundle of 5,000 pages needs some 650 MiB.
BUNDLE_PAGES = DEFAULTS["DIGEST_SEARCH_BUNDLE_PAGES"]


def _bundle_of(page: str, globs: Mapping[str, str]) -> str | None:
    """The base bundle of a page: its quarter, its month (a quarter split), or `all` where
    there is one bundle."""
    if "all" in globs:
        return "all"
    quarter = _quarter_of(page)
    if quarter is None or quarter in globs:
        return quarter
    month = page[:4] + "-" + page[5:7]
    return month if month in globs else quarter


def _quarter_of(page: str) -> str | None:
    """The quarter (`2021-q2`) of a page saved under its year and month, else None."""
    m = _DATED.match(page)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}-q{(int(m.group(2)) - 1) // 3 + 1}"


def _months_of(name: str) -> set[str]:
    """The months (`2021-04`) a base bundle's pages are of; `all`: every month."""
    if "-q" in name:
        year, q = name.split("-q")
        return {f"{year}-{m}" for m in _QUARTER_MONTHS[int(q) - 1].split(",")}
    return {"*"} if name == "all" else {name}


def _overlap(a: str, b: str) -> bool:
    """Whether two base bundles hold pages of some month in common."""
    ma, mb = _months_of(a), _months_of(b)
    return "*" in ma or "*" in mb or bool(ma & mb)


def search_bundles(pattern: str, pages: Iterable[str],
                   most: int = BUNDLE_PAGES) -> dict[str, str]:
    """The search index's bundles, each with the glob of the clipping pages it indexes (only
    clipping pages are results, so Pagefind reads only them). Where clipping pages are saved
    under their year and month (the default ARTICLE_SAVE_AS), there is one bundle per quarter
    that has clippings (`2021-q2`), or one per month of a quarter of more than `most` pages
    (`2021-04`): a change re-indexes only its bundle, and the indexer's memory is bounded by
    a bundle's pages. Otherwise there is one bundle, `all`."""
    glob = re.sub(r"\{[^}]*\}", "*", pattern)
    bundles: dict[str, str] = {}
    if pattern.startswith("{date:%Y}/{date:%m}/"):
        tail = glob[len("*/*/"):]
        months: Counter[str] = Counter()
        for page in pages:
            if _quarter_of(page) is not None:
                months[page[:7]] += 1
        quarters: Counter[str] = Counter()
        for month, n in months.items():
            quarters[_quarter_of(month + "/")] += n
        for quarter, n in sorted(quarters.items()):
            year, q = quarter.split("-q")
            if n <= most:
                bundles[quarter] = f"{year}/{{{_QUARTER_MONTHS[int(q) - 1]}}}/{tail}"
                continue
            for m in _QUARTER_MONTHS[int(q) - 1].split(","):
                if months[f"{year}/{m}"]:
                    bundles[f"{year}-{m}"] = f"{year}/{m}/{tail}"
    return bundles or {"all": glob}


def search_index(bundles: Mapping[str, tuple[Path, str]], folder: Path,
                 processes: int = 1) -> None:
    """Build Pagefind bundles (name → the site and the glob of its pages to index) into
    `folder/name/`, without the network, up to `processes` at a time."""
    import subprocess
    import sys

    todo = sorted(bundles.items(), key=lambda item: item[0])
    running: list[tuple[str, subprocess.Popen]] = []
    failed: list[str] = []

    def collect(name: str, proc: subprocess.Popen) -> None:
        try:
            out, err = proc.communicate(timeout=1800)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err = "Pagefind took more than 30 minutes"
        if proc.returncode != 0 or not (folder / name / "pagefind.js").exists():
            detail = (err or out).strip().splitlines()[-5:]
            failed.append(f"{name}: " + " / ".join(detail))

    try:
        while todo or running:
            while todo and len(running) < max(1, processes):
                name, (site, glob) = todo.pop(0)
                running.append((name, subprocess.Popen(
                    [sys.executable, "-m", "pagefind", "--site", str(site), "--silent",
                     "--glob", glob, "--output-path", str(folder / name)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            collect(*running.pop(0))
    finally:
        for _name, proc in running:  # an interruption: leave no indexer behind
            proc.kill()
            proc.wait()
    if failed:
        raise BuildError("the search index could not be built: " + "; ".join(failed))
