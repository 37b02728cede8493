"""`digest build`: check, plan, render, finish, search and record, each phase a step of one script."""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from digest.build.check import _INTACT, _CrossCheck, _problem_order, _reader, prepare
from digest.build.output import _apply, _finish, _intact, _lock, _swap
from digest.build.pelican import _run_pelican
from digest.build.report import BuildReport
from digest.build.search import _search
from digest.build.settings import pelican_settings, release_settings
from digest.errors import BuildError, Problem
from digest.incremental.fingerprint import _output_id, _site_key, code_fingerprint
from digest.incremental.plan import _changed, _NeedFull
from digest.incremental.store import CACHE_FILE
from digest.project import Project
from digest.workers import _can_fork, _peak_mib


@contextlib.contextmanager
def _few_collections():
    """Fewer garbage collections while a build makes its many small objects.

    A build allocates hundreds of thousands of objects that live until it ends, so the
    collector's default (a collection every 700 allocations, each older generation scanned
    every 10th time) spends a fifth of an incremental build re-scanning them. The objects
    already alive (modules, settings) are frozen out of the scans, and collections are made
    rarer, as mypy does; both are restored afterwards (`digest serve` builds many times).
    A build that reuses its checks and renders a few pages makes little garbage and none
    that outlives it: it runs with no collections at all (`_build` turns them back on for a
    build that checks or renders much).
    """
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        if enabled:
            gc.enable()


def build(project: Project, production: bool = False, today=None,
          progress: Callable[[int, int], None] | None = None, full: bool = False) -> BuildReport:
    """Check, build and put the result in `output/`; raises `BuildError` (see `_build`).

    A build store found damaged on the way (it is written without waiting for the disk: a
    power cut can leave it so) is removed, and the build made again, in full."""
    import sqlite3

    with _few_collections():
        try:
            return _build(project, production, today, progress, full)
        except sqlite3.DatabaseError:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{project.root / CACHE_FILE}{suffix}").unlink(missing_ok=True)
            return _build(project, production, today, progress, full=True)


