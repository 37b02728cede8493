"""`digest build` as a script of phases: check → plan → render → finish → search → publish
the output → record. A failure at any phase leaves the published output as it was."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable

from digest.build.output import (
    WORK,
    drop_stage,
    finish_phase,
    folder_sizes,
    lock,
    move_back,
    move_in,
    new_stage,
    remove_gone,
    size_change,
    size_verdict,
    swap,
)
from digest.build.reading import OUTPUT, SEARCH_PREFIX, decode_state, reader
from digest.build.report import BuildReport
from digest.build.search import SEARCH, apply_search, search_phase, search_size_change
from digest.build.settings import pelican_settings, release_settings
from digest.core.tables import refresh, use_project_data
from digest.errors import BuildError, Problem
from digest.incremental import CACHE_FILE
from digest.incremental.look import listing
from digest.project import Project
from digest.workers import can_fork, peak_mib

if TYPE_CHECKING:
    from digest.build.check import CheckResult
    from digest.core.index import DigestIndex
    from digest.incremental.look import OutputState
    from digest.incremental.plan import BuildPlan
    from digest.incremental.snapshot import Snapshot
    from digest.plugin.inputs import RenderResult

# The modules that load Pelican, Jinja, Markdown, the gazetteer and the store (a third of a
# second) are imported once the reading process is forked (Build.run): it hashes the
# clipping files while they load. Each phase imports what it needs.

def build(project: Project, production: bool = False, today=None,
          progress: Callable[[int, int], None] | None = None, full: bool = False,
          admin: bool = False) -> BuildReport:
    """Check, build and put the result in `output/`; raises `BuildError` (see `Build`).

    A build store found damaged on the way (it is written without waiting for the disk: a
    power cut can leave it so) is removed, and the build made again, in full."""
    with few_collections():
        try:
            try:
                return Build(project, production, today, progress, full, admin).run()
            except sqlite3.OperationalError:
                raise  # (the disk, not the store: below)
            except sqlite3.DatabaseError:
                from digest.incremental.store import remove_store

                remove_store(project.root)
                return Build(project, production, today, progress, True, admin).run()
        except (OSError, sqlite3.OperationalError) as exc:
            raise BuildError(write_failure(exc, project)) from None


def write_failure(exc: OSError | sqlite3.Error, project: Project) -> str:
    """One line for a build that could not write (a full disk, a read-only folder): the
    folder (one that exists), what happened, what to do; the published output is as it was."""
    import errno

    where = Path(getattr(exc, "filename", None) or project.root / CACHE_FILE)
    while not where.exists() and where != where.parent:
        where = where.parent
    shown = project.display(where)
    text = str(exc).lower()
    if getattr(exc, "errno", None) == errno.ENOSPC or "disk is full" in text:
        what, mend = "the disk is full", "free some space and build again"
    elif getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM, errno.EROFS) \
            or "readonly" in text or "read-only" in text or "unable to open" in text:
        what, mend = "it cannot be written", f"make {shown} writable and build again"
    else:
        what, mend = getattr(exc, "strerror", None) or str(exc), "mend that and build again"
    return (f"{shown}: {what}: {mend} (nothing was published: output/ is as it was)")


@dataclass
class _Planned:
    """The plan phase's answer: the plan, the index, and what the snapshot needs."""

    plan: BuildPlan
    index: DigestIndex
    site: str  # the site key (incremental.fingerprint.site_key)
    restored_from: Snapshot | None = None
    unchanged: dict | None = None


