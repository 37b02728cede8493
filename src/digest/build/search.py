"""The search index: one Pagefind bundle per quarter, built into the stage."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any, Iterable

from digest.build.output import _remove_later
from digest.errors import BuildError


def _search(site: Path, settings: dict[str, Any], stage: Path, pages: Iterable[str],
            changed: set[str] | None = None) -> float:
    """Index the clipping pages (`pages`) of `site` with Pagefind, one bundle per quarter
    (`search_bundles`); the bundles replace `site/pagefind/` only once they are all complete.
    With `changed` (the files an incremental build wrote or removed), the bundles of quarters
    with no changed file are kept as they are. Returns the seconds it took (0 when search is
    off)."""
    if not settings.get("DIGEST_SEARCH", True):
        return 0.0
    started = time.perf_counter()
    bundles = search_bundles(settings["DIGEST_ARTICLE_SAVE_AS"], pages)
    target = site / "pagefind"
    kept: set[str] = set()
    if changed is not None:
        try:
            before = set(json.loads((target / "bundles.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            before = set()
        dirty = {"all"} if "all" in bundles else {_quarter_of(name) for name in changed}
        kept = {b for b in bundles if b in before and b not in dirty
                and (target / b / "pagefind.js").is_file()}
    new = stage / ".pagefind-new"
    new.mkdir()
    search_index(site, {name: glob for name, glob in bundles.items() if name not in kept}, new,
                 min(os.cpu_count() or 1, 2))
    for name in kept:  # unchanged quarters: their bundles as they are
        os.replace(target / name, new / name)
    # The search page loads Pagefind's interface from pagefind/ (the same in every bundle) and
    # merges the bundles listed in bundles.json, newest first.
    for asset in ("pagefind-ui.js", "pagefind-ui.css"):
        shutil.copyfile(new / min(bundles) / asset, new / asset)
    (new / "bundles.json").write_text(json.dumps(sorted(bundles, reverse=True)) + "\n",
                                      encoding="utf-8")
    old = site.parent / f".{site.name}-old-pagefind-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        _remove_later(old)
    return time.perf_counter() - started


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