def _build(project: Project, production: bool = False, today=None,
           progress: Callable[[int, int], None] | None = None,
           full: bool = False) -> BuildReport:
    """Check, build and put the result in `output/`; raises `BuildError`.

    Any problem in a clipping, any warning or error Pelican logs, and any clipping that did not
    become a page fails the build; the previous output is then left as it was. A first build
    (or one after a change of code, theme, settings or pages, or `full`) renders everything
    into a fresh folder and swaps it in; later builds render only the pages whose inputs
    changed and move them into place.
    """
    start = time.perf_counter()
    gc.disable()  # until the build turns out to check or render much (_few_collections)
    phases: dict[str, float] = {}
    clock = [start]

    def mark(name: str) -> None:
        now = time.perf_counter()
        phases[name] = now - clock[0]
        clock[0] = now

    lock = _lock(project)
    # The clipping files are read and hashed, then the last build's output checked, in a
    # process of its own while this one reads the settings (and imports Pelican) and the
    # store: on two cores the reading takes no time of this one's.
    reader = _reader(str(project.clippings), project.output, project.root / CACHE_FILE) \
        if _can_fork() else None
    try:
        from digest.incremental.snapshot import Snapshot
        from digest.incremental.store import Store
        from digest.plugin.inputs import SiteInput
        from digest.plugin.templates import (
            TemplateCache,  # imports Pelican, beside the reading
        )

        settings = pelican_settings(project, project.output, production)
        code = code_fingerprint()
        store = Store(project.root / CACHE_FILE, code)
    except BaseException:
        if reader is not None:
            reader.close()
        lock.close()
        raise
    scratch = project.root / ".digest-build"
    scratch.mkdir(exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="output-", dir=scratch))
    stage.chmod(0o755)  # mkdtemp makes it private; the published folder must be readable
    cross = None
    try:
        clippings, problems, checked, cross, restored = prepare(project, today, store=store,
                                                      progress=progress, hashed=reader,
                                                      release=release_settings(settings))
        mark("check")
        if any(p.is_error for p in problems):
            _content_errors(problems, cross)
        site_key = _site_key(project, settings, code, production)
        built = {item.rel: item.sha256 for item in checked.values()}
        last = None if full else store.last_build(site_key, _output_id(project.output))
        if last is not None:  # are its files all there?
            ok = reader.result(_INTACT, lambda text: text == "1") if reader is not None \
                else None
            if not (ok if ok is not None else _intact(project.output, last[1])):
                last = None  # someone removed files from output/: build it afresh
        inp = SiteInput(clippings, checked, store)
        inp.templates = TemplateCache(store.templates())
        inp.snapshot = (store.snapshot_folder, os.urandom(16).hex())
        if last is not None:
            try:
                inp.changed, inp.fresh = _changed(last[0], built, clippings, checked, store,
                                                  project)
                inp.previous = last[1]
                inp.live = project.output
                inp.restored = restored  # (a full build groups the clippings afresh)
            except _NeedFull:
                last = None
        if last is None:
            gc.enable()  # every page is rendered: Jinja makes garbage with cycles
            store.load_summaries(checked.values())  # every listing shows them
        mark("plan")
        try:
            report = _run_pelican(project, stage, settings, inp)
        except Exception as exc:  # a problem across files explains it better, if there is one
            if any(p.is_error for p in cross.result()[1]):
                _content_errors(problems, cross, exc)
            raise
        store.save_templates(inp.templates.new, inp.templates.used)
        mark("render")
        near, found = cross.result()
        problems = sorted(problems + found, key=_problem_order)
        if any(p.is_error for p in found):
            _content_errors(problems, None)
        python_peak = _peak_mib()  # this process and its workers, before Pagefind runs
        report.warnings = [p for p in problems if not p.is_error]
        if last is None:
            outputs = _finish(project, stage, settings, production, inp, stage_is_site=True)
            mark("finish")
            report.search_seconds = _search(stage, settings, stage, inp.article_pages.values())
            mark("search")
            store.forget_build()
            _swap(stage, project.output)
        else:
            outputs = _finish(project, stage, settings, production, inp, stage_is_site=False)
            store.begin_update()  # from here the output is changed in place
            _apply(stage, project.output, outputs, last[1])
            mark("finish")
            changed = {name for name, _sig in outputs.items() - last[1].items()}
            changed.update(last[1].keys() - outputs.keys())
            report.search_seconds = _search(project.output, settings, stage,
                                            inp.article_pages.values(), changed)
            mark("search")
        near_rows = [[checked[a].rel, checked[a].sha256, checked[b].rel, checked[b].sha256]
                     for a, b in near]
        folder, token = inp.snapshot
        if not inp.snapshot_forked and inp.index is not None:  # else written beside the pages
            Snapshot.write(folder, inp.index, checked, token, inp.article_save_as)
        if Snapshot.token_of(folder) != token:
            token = None  # not written: the next build reads the store
        store.finish_build(site_key, _output_id(project.output), built, outputs, near_rows,
                           last, token)
        mark("record")
        phases["rss_build_mib"] = python_peak
        phases["rss_all_mib"] = _peak_mib()
        report.phases = phases
        report.output = project.output
        report.pages = sum(map(str.endswith, outputs, itertools.repeat(".html")))
        report.feeds = sum(map(str.endswith, outputs, itertools.repeat(".atom.xml")))
        report.incremental = last is not None
    finally:
        for child in (reader, cross):
            if child is not None:
                child.close()
        store.close()
        lock.close()
        shutil.rmtree(stage, ignore_errors=True)
        try:
            scratch.rmdir()
        except OSError:
            pass
    report.seconds = time.perf_counter() - start
    return report


def _content_errors(problems: list[Problem], cross: _CrossCheck | None,
                    cause: BaseException | None = None) -> None:
    """Raise the content's errors (with those across files, if not yet counted in)."""
    if cross is not None:
        problems = sorted(problems + cross.result()[1], key=_problem_order)
    errors = [p for p in problems if p.is_error]
    raise BuildError(f"{len(errors)} problem(s) in the content: nothing was built",
                     errors) from cause
