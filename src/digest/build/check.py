"""The check phase: every clipping file hashed, checked (or taken from the last build), then across files."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Callable

from digest.build.output import _intact
from digest.core.model import Clipping
from digest.errors import Problem
from digest.project import Project
from digest.workers import _can_fork, _InChild

_LINKS_OUT = re.compile(rb"\{(?:filename|static|attach)\}")


def _check_one(job: tuple[str, str, str, str, dt.date | None]):
    """Validate and render one file (runs in a worker process)."""
    from digest.content.check import validate_file
    from digest.content.render import plain_text, shared_renderer, summary
    from digest.core.schema import normalise_url
    from digest.incremental.records import Checked, clipping_record, open_data_rows

    path, display, rel, root, today = job
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return display, "", [Problem(display, None, f"cannot read the file: {exc.strerror}: "
                                     "check that it exists and is readable")], None
    digest = hashlib.sha256(data).hexdigest()
    result = validate_file(Path(path), Path(root), display, today, data=data)
    if result.clipping is None:
        return display, digest, result.problems, None
    html = shared_renderer().html(result.clipping.body)
    warnings = [[p.line, p.message, p.severity] for p in result.problems]
    # with the duplicate check's key, computed once
    record = clipping_record(result.clipping, normalise_url(result.clipping.source_url)
                             if result.clipping.source_url else None)
    return display, digest, result.problems, Checked(
        digest, rel, record, warnings, summary(plain_text(html)),
        open_data_rows(result.clipping), html)


def prepare(project: Project, today: dt.date | None = None, jobs: int | None = None,
            store=None, progress: Callable[[int, int], None] | None = None,
            release: dict[str, str] | None = None, hashed: "_InChild | None" = None):
    """Check every clipping and render its excerpt, reusing the stored result of any file whose
    bytes and path are unchanged, on all cores; then check across files. With `hashed`
    (`_reader`, started earlier), the last build's snapshot (or the stored checks) is read
    while the files are.

    Returns the clippings, every problem of single files (and of the release check), the
    checks by clipping path (as displayed), the checks across files (`_CrossCheck`:
    duplicates and near-identical headlines), which may still be running, and, where the last
    build's snapshot was used, (snapshot, its clippings still there by position, None for the
    others) for `DigestIndex.restore`.
    """
    from digest.core.across import corpus_problems
    from digest.core.gazetteer import load_gazetteer
    from digest.incremental.records import (
        URL_KEY,
        Checked,
        StoredClipping,
        clipping_from_record,
        read_across,
    )

    root = str(project.clippings)
    prefix = project.display(project.clippings) + os.sep
    todo, reuse, displays = [], [], []
    gazetteer = load_gazetteer()
    clippings: list[Clipping] = []
    problems: list[Problem] = []
    checked: dict[str, Checked] = {}
    # The last build's snapshot, if there is one: its clippings unchanged since are taken
    # from it unread, instead of every stored check being read (store.Snapshot).
    snapshot = store.snapshot() if store is not None else None
    stored = None
    listing = None
    if hashed is not None and store is not None:
        if snapshot is None:
            stored = store.checked(None)  # every stored check, while the other process reads
        listing = hashed.result(_HASHED, _read_result)
    if listing is None:
        cut = len(root) + 1
        listing = [(f[cut:], sha) for f, sha in _hash_files(root, store is not None)]
    position = snapshot.position if snapshot is not None else {}
    shas = snapshot.shas if snapshot is not None else []
    objects: list[Clipping | None] = [None] * len(shas)  # the snapshot's still there
    slash = os.sep == "/"
    for name, sha in listing:  # (the path below the clippings folder, as the system has it)
        rel = name if slash else name.replace(os.sep, "/")
        display = prefix + name
        displays.append(display)
        # A clipping that links to other files (no hash given) is checked again every time:
        # its links are only as good as the files they point at.
        if sha:
            i = position.get(rel)
            if i is not None and shas[i] == sha:
                c = objects[i] = snapshot.clipping(i, display, gazetteer)
                clippings.append(c)
                warnings = snapshot.warnings(i)
                checked[display] = Checked(sha, rel, None, warnings, None, None)
                if warnings:
                    problems.extend(Problem(display, *row) for row in warnings)
            else:
                reuse.append((sha, rel, display, root + os.sep + name))
        else:
            todo.append((root + os.sep + name, display, rel, root, today))
    if stored is None:
        stored = store.checked((sha, rel) for sha, rel, _, _ in reuse) if store is not None \
            else {}
    for sha, rel, display, f in reuse:
        if (sha, rel) not in stored:
            todo.append((f, display, rel, root, today))
    total = len(displays)
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if len(todo) >= 200:
        gc.enable()  # many files to check: Markdown makes garbage with cycles
    if jobs > 1 and len(todo) >= 200:
        import multiprocessing

        from digest.core.registry import load_registry

        load_gazetteer(), load_registry()  # loaded once, inherited by forked workers
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = []
            for n, result in enumerate(pool.imap(_check_one, todo, chunksize=64), 1):
                results.append(result)
                if progress:
                    progress(total - len(todo) + n, total)
    else:
        results = []
        for n, job in enumerate(todo, 1):
            results.append(_check_one(job))
            if progress:
                progress(total - len(todo) + n, total)
    fresh = []
    restored = None
    if snapshot is not None:
        restored = (snapshot, objects)
        store.know_built(dict(zip(snapshot.rels, snapshot.shas)))  # the same as it records
    for sha, rel, display, _f in reuse:
        item = stored.get((sha, rel))
        if item is not None:
            clippings.append(clipping_from_record(item.record, gazetteer, display))
            checked[display] = item
            if item.warnings:
                problems.extend(Problem(display, *row) for row in item.warnings)
    for display, _digest, found, item in results:
        problems.extend(found)
        if item is not None:
            clippings.append(clipping_from_record(item.record, gazetteer, display))
            checked[display] = item
            fresh.append(item)
    if store is not None and fresh:
        store.save_checked(fresh)
    # (the duplicate check's keys, where the record is read: those of the clippings kept
    # unread come from the snapshot, in `across`)
    url_keys = {c.path: key for c in clippings if type(c) is not StoredClipping
                and (key := checked[c.path].record[URL_KEY]) is not None}
    last = store.built() if store is not None else {}
    if release is not None:  # published pages must keep their addresses
        from digest.content.release import release_problems

        def unchanged(c: Clipping) -> bool:  # since the last finished build
            item = checked[c.path]
            return last.get(item.rel) == item.sha256

        problems.extend(release_problems(project.root, clippings, store=store,
                                         url_keys=url_keys, unchanged=unchanged, **release))
    problems.sort(key=_problem_order)
    stored_near = store.near_pairs() if store is not None and last else []

    def across():
        keys = dict(url_keys)
        # (of the clippings kept unread, only the fields these checks compare are read)
        keys.update(read_across(clippings))
        near = _near_pairs(clippings, checked, last, stored_near)
        return near, corpus_problems(clippings, displays, near, keys)

    # A large digest's checks across files run in a process of their own, beside the
    # rendering: their errors still stop the build before anything is published.
    fork = _can_fork() and len(clippings) >= _CROSS_FORK_MIN
    return clippings, problems, checked, _CrossCheck(across, fork), restored


_CROSS_FORK_MIN = 2000  # clippings: below this, a process costs more than it saves


def _problem_order(p: Problem) -> tuple[str, int]:
    return (p.path, p.line or 0)


class _CrossCheck:
    """The checks across files (duplicates, near-identical headlines): their problems and the
    near-identical pairs (as paths), computed in a forked process when `fork` is true (the
    answer comes back as JSON), else here when first asked for. If the process fails, they
    are computed here."""

    def __init__(self, compute: Callable[[], tuple[list, list[Problem]]], fork: bool):
        self._compute = compute
        self._value: tuple[list[tuple[str, str]], list[Problem]] | None = None
        self._child = _InChild((compute, self._encode)) if fork else None

    @staticmethod
    def _encode(answer: tuple[list, list[Problem]]) -> str:
        near, found = answer
        return json.dumps({"near": [[a.path, b.path] for a, b in near],
                           "problems": [[x.path, x.line, x.message, x.severity]
                                        for x in found]}, ensure_ascii=False)

    @staticmethod
    def _decode(text: str) -> tuple[list[tuple[str, str]], list[Problem]]:
        data = json.loads(text)
        return [(a, b) for a, b in data["near"]], [Problem(*row) for row in data["problems"]]

    def result(self) -> tuple[list[tuple[str, str]], list[Problem]]:
        if self._value is None and self._child is not None:
            self._value = self._child.result(0, self._decode)
        if self._value is None:
            near, found = self._compute()
            self._value = ([(a.path, b.path) for a, b in near], found)
        return self._value

    def close(self) -> None:
        """Collect the child if its answer was never asked for."""
        if self._child is not None:
            self._child.close()


def _read(path: str) -> bytes:
    """A file's bytes, with the fewest calls (a build reads every clipping file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _hash_files(root: str, reusable: bool = True) -> list[tuple[str, str]]:
    """Every clipping file under `root` (sorted) with the SHA-256 of its bytes; the hash is ""
    for a file that cannot be reused (`reusable` false, a file that links to other files,
    or one that cannot be read: its check reports why)."""
    from digest.content.check import markdown_files

    out = []
    for f in markdown_files(root):
        sha = ""
        if reusable:
            try:
                data = _read(f)
            except OSError:
                data = b"{filename}"  # not reusable: checked, and its error reported
            if b"{" not in data or not _LINKS_OUT.search(data):
                sha = hashlib.sha256(data).hexdigest()
        out.append((f, sha))
    return out