class Build:
    """One build. Any problem in a clipping, any warning or error Pelican logs, and any
    clipping that did not become a page fails it; the previous output is then left as it
    was. A full build renders everything into a fresh folder and swaps it in; an incremental
    one renders only the pages whose inputs changed, in a stage with the search bundles they
    touch, and changes the output only when all of that succeeded."""

    def __init__(self, project: Project, production: bool = False, today=None,
                 progress: Callable[[int, int], None] | None = None, full: bool = False,
                 admin: bool = False):  # (admin: the web editor on, as `digest serve --admin`)
        self.project, self.production, self.today = project, production, today
        self.admin = admin
        self.progress, self.full = progress, full
        self.phases: dict[str, float] = {}
        self._clock = time.perf_counter()
        self.state: OutputState | None = None  # (`output_state`)
        self.sizes: dict[str, int] | None = None  # the site's bytes by top-level entry

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = now - self._clock
        self._clock = now

    def run(self) -> BuildReport:
        start = time.perf_counter()
        gc.disable()  # until the build turns out to check or render much (few_collections)
        project = self.project
        held = lock(project)
        # The clipping files are read and hashed, then the last build's output looked at, in
        # a process of its own while this one reads the settings and the store: on two cores
        # the reading takes no time of this one's.
        self.token = os.urandom(16).hex()  # the build's, under which its lists are written
        self.reader = reader(str(project.clippings), project.output,
                             project.root / CACHE_FILE, self.token) if can_fork() else None
        self.cross = self.store = stage = None
        # What is published is readable by all whatever the caller's umask: files 0644,
        # folders 0755 (Pages and every web server need them so).
        umask = os.umask(0o022)
        try:
            from digest.core.gazetteer import load_gazetteer
            from digest.core.registry import load_registry
            from digest.incremental.fingerprint import code_fingerprint
            from digest.incremental.store import Store

            self.settings = pelican_settings(project, project.output, self.production)
            if self.admin:
                self.settings["DIGEST_ADMIN"] = True
            use_project_data(project.data)
            self.tables = refresh()
            load_gazetteer(), load_registry()  # (the project's data files' problems, first)
            self.store = Store(project.root / CACHE_FILE, code_fingerprint(self.tables))
            # The render phase's modules (the plugin: Jinja, Markdown, feedgenerator) load
            # and the theme's templates compile now, while the reading process hashes the
            # files this one will wait for.
            import digest.build.pelican  # noqa: F401
            from digest.plugin.templates import compile_theme

            compile_theme(self.settings)
            stage = new_stage(project)
            report = self._phases(stage)
        finally:
            os.umask(umask)
            for child in (self.reader, self.cross):
                if child is not None:
                    child.close()
            if self.store is not None:
                self.store.close()
            held.close()
            if stage is not None:
                drop_stage(project, stage)
        report.seconds = time.perf_counter() - start
        return report

    def _phases(self, stage: Path) -> BuildReport:
        from digest.build.check import check_phase, problem_order

        found = check_phase(self.project, self.today, store=self.store, progress=self.progress,
                            release=release_settings(self.settings), hashed=self.reader,
                            jobs=self.settings.get("DIGEST_JOBS"))
        self.cross = found.cross
        self.mark("check")
        if any(p.is_error for p in found.problems):
            _content_errors(found.problems, found.cross)
        planned = self.plan_phase(found)
        self.mark("plan")
        result = self.render(found, planned, stage)
        self.mark("render")
        near, across = found.cross.result()
        problems = sorted(found.problems + across, key=problem_order)
        if any(p.is_error for p in across):
            _content_errors(problems, None)
        python_peak = peak_mib()  # this process and its workers, before Pagefind runs
        files, times = finish_phase(stage, self.settings, self.production, result.files,
                                    result.files.keys())
        owners = result.owners
        self.mark("finish")
        plan = planned.plan
        foreign, search_seconds = self.search_and_publish(plan, stage, files, owners,
                                                          _page_days(found, result), problems)
        # (the change times of the folders of the output as the next build will find it:
        # those of the stage that became it, or those seen before this build changed it)
        if not planned.plan.full:
            times = self.output_state(planned.plan.last).times
        elif self.reader is not None:  # (its times, of the output replaced, written first)
            self.reader.result(OUTPUT, decode_state)
        self.record(found, planned, files, owners, near, times)
        self.mark("record")
        self.phases["rss_build_mib"] = python_peak
        self.phases["rss_all_mib"] = peak_mib()
        warnings = [p for p in problems if not p.is_error] + result.warnings + [
            Problem(f"{self.project.display(self.project.output)}/{name}", None,
                    "removed: no build wrote it (put files for the site in content/ or the "
                    "theme)", "warning") for name in foreign]
        return BuildReport(
            clippings=len(found.clippings), rendered=result.rendered, phases=self.phases,
            output=self.project.output, warnings=warnings, search_seconds=search_seconds,
            pages=sum(map(str.endswith, files, itertools.repeat(".html"))),
            feeds=sum(map(str.endswith, files, itertools.repeat(".atom.xml"))),
            incremental=not plan.full)

    def plan_phase(self, found: CheckResult) -> _Planned:
        """The build plan: full, or what changed since the last build into this output."""
        from digest.core.gazetteer import load_gazetteer
        from digest.core.index import DigestIndex
        from digest.incremental.fingerprint import output_id, site_key
        from digest.incremental.plan import (
            NeedFull,
            changed_clippings,
            incremental_plan,
            notes_changed,
        )
        from digest.incremental.restore import restore_index
        from digest.plugin.planner import fixed_signature
        from digest.plugin.settings import digest_settings

        project, store = self.project, self.store
        key = site_key(project, self.settings, store.fingerprint, self.production)
        pair_min = digest_settings(self.settings)["DIGEST_PAIR_MIN_CLIPPINGS"]
        last, why = (None, "a full build was asked for") if self.full else \
            store.last_build(key, output_id(project.output),
                             lambda: folder_sizes(project.output))
        if last is None:
            return self.full_plan(found, why, DigestIndex(found.clippings, pair_min), key)
        index, restored, unchanged = None, None, None
        if found.snapshot is not None:  # the last build's index, with the changes made
            try:
                index, unchanged = restore_index(found.snapshot, found.kept, found.read,
                                                 load_gazetteer(), pair_min)
                restored = found.snapshot
            except (ValueError, KeyError, IndexError, TypeError):  # damaged: made afresh
                index = None
        if index is None:
            index = DigestIndex(found.clippings, pair_min)
        built = {item.rel: item.sha256 for item in found.checked.values()}
        try:
            changed, fresh = changed_clippings(
                last.built, built, found.read, found.checked, store.checked,
                lambda rel: project.display(project.clippings / rel))
            # (asked only now: the reading process looks at output/ while this one works)
            if self.output_state(last).pages_missing:
                why = "files of the last build are missing from output/"
                raise NeedFull()
        except NeedFull:
            return self.full_plan(found, why or "an earlier version of a changed clipping "
                                  "is not stored", index, key)
        if last.files.get("404.html") not in (None, fixed_signature(index)):
            return self.full_plan(found, "the site's sections changed (a kind of listing came "
                                  "or went): every page's menu shows them", index, key)
        if last.notes is None:
            return self.full_plan(found, "the last build's notes are not recorded", index, key)
        plan = incremental_plan(last, changed, fresh, index, pair_min, project.output,
                                restored, notes_changed(last.notes, found.notes.flat()))
        return _Planned(plan, index, key, restored, unchanged)

    def full_plan(self, found: CheckResult, why: str, index, key: str) -> _Planned:
        """A full build's plan: every page is rendered, every listing shows summaries."""
        from digest.incremental.plan import full_plan

        gc.enable()  # every page is rendered: Jinja makes garbage with cycles
        self.store.load_summaries(found.checked.values())
        return _Planned(full_plan(why), index, key)

    def output_state(self, last) -> OutputState:
        """The output folder against the last build's list (`incremental.look`): what the
        reading process found, or else looked at here."""
        if self.state is None:
            if self.reader is not None:
                self.state = self.reader.result(OUTPUT, decode_state)
            if self.state is None:
                from digest.incremental.look import look

                self.state = look(self.project.output, last.files, {})
        return self.state

    def render(self, found: CheckResult, planned: _Planned, stage: Path) -> RenderResult:
        """The render phase, with the build's snapshot written beside the pages."""
        from digest.build.pelican import render_phase
        from digest.core.urls import addresses
        from digest.incremental.snapshot import Snapshot
        from digest.plugin.inputs import RenderInput

        self.snapshot_token = os.urandom(16).hex()
        folder, index, checked = self.store.snapshot_folder, planned.index, found.checked

        page_of = addresses(self.settings["DIGEST_ARTICLE_SAVE_AS"],
                            self.settings.get("DEFAULT_LANG", "en"))

        def write_snapshot() -> None:
            Snapshot.write(folder, index, checked, self.snapshot_token, page_of,
                           planned.restored_from, planned.unchanged)

        inputs = RenderInput(MappingProxyType(checked), index, planned.plan, self.store,
                             (write_snapshot,), self.settings.get("DIGEST_JOBS"), found.notes,
                             found.intros, found.issued, build_clock(self.settings, self.today))
        try:
            return render_phase(self.project, stage, self.settings, inputs)
        except Exception as exc:  # a problem across files explains it better, if there is one
            if any(p.is_error for p in found.cross.result()[1]):
                _content_errors(found.problems, found.cross, exc)
            raise

    def search_and_publish(self, plan: BuildPlan, stage: Path, files: dict[str, str],
                           owners: dict[str, str], pages, problems: list[Problem]
                           ) -> tuple[tuple[str, ...], float]:
        """The search phase and the one step that changes output/ (adding the search files
        to `files` and `owners`, the size warning to `problems`); returns the files found in
        output/ that no build wrote (removed) and the search step's seconds."""
        if not plan.full:
            changed = _changed_files(files, plan.last.files)
            state = self.output_state(plan.last)
            # (a search file missing from output/: its bundle is made again)
            output = self.project.output
            changed.update(f for f in plan.last.files if f.startswith(SEARCH_PREFIX)
                           and state.missing and not (output / f / "pagefind.js"
                                                      if f.endswith("/") else output / f).exists())
            (search_files, search_owners), seconds = self.apply_incremental(
                plan, stage, files, state.foreign, changed, pages)
            files.update(search_files)
            owners.update(search_owners)
            problems += self.size_warnings()
            return state.foreign, seconds
        search_files, search_owners, seconds = search_phase(self.settings, stage, pages,
                                                            cache=self.store.path.parent)
        self.mark("search")
        self.sizes = folder_sizes(stage)
        problems += self.size_warnings()
        files.update(search_files)
        owners.update(search_owners)
        self.store.forget_build()
        swap(stage, self.project.output)
        return (), seconds

    def apply_incremental(self, plan: BuildPlan, stage: Path, files: dict[str, str],
                          foreign: tuple[str, ...], changed: set[str], pages
                          ) -> tuple[tuple[dict, dict], float]:
        """An incremental build's change of output/: its files moved in (those they replace
        kept aside), the search bundles of the quarters it touched indexed from the output
        so made, then put in place, and the files the site no longer has and those no build
        wrote removed. If moving them in or the search step fails (or is stopped), the files
        moved are moved back: output/ is as it was. (A power cut on the way leaves the store
        marked: the next build is a full one.)"""
        output = self.project.output
        # The site's size after the change, from the last build's and the bytes each file
        # written or removed adds or takes (it is refused past 1 GB before output/ changes).
        gone = [rel for rel in plan.last.files.keys() - files.keys()
                if not rel.startswith(SEARCH_PREFIX)]
        written = [rel for rel in listing(stage)[0] if not rel.startswith(WORK)]
        sizes = dict(plan.last.sizes) if plan.last.sizes is not None else folder_sizes(output)
        for top, change in size_change(stage, output, written, gone).items():
            sizes[top] = sizes.get(top, 0) + change
        self.sizes = sizes
        self.size_warnings()
        self.store.begin_update()
        moved: list[tuple[str, bool]] = []
        try:
            move_in(stage, output, moved)
            token = str(plan.last.files.get(f"{SEARCH}/bundles.json") or "")
            search_files, search_owners, seconds = search_phase(
                self.settings, stage, pages, output, changed,
                lambda name: plan.signature(name) is not None, self.store.path.parent,
                token.removeprefix("search:") or None)
            change = search_size_change(stage, output, {**files, **search_files})
            if change:
                sizes[SEARCH] = sizes.get(SEARCH, 0) + change
                self.size_warnings()
        except BaseException:
            move_back(stage, output, moved)
            self.store.cancel_update()
            raise
        self.mark("search")
        files = {**files, **search_files}
        apply_search(stage, output, files)
        remove_gone(output, files, plan.last.files, foreign, keep_prefix=SEARCH + "/")
        return (search_files, search_owners), seconds

    def size_warnings(self) -> list[Problem]:
        """The warning for a site past 500 MB (`output.size_verdict` of `self.sizes`);
        raises BuildError past GitHub Pages' 1 GB."""
        mb = self.settings.get("DIGEST_SITE_LIMIT_MB")  # (None: GitHub Pages' 1 GB)
        found = size_verdict(self.sizes, f"{self.project.display(self.project.output)}/",
                             None if mb in (None, 1000) else mb * 1000 ** 2)
        if any(p.is_error for p in found):
            raise BuildError("the site is too large to publish: nothing was published", found)
        return found

    def record(self, found: CheckResult, planned: _Planned, files: dict[str, str],
               owners: dict[str, str], near: list[tuple[str, str]], times: str | None
               ) -> None:
        """What the next build needs to follow this one (`times`: the change times of the
        output's folders, `incremental.look`; None: written already)."""
        from digest.incremental.fingerprint import output_id
        from digest.incremental.snapshot import Snapshot

        checked = found.checked
        near_rows = [[checked[a].rel, checked[a].sha256, checked[b].rel, checked[b].sha256]
                     for a, b in near]
        written = Snapshot.token_of(self.store.snapshot_folder) == self.snapshot_token
        built = {item.rel: item.sha256 for item in checked.values()}
        self.store.finish_build(planned.site, output_id(self.project.output), built, files,
                                owners, near_rows, self.token, planned.plan.last,
                                self.snapshot_token if written else None, times, self.sizes,
                                found.notes.flat())


