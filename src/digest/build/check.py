"""The check phase: every clipping file hashed, checked (or taken from the last build), then
checked across files."""

from __future__ import annotations

import datetime as dt
import gc
import os
from dataclasses import dataclass, field
from typing import Callable

from digest.build.across import CrossCheck, near_pairs
from digest.build.reading import HASHED, check_one, hash_files, read_listing
from digest.content.check import field_line
from digest.content.intros import read_intros, unused_intros
from digest.content.notes import read_notes
from digest.content.pages import check_pages
from digest.content.release import published_weeks, release_problems
from digest.core import across as across_rules
from digest.core.gazetteer import load_gazetteer
from digest.core.model import Clipping
from digest.core.notes import Notes
from digest.core.registry import load_registry
from digest.core.weeks import Intro
from digest.errors import Problem
from digest.incremental.records import (
    URL_KEY,
    Checked,
    clipping_from_record,
    read_across,
)
from digest.incremental.snapshot import Snapshot, SnapshotLoader
from digest.project import Project
from digest.workers import InChild, can_fork

_SAVE_EVERY = 1000  # checks stored at a time (and, in a build of that many, let go)
_CROSS_FORK_MIN = 2000  # clippings: below this, a process costs more than it saves
_POOL_MIN = 200  # files to check: below this, a pool of processes costs more than it saves


@dataclass(frozen=True)
class CheckResult:
    """What the check phase found: the clippings, the problems of single files (and of the
    comparison with the last publish), the checks by clipping path, the checks across files
    (which may still be running), and, where the last build's snapshot was used, the
    snapshot and its clippings still there by position (None for the others), and the
    clippings read (from their files or the stored checks: all but those kept unread)."""

    clippings: list[Clipping]
    problems: list[Problem]
    checked: dict[str, Checked]
    cross: CrossCheck
    snapshot: Snapshot | None
    kept: list[Clipping | None]
    read: list[Clipping]
    notes: Notes = field(default_factory=Notes)  # the editors' notes on months
    intros: dict[str, Intro] = field(default_factory=dict)  # the weeks' introductions
    issued: dict[str, dict] = field(default_factory=dict)  # the last publish's issues


def problem_order(p: Problem) -> tuple[str, int]:
    return (p.path, p.line or 0)


def check_phase(project: Project, today: dt.date | None = None, store=None,
                progress: Callable[[int, int], None] | None = None,
                release: dict[str, str] | None = None, hashed: InChild | None = None,
                jobs: int | None = None) -> CheckResult:
    """Check every clipping and render its excerpt, reusing the last build's check of any
    file whose bytes and path are unchanged (from its snapshot, unread, or from the store),
    the others on every core; then check across files. With `hashed` (`reading.reader`,
    started earlier), the snapshot (or the stored checks) is read while the files are."""
    checker = _Checker(project, today, store, progress)
    checker.sort(checker.listing(hashed))
    checker.check_new(jobs or min(os.cpu_count() or 1, 8))
    return checker.finish(release)


