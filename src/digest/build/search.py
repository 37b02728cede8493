"""The search index: one Pagefind bundle per quarter, built into the stage."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from digest.build.output import path_size, remove_later, scan_output
from digest.errors import BuildError

SEARCH = "pagefind"  # the search index's folder in the output
_NEW = ".pagefind-new"  # where the stage holds the bundles this build made


def search_phase(settings: dict[str, Any], stage: Path, pages: Iterable[str],
                 live: Path | None = None, changed: set[str] | None = None,
                 recorded: Callable[[str], bool] | None = None
                 ) -> tuple[dict[str, str], dict[str, str], float]:
    """Index the clipping pages (`pages`) with Pagefind, one bundle per quarter
    (`search_bundles`), into the stage. A full build's pages are all in the stage. An
    incremental one (`live`: the output folder, which has its new pages by now; `changed`:
    the files it wrote or removed) keeps the bundles of quarters with no changed file as
    they are (`recorded(f"pagefind/{bundle}/")`: whether the last build listed it), and
    indexes the others from `live`. Returns
    the search files (bundles made and kept: name → signature, name → owner) and the
    seconds it took; nothing when search is off."""
    if not settings.get("DIGEST_SEARCH", True):
        return {}, {}, 0.0
    started = time.perf_counter()
    pages = list(pages)
    if not pages:  # a digest with no clippings yet: nothing to index (its pages say so)
        return {}, {}, 0.0
    bundles = search_bundles(settings["DIGEST_ARTICLE_SAVE_AS"], pages)
    kept: set[str] = set()
    if live is not None and changed is not None:
        try:
            before = set(json.loads((live / SEARCH / "bundles.json").read_text("utf-8")))
        except (OSError, ValueError, TypeError):
            before = set()
        dirty = {"all"} if "all" in bundles else {_quarter_of(name) for name in changed}
        dirty.update(name.split("/")[1] for name in changed  # (a bundle's file went missing)
                     if name.startswith(SEARCH + "/") and name.count("/") >= 2)
        kept = {b for b in bundles if b in before and b not in dirty
                and (live / SEARCH / b / "pagefind.js").is_file()
                and recorded is not None and recorded(f"{SEARCH}/{b}/")}
    new = stage / _NEW
    new.mkdir()
    todo = {name: glob for name, glob in bundles.items() if name not in kept}
    search_index(stage if live is None else live, todo, new, min(os.cpu_count() or 1, 2))
    # The search page (theme/static/js/search.js) loads the newest bundle's pagefind.js and
    # merges the others, as bundles.json lists them, newest first.
    (new / "bundles.json").write_text(json.dumps(sorted(bundles, reverse=True)) + "\n",
                                      encoding="utf-8")
    scan_output(new, prefix=SEARCH + "/")  # what Pagefind wrote is published too
    # The list of outputs names each bundle by its folder (Pagefind writes thousands of
    # files a bundle, replaced together), and the shared files one by one.
    files = {f"{SEARCH}/{entry.name}" + ("/" if entry.is_dir() else ""): "search"
             for entry in os.scandir(new)}
    files.update({f"{SEARCH}/{b}/": "search" for b in kept})
    owners: dict[str, str] = {}
    if live is None:  # a full build: the stage is the site
        os.replace(new, stage / SEARCH)
    return files, owners, time.perf_counter() - started


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


def _quarter_of(page: str) -> str | None:
    """The quarter (`2021-q2`) of a page saved under its year and month, else None."""
    m = _DATED.match(page)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}-q{(int(m.group(2)) - 1) // 3 + 1}"


def search_bundles(pattern: str, pages: Iterable[str]) -> dict[str, str]:
    """The search index's bundles, each with the glob of the clipping pages it indexes (only
    clipping pages are results, so Pagefind reads only them). Where clipping pages are saved
    under their year and month (the default ARTICLE_SAVE_AS), there is one bundle per quarter
    that has clippings (`2021-q2`): a change re-indexes only its quarter, and the indexer's
    memory is bounded by a quarter's pages. Otherwise there is one bundle, `all`."""
    glob = re.sub(r"\{[^}]*\}", "*", pattern)
    bundles: dict[str, str] = {}
    if pattern.startswith("{date:%Y}/{date:%m}/"):
        tail = glob[len("*/*/"):]
        for page in pages:
            quarter = _quarter_of(page)
            if quarter is not None and quarter not in bundles:
                year, q = quarter.split("-q")
                bundles[quarter] = f"{year}/{{{_QUARTER_MONTHS[int(q) - 1]}}}/{tail}"
    return bundles or {"all": glob}


def search_index(output: Path, bundles: dict[str, str], folder: Path, processes: int = 1) -> None:
    """Build Pagefind bundles of the pages of `output` (name → glob of the pages) into
    `folder/name/`, without the network, up to `processes` at a time."""
    import subprocess
    import sys

    todo = sorted(bundles.items())
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
                name, glob = todo.pop(0)
                running.append((name, subprocess.Popen(
                    [sys.executable, "-m", "pagefind", "--site", str(output), "--silent",
                     "--glob", glob, "--output-path", str(folder / name)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            collect(*running.pop(0))
    finally:
        for _name, proc in running:  # an interruption: leave no indexer behind
            proc.kill()
            proc.wait()
    if failed:
        raise BuildError("the search index could not be built: " + "; ".join(failed))