def build_clock(settings: dict[str, Any], today=None) -> dt.datetime:
    """The build's clock in the site's time zone (TIMEZONE): now, or noon of `today` where a
    day is given (tests, and builds of a given day)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz: dt.tzinfo = ZoneInfo(settings.get("TIMEZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.timezone.utc
    if today is None:
        return dt.datetime.now(tz)
    return dt.datetime.combine(today, dt.time(12), tzinfo=tz)


def _page_days(found: CheckResult, result: RenderResult) -> dict[str, str]:
    """Each clipping page with its day, as its page gives it to the search index (the first
    ten characters of its `data-pagefind-sort` date, which `Clipping.day` is)."""
    pages = result.article_pages
    return {pages[c.path]: c.day.isoformat() for c in found.clippings if c.path in pages}


def _changed_files(files: dict[str, str], last: Any) -> set[str]:
    """The files (but the search index's) an incremental build writes or removes."""
    changed = {name for name, sig in files.items() if last.get(name) != sig}
    changed.update(name for name in last.keys() - files.keys()
                   if not name.startswith(SEARCH_PREFIX))
    return changed


def _content_errors(problems: list[Problem], cross, cause: BaseException | None = None) -> None:
    """Raise the content's errors (with those across files, if not yet counted in)."""
    from digest.build.check import problem_order

    if cross is not None:
        problems = sorted(problems + cross.result()[1], key=problem_order)
    errors = [p for p in problems if p.is_error]
    raise BuildError(f"{len(errors)} problem(s) in the content: nothing was built",
                     errors) from cause


@contextlib.contextmanager
def few_collections():
    """Fewer garbage collections while a build makes its many small objects.

    A build allocates hundreds of thousands of objects that live until it ends, so the
    collector's default (a collection every 700 allocations, each older generation scanned
    every 10th time) spends a fifth of an incremental build re-scanning them. The objects
    already alive (modules, settings) are frozen out of the scans, and collections are made
    rarer, as mypy does; both are restored afterwards (`digest serve` builds many times).
    A build that reuses its checks and renders a few pages makes little garbage and none
    that outlives it: it runs with no collections at all (`Build.run` turns them back on for
    a build that checks or renders much).
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