_HASHED, _INTACT = 0, 1  # the answers of `_reader`


def _reader(root: str, output: Path, store_path: Path) -> _InChild:
    """A forked process that hashes the clipping files (`_hash_files`, sent as NUL-separated
    text), while this one loads Pelican and the store, and then checks that every file the
    last build recorded (in the store at `store_path`) is still in `output` (not needed
    before the checks are done). It is forked while this process is still small: a process
    forked later, from a large one, makes that one copy each page of memory it then writes
    to."""
    cut = len(root) + 1
    return _InChild((lambda: _hash_files(root),
                     lambda got: "\0".join(x for f, sha in got for x in (f[cut:], sha))),
                    (lambda: _intact_store(output, store_path),
                     lambda ok: "" if ok is None else "1" if ok else "0"))


def _read_result(text: str) -> list[tuple[str, str]]:
    """The listing (path below the clippings folder, SHA-256) from the text `_reader`
    sends."""
    fields = text.split("\0") if text else []
    return list(zip(fields[0::2], fields[1::2]))


def _intact_store(output: Path, store_path: Path) -> bool | None:
    """Whether every file the last build recorded (in the store at `store_path`) is still in
    `output`, read on a connection of this process's own; None when the store cannot be read
    now (the build then looks for itself)."""
    import sqlite3

    from digest.incremental.outputs import read_outputs
    from digest.incremental.store import read_only

    if not store_path.exists():
        return False
    try:
        db = read_only(store_path)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'outputs'").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return None
    names = read_outputs(store_path.parent, row[0] if row else None)
    return _intact(output, names) if names is not None else None


def _near_pairs(clippings, checked, last: dict[str, str], stored: list[list[str]]) -> list:
    """Near-identical headlines: the last build's pairs (`stored`: rel, sha256, rel, sha256)
    whose clippings are unchanged since it (`last`: rel → sha256), and new pairs with a
    clipping added or edited since (all pairs on a first build)."""
    from digest.core.across import near_duplicate_pairs

    if not last:
        return near_duplicate_pairs(clippings)
    current, fresh = {}, set()
    for c in clippings:
        item = checked[c.path]
        current[item.rel] = (item.sha256, c)
        if last.get(item.rel) != item.sha256:
            fresh.add(c.path)
    pairs = []
    for rel_a, sha_a, rel_b, sha_b in stored:
        a, b = current.get(rel_a), current.get(rel_b)
        if a and b and a[0] == sha_a and b[0] == sha_b and a[1].path not in fresh \
                and b[1].path not in fresh:
            pairs.append((a[1], b[1]))
    return pairs + near_duplicate_pairs(clippings, fresh=fresh)