class _Checker:
    """The state of one check phase, step by step."""

    def __init__(self, project: Project, today, store, progress) -> None:
        self.project, self.today, self.store, self.progress = project, today, store, progress
        self.root = str(project.clippings)
        self.gazetteer = load_gazetteer()
        self.clippings: list[Clipping] = []
        self.problems: list[Problem] = []
        self.checked: dict[str, Checked] = {}
        self.displays: list[str] = []
        self.todo: list[tuple] = []
        self.reuse: list[tuple[str, str, str, str]] = []
        self._unsaved: list[Checked] = []  # checked here, not yet in the store
        self.read: list[Clipping] = []
        # The last build's snapshot, if there is one: its clippings unchanged since are taken
        # from it unread, instead of every stored check being read.
        self.snapshot = store.snapshot() if store is not None else None
        self.stored: dict | None = None
        self.kept: list[Clipping | None] = [None] * (len(self.snapshot.shas)
                                                     if self.snapshot is not None else 0)

    def listing(self, hashed: InChild | None) -> list[tuple[str, str]]:
        """Every clipping file (below the clippings folder) with its SHA-256."""
        listing = None
        if hashed is not None and self.store is not None:
            if self.snapshot is None:
                self.stored = self.store.checked(None)  # every check, while the child reads
            listing = hashed.result(HASHED, read_listing)
        if listing is None:
            cut = len(self.root) + 1
            listing = [(f[cut:], sha) for f, sha in hash_files(self.root, self.store is not None)]
        return listing

    def sort(self, listing: list[tuple[str, str]]) -> None:
        """Each file kept from the snapshot, to be taken from the store, or to be checked."""
        snapshot, root, today = self.snapshot, self.root, self.today
        position = snapshot.position if snapshot is not None else {}
        shas = snapshot.shas if snapshot is not None else []
        loader = SnapshotLoader(snapshot, self.gazetteer) if snapshot is not None else None
        prefix = self.project.display(self.project.clippings) + os.sep
        slash = os.sep == "/"
        flags = snapshot.flags if snapshot is not None else []
        kept, checked, problems = self.kept, self.checked, self.problems
        add_display, add_clipping, make = self.displays.append, self.clippings.append, \
            snapshot.clipping if snapshot is not None else None
        for name, sha in listing:  # (the path below the clippings folder, as the system has it)
            rel = name if slash else name.replace(os.sep, "/")
            display = prefix + name
            add_display(display)
            # A clipping that links to other files (no hash given) is checked again every
            # time: its links are only as good as the files they point at.
            if not sha:
                self.todo.append((root + os.sep + name, display, rel, root, today))
                continue
            i = position.get(rel)
            if i is not None and shas[i] == sha:
                c = kept[i] = make(i, display, loader)
                add_clipping(c)
                warnings = snapshot.warnings(i) if "w" in flags[i] else []
                checked[display] = Checked(sha, rel, None, warnings, None, None)
                if warnings:
                    problems.extend(Problem(display, *row) for row in warnings)
            else:
                self.reuse.append((sha, rel, display, root + os.sep + name))
        if self.stored is None:
            self.stored = self.store.checked((sha, rel) for sha, rel, _, _ in self.reuse) \
                if self.store is not None else {}
        for sha, rel, display, f in self.reuse:
            if (sha, rel) not in self.stored:
                self.todo.append((f, display, rel, root, today))

    def check_new(self, jobs: int) -> None:
        """Check the files no build checked before, on every core when there are many."""
        todo, progress = self.todo, self.progress
        total = len(self.displays)
        results = []
        if len(todo) >= _POOL_MIN:
            gc.enable()  # many files to check: Markdown makes garbage with cycles
        if jobs > 1 and len(todo) >= _POOL_MIN:
            import multiprocessing  # (deferred: only a build that checks many files uses it)

            load_gazetteer(), load_registry()  # loaded once, inherited by forked workers
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for n, result in enumerate(pool.imap(check_one, todo, chunksize=64), 1):
                    self._take(result, results)
                    if progress:
                        progress(total - len(todo) + n, total)
        else:
            for n, job in enumerate(todo, 1):
                self._take(check_one(job), results)
                if progress:
                    progress(total - len(todo) + n, total)
        self._save()
        gazetteer = self.gazetteer
        first = len(self.clippings)  # (those before were kept unread)
        for sha, rel, display, _f in self.reuse:
            item = self.stored.get((sha, rel))
            if item is not None:
                self.clippings.append(clipping_from_record(item.record, gazetteer, display))
                self.checked[display] = item
                self.problems.extend(Problem(display, *row) for row in item.warnings)
        for display, _digest, found, item in results:
            self.problems.extend(found)
            if item is not None:
                self.clippings.append(clipping_from_record(item.record, gazetteer, display))
                self.checked[display] = item
        self.read = self.clippings[first:]

    def _take(self, result: tuple, results: list) -> None:
        """A file's check, stored (a thousand at a time). Where a build checks that many
        files, each one's excerpt HTML and data rows are then dropped: its page and the data
        files read them back from the store, and a cold build does not hold every excerpt
        of the digest at once."""
        results.append(result)
        if self.store is not None and result[3] is not None:
            self._unsaved.append(result[3])
            if len(self._unsaved) >= _SAVE_EVERY:
                self._save()

    def _save(self) -> None:
        if self._unsaved:
            self.store.save_checked(self._unsaved)
            for item in self._unsaved if len(self.todo) >= _SAVE_EVERY else ():
                item.html = item.data = None
            self._unsaved = []

    def finish(self, release: dict[str, str] | None) -> CheckResult:
        """The comparison with the last publish, and the checks across files started."""
        store, checked, clippings = self.store, self.checked, self.clippings
        if self.snapshot is not None:  # the same as the store records
            store.know_built(dict(zip(self.snapshot.rels, self.snapshot.shas)))
        # (the duplicate check's keys, where the record is read: those of the clippings
        # kept unread come from the snapshot, in `across`)
        url_keys = {c.path: key for c in self.read
                    if (key := checked[c.path].record[URL_KEY]) is not None}
        last = store.built() if store is not None else {}
        if release is not None:  # published pages must keep their addresses
            def unchanged(c: Clipping) -> bool:  # since the last finished build
                item = checked[c.path]
                return last.get(item.rel) == item.sha256

            self.problems.extend(release_problems(self.project.root, clippings, store=store,
                                                  url_keys=url_keys, unchanged=unchanged,
                                                  **release))
        self.problems.extend(check_pages(self.project.content / "pages", self.project.display))
        issued = published_weeks(self.project.root, release["data"]) if release else {}
        notes, found = read_notes(self.project.content / "notes", self.project.display)
        self.problems.extend(found)
        weekly = self.project.content / "weekly"
        intros, found = read_intros(weekly, self.project.display)
        self.problems.extend(found + unused_intros(intros, clippings, weekly,
                                                   self.project.display))
        self.problems.sort(key=problem_order)
        stored_near = store.near_pairs() if store is not None and last else []
        displays = self.displays

        prefix, root = self.project.display(self.project.clippings) + os.sep, self.root

        def line_of(path: str, key: str) -> int | None:  # (of the file shown as `path`)
            if not path.startswith(prefix):
                return None
            return field_line(root + os.sep + path[len(prefix):], key)

        def across():
            keys = dict(url_keys)
            # (of the clippings kept unread, only the fields these checks compare are read)
            keys.update(read_across(clippings))
            near = near_pairs(clippings, checked, last, stored_near)
            return near, across_rules.corpus_problems(clippings, displays, near, keys, line_of)

        # A large digest's checks across files run in a process of their own, beside the
        # rendering: their errors still stop the build before anything is published.
        fork = can_fork() and len(clippings) >= _CROSS_FORK_MIN
        return CheckResult(clippings, self.problems, checked, CrossCheck(across, fork),
                           self.snapshot, self.kept, self.read, notes, intros, issued)
