"""Build around Pelican: pre-flight check, strict run, output checks and an atomic swap."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import io
import itertools
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import BuildError, Problem, UsageError
from .model import Clipping
from .project import Project

# Pelican's own page types and feeds that the digest replaces with linear-cost versions (its
# term pages scan every article per term) or does not publish (author pages).
PELICAN_OFF: dict[str, Any] = {
    "CATEGORY_SAVE_AS": "", "TAG_SAVE_AS": "", "AUTHOR_SAVE_AS": "", "ARCHIVES_SAVE_AS": "",
    "YEAR_ARCHIVE_SAVE_AS": "", "MONTH_ARCHIVE_SAVE_AS": "", "DAY_ARCHIVE_SAVE_AS": "",
    "DRAFT_SAVE_AS": "", "DRAFT_PAGE_SAVE_AS": "", "AUTHORS_SAVE_AS": "", "TAGS_SAVE_AS": "",
    "DIRECT_TEMPLATES": [], "PAGINATED_TEMPLATES": {}, "USE_FOLDER_AS_CATEGORY": False,
    "FEED_ATOM": None, "FEED_RSS": None, "FEED_ALL_ATOM": None, "FEED_ALL_RSS": None,
    "CATEGORY_FEED_ATOM": None, "CATEGORY_FEED_RSS": None, "AUTHOR_FEED_ATOM": None,
    "AUTHOR_FEED_RSS": None, "TAG_FEED_ATOM": None, "TAG_FEED_RSS": None,
    "TRANSLATION_FEED_ATOM": None, "TRANSLATION_FEED_RSS": None,
    "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False, "DELETE_OUTPUT_DIRECTORY": False,
    "OUTPUT_SOURCES": False, "ARTICLE_PATHS": [],
    "PAGE_PATHS": ["pages"], "READERS": {"html": None, "htm": None, "rst": None},
    "ARTICLE_LANG_SAVE_AS": "", "PAGE_LANG_SAVE_AS": "", "ARTICLE_TRANSLATION_ID": None,
    "PAGE_TRANSLATION_ID": None,
}


@dataclass
class BuildReport:
    """What a build wrote, for the one-line summary."""

    clippings: int = 0
    pages: int = 0
    feeds: int = 0
    seconds: float = 0.0
    output: Path | None = None
    warnings: list[Problem] = field(default_factory=list)
    search_seconds: float = 0.0
    rendered: int = 0
    incremental: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    def summary(self) -> str:
        search = f"; search index {self.search_seconds:.1f} s" if self.search_seconds else ""
        how = f"{self.rendered} pages rendered" if self.incremental else "full build"
        return (f"built {self.clippings} clippings: {self.pages} pages, {self.feeds} feeds in "
                f"{self.seconds:.1f} s ({how}{search})")


class _Collector(logging.Handler):
    """Collects every warning and error Pelican logs; any one fails the build."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def pelican_settings(project: Project, output: Path, production: bool = False) -> dict[str, Any]:
    """Pelican's settings for a build: the project's file, then the digest's safety overrides."""
    from pelican.settings import get_settings_from_file, read_settings

    conf = project.publish_settings_file if production else project.settings_file
    if not conf.is_file():
        raise UsageError(f"{project.display(conf)} is missing")
    cwd = Path.cwd()
    try:
        os.chdir(project.root)  # Pelican resolves relative paths in settings from here
        settings = dict(read_settings(str(conf), override=dict(PELICAN_OFF)))
        # Pelican silently drops a trailing slash from SITEURL; production must not guess.
        raw_siteurl = get_settings_from_file(str(conf)).get("SITEURL", "")
    except Exception as exc:  # the settings file is user code: report, do not crash
        raise UsageError(f"{project.display(conf)} could not be read: {exc}") from None
    finally:
        os.chdir(cwd)
    if production:
        value = str(raw_siteurl or "")
        if not value.startswith("https://") or value.endswith("/") or "://" not in value[:8] \
                or len(value) <= len("https://"):
            raise UsageError(f"{conf.name}: SITEURL must be the published https:// address "
                             f"without a trailing slash (set it there or in DIGEST_SITEURL), "
                             f"not {value!r}")
        if settings.get("RELATIVE_URLS"):
            raise UsageError(f"{conf.name}: RELATIVE_URLS must be False for production")
        cname = str(settings.get("DIGEST_CNAME") or "")
        if cname and not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,63}", cname):
            raise UsageError(f"{conf.name}: DIGEST_CNAME {cname!r} is not a domain name")
    theme = Path(project.root, settings.get("THEME") or "theme")
    if not (theme / "templates").is_dir():
        raise UsageError(f"{conf.name}: THEME = {settings.get('THEME')!r} is not a theme "
                         "folder (it needs templates/)")
    jinja = dict(settings.get("JINJA_ENVIRONMENT") or {})
    jinja["autoescape"] = True  # never off: metadata is untrusted text
    plugins = [p for p in settings.get("PLUGINS") or [] if p not in ("digest.plugin",)]
    # Clippings are read, checked and rendered by `digest build` (keyed by content hash, on
    # every core) and their pages written by the digest's generator with Pelican's pattern;
    # Pelican itself reads only the pages and writes no article.
    settings["DIGEST_ARTICLE_SAVE_AS"] = settings.get("ARTICLE_SAVE_AS") or \
        "{date:%Y}/{date:%m}/{slug}/index.html"
    settings.update(PELICAN_OFF)
    settings["ARTICLE_SAVE_AS"] = ""
    settings.pop("AUTHOR", None)  # a site-wide author would make Pelican build author lists
    settings.update({
        "PATH": str(project.content), "OUTPUT_PATH": str(output), "THEME": str(theme),
        "JINJA_ENVIRONMENT": jinja, "PLUGINS": ["digest.plugin", *plugins],
        "PLUGIN_PATHS": settings.get("PLUGIN_PATHS") or [],
    })
    return settings


_LINKS_OUT = re.compile(rb"\{(?:filename|static|attach)\}")
CACHE_FILE = ".digest-cache/build.sqlite"


def _check_one(job: tuple[str, str, str, str, dt.date | None]):
    """Validate and render one file (runs in a worker process)."""
    from .render import plain_text, shared_renderer, summary
    from .store import Checked, clipping_record, open_data_rows
    from .validate import normalise_url, validate_file

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


def release_settings(settings: dict[str, Any]) -> dict[str, str]:
    """What comparing with the last publish needs of the settings (see release.py)."""
    from .plugin.settings import DEFAULTS
    from .release import DEFAULT_PATTERN

    data = settings.get("DIGEST_DATA_SAVE_AS", DEFAULTS["DIGEST_DATA_SAVE_AS"])
    return {"pattern": settings.get("ARTICLE_URL") or DEFAULT_PATTERN,
            "lang": settings.get("DEFAULT_LANG", "en"), "data": data or ""}


def code_fingerprint() -> str:
    """A hash of the digest's code and data and of the libraries that shape its pages."""
    from importlib.metadata import version

    h = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".txt", ".yml", ".yaml", ".json") and path.is_file():
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for lib in ("pelican", "jinja2", "markdown", "nh3", "feedgenerator", "pycountry"):
        h.update(f"{lib}={version(lib)}".encode())
    return h.hexdigest()


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
    from .gazetteer import load_gazetteer
    from .model import Clipping
    from .store import URL_KEY, Checked, StoredClipping, clipping_from_record, read_across
    from .validate import corpus_problems

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

        from .sources import load_registry

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
        from .release import release_problems

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


def _can_fork() -> bool:
    """Whether work can go to a forked process running beside this one (on another core)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


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
    from .validate import markdown_files

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


class _InChild:
    """Computations run one after the other in a forked process, each answer sent back
    through a pipe of its own as the text its `encode` makes of it there, as soon as it is
    ready; `result(k, decode)` gives the k-th here (and keeps it), or None if it failed, for
    the caller to do the work itself.

    Objects alive at the fork are frozen out of garbage collection first, so that a
    collection in the child does not copy every page of this process's memory.
    """

    def __init__(self, *tasks: tuple[Callable[[], Any], Callable[[Any], str]]):
        self.values: list[Any] = [None] * len(tasks)
        gc.freeze()
        pipes = [os.pipe() for _ in tasks]
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            try:
                for read_end, _ in pipes:
                    os.close(read_end)
                for (compute, encode), (_, write_end) in zip(tasks, pipes):
                    with os.fdopen(write_end, "wb") as fh:
                        try:  # a task that fails answers nothing; the next one still runs
                            fh.write(b"=" + encode(compute()).encode("utf-8", "surrogateescape"))
                        except Exception:  # noqa: BLE001 - the parent does the work instead
                            pass
            finally:
                os._exit(0)
        for _, write_end in pipes:
            os.close(write_end)
        self.fds: list[int | None] = [read_end for read_end, _ in pipes]

    def result(self, k: int, decode: Callable[[str], Any]) -> Any:
        fd = self.fds[k]
        if fd is None:
            return self.values[k]
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
        self.fds[k] = None
        if data[:1] == b"=":
            self.values[k] = decode(data[1:].decode("utf-8", "surrogateescape"))
        if all(fd is None for fd in self.fds):
            os.waitpid(self.pid, 0)
        return self.values[k]

    def close(self) -> None:
        """Collect the child, whatever answers were not asked for."""
        if any(fd is not None for fd in self.fds):
            for fd in self.fds:
                if fd is not None:
                    os.close(fd)
            self.fds = [None] * len(self.fds)
            os.waitpid(self.pid, 0)


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

    from .store import read_only, read_outputs

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
    from .validate import near_duplicate_pairs

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


def _site_key(project: Project, settings: dict[str, Any], code: str, production: bool) -> str:
    """What every page depends on besides the clippings: code, settings, theme, other content."""
    h = hashlib.sha256(f"{code}\0{production}\0".encode())
    relevant = {k: v for k, v in settings.items() if k not in ("OUTPUT_PATH", "DIGEST_INPUT")}
    h.update(json.dumps(relevant, sort_keys=True, default=_describe).encode())
    theme = Path(settings["THEME"])
    for folder, prefix in ((theme, "theme"), (project.content, "content")):
        files = []
        for root, dirs, names in os.walk(folder):
            if prefix == "content" and Path(root) == project.content:
                dirs[:] = [d for d in dirs if d != project.clippings.name]
            files.extend(os.path.join(root, n) for n in names)
        for path in sorted(files):
            h.update(f"{prefix}/{os.path.relpath(path, folder)}\0".encode())
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def _describe(value: Any) -> str:
    """A stable description of a setting JSON cannot hold (a function, a class, an object)."""
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return f"<{getattr(value, '__module__', '')}.{name}>"


def _output_id(output: Path) -> str:
    """The identity of the output folder (a cold build swaps in a new one)."""
    try:
        st = output.stat()
    except OSError:
        return ""
    return f"{st.st_dev}:{st.st_ino}"


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
        from .plugin.templates import TemplateCache  # imports Pelican, beside the reading
        from .store import SiteInput, Snapshot, Store

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


def _changed(last: dict[str, str], now: dict[str, str], clippings, checked, store,
             project: Project) -> tuple[list[Clipping], set[int]]:
    """The old and new versions of every clipping added, edited or removed since `last`, and
    the ids of the new ones."""
    from .gazetteer import load_gazetteer
    from .store import StoredClipping, clipping_from_record

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


def _peak_mib() -> float:
    """The largest resident size so far of this process and of any child it waited for."""
    try:
        import resource
    except ImportError:
        return 0.0
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _lock(project: Project):
    """Hold the project's build lock: two builds at once would write over each other."""
    path = project.root / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path.with_name("build.lock"), "a+")
    try:
        import fcntl

        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # no advisory locks on this system: nothing to hold
        pass
    except OSError:
        fh.close()
        raise UsageError("another `digest build` (or serve, or publish) is building this "
                         "project: wait for it to finish") from None
    return fh


def _intact(output: Path, files: dict[str, str]) -> bool:
    """Whether every file the last build wrote is still there."""
    exists = os.path.exists
    base = str(output) + os.sep
    return all(exists(base + rel) for rel in files)


class _NeedFull(Exception):
    pass


def _run_pelican(project: Project, output: Path, settings: dict[str, Any], inp) -> BuildReport:
    import sqlite3

    from pelican import Pelican, signals

    settings = dict(settings, OUTPUT_PATH=str(output), DIGEST_INPUT=inp)
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    # Pelican's signals are process-wide: start each build with the plugin disconnected, so
    # that only its own register() (called by Pelican for this build) connects it.
    from .plugin import add_reader, get_generators

    signals.readers_init.disconnect(add_reader)
    signals.get_generators.disconnect(get_generators)
    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        with contextlib.redirect_stdout(io.StringIO()):  # Pelican prints its own summary
            Pelican(settings).run()
    except (BuildError, sqlite3.DatabaseError):  # (a damaged store: `build` starts afresh)
        raise
    except Exception as exc:
        raise BuildError(f"Pelican failed: {type(exc).__name__}: {exc}",
                         _problems_from(collector)) from None
    finally:
        os.chdir(cwd)
        pelican_logger.removeHandler(collector)
    problems = _problems_from(collector)
    if problems:
        raise BuildError("Pelican reported problems: nothing was published", problems)
    if inp.planned is None:  # the plugin did not run (its register() failed, say)
        raise BuildError(f"{len(inp.clippings)} clippings checked but the digest's generator "
                         "did not run: nothing was published")
    # Every clipping must have its page (or keep the last build's).
    missing = []
    for c in inp.clippings:
        page = inp.article_pages.get(c.path)
        if page is None or page not in inp.planned or (
                inp.previous is None and not (output / page).is_file()):
            missing.append(Problem(c.path, None, f"no page was written at {page}"))
    if missing:
        raise BuildError(f"{len(missing)} clipping(s) have no page: nothing was published",
                         missing[:20])
    scan_output(output, inp.planned.keys())
    return BuildReport(clippings=len(inp.clippings), rendered=inp.rendered)


def _finish(project: Project, stage: Path, settings: dict[str, Any], production: bool, inp,
            stage_is_site: bool) -> dict[str, str]:
    """Add the sitemap, robots.txt, .nojekyll and CNAME to the staged files; return the
    complete list of the site's files (but the search index) with their signatures."""
    outputs = dict(inp.planned or {})  # (pages kept from the last build included)
    for rel in _walk(stage):
        outputs.setdefault(rel, "*")
    site_url = str(settings.get("SITEURL") or "")
    extra: dict[str, str] = {}
    if site_url.startswith(("http://", "https://")):
        # Redirect pages (an old address of a clipping) are not pages of their own.
        extra["sitemap.xml"] = sitemap(sorted(k for k, v in outputs.items()
                                              if not v.startswith("redirect:")),
                                       site_url.rstrip("/"))
        extra["robots.txt"] = (f"User-agent: *\nAllow: /\n\nSitemap: "
                               f"{site_url.rstrip('/')}/sitemap.xml\n")
    if production:
        extra[".nojekyll"] = ""  # serve folders such as _x as they are
        if settings.get("DIGEST_CNAME"):
            extra["CNAME"] = f"{settings['DIGEST_CNAME']}\n"
    for name, text in extra.items():
        (stage / name).write_text(text, encoding="utf-8")
        outputs[name] = "*"
    return outputs


def _walk(folder: Path) -> list[str]:
    """Every file below `folder`, as a relative POSIX path."""
    out = []
    base = len(str(folder)) + 1
    for root, _dirs, files in os.walk(folder):
        for name in files:
            out.append(os.path.join(root, name)[base:].replace(os.sep, "/"))
    return out


def _apply(stage: Path, output: Path, outputs: dict[str, str], previous: dict[str, str]) -> None:
    """Move the staged files into `output/` and delete the files the site no longer has."""
    made: set[str] = set()
    for rel in _walk(stage):
        if rel.startswith("pagefind/"):
            continue
        parent = os.path.dirname(rel)
        if parent not in made:
            (output / parent).mkdir(parents=True, exist_ok=True)
            made.add(parent)
        os.replace(stage / rel, output / rel)
    folders = set()
    for rel in previous.keys() - outputs.keys():
        (output / rel).unlink(missing_ok=True)
        folders.add(os.path.dirname(rel))
    for folder in sorted(folders, key=len, reverse=True):  # deepest first
        while folder:
            try:
                (output / folder).rmdir()  # only if empty
            except OSError:
                break
            folder = os.path.dirname(folder)


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


_OUTPUT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".css", ".js", ".png", ".jpg", ".jpeg",
                    ".gif", ".webp", ".svg", ".ico", ".pdf", ".txt", ".woff2"}


def scan_output(output: Path, scanned: set[str] | frozenset[str] = frozenset()) -> None:
    """Refuse to publish what no clipping should produce: a script the theme did not write,
    a hidden file, a link, or a file type outside the allowlist. Pages in `scanned` were
    checked for scripts as they were rendered."""
    from .render import script_problems

    problems = []
    base = len(str(output)) + 1
    for folder, dirs, files in os.walk(output):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = path[base:].replace(os.sep, "/")
            if name.startswith(".") and rel not in (".nojekyll",):
                problems.append(Problem(rel, None, "hidden file in the output"))
            if os.path.islink(path):
                problems.append(Problem(rel, None, "symbolic link in the output"))
        for name in files:
            path = os.path.join(folder, name)
            rel = path[base:].replace(os.sep, "/")
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in _OUTPUT_SUFFIXES and name not in ("CNAME", ".nojekyll"):
                problems.append(Problem(rel, None, f"unexpected file type '{suffix}' in "
                                        "the output"))
            if name.endswith(".html") and rel not in scanned:
                with open(path, "rb") as fh:
                    found = script_problems(fh.read().decode("utf-8", "replace"))
                problems.extend(Problem(rel, None, message) for message in found)
    if problems:
        raise BuildError("the output failed the safety scan: nothing was published", problems)


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


# Pages that are not content: the search page, the 404 page.
_NOT_IN_SITEMAP = ("404.html", "search/index.html")


def sitemap(files: list[str], site_url: str) -> str:
    """`sitemap.xml` listing every HTML page of `files` by its absolute address, in order."""
    from xml.sax.saxutils import escape

    urls = []
    for rel in files:
        if not rel.endswith(".html") or rel in _NOT_IN_SITEMAP or \
                rel.startswith(("pagefind/", "theme/")):
            continue
        path = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        urls.append(f"<url><loc>{escape(f'{site_url}/{path}')}</loc></url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(urls) + "\n</urlset>\n")


def _problems_from(collector: _Collector) -> list[Problem]:
    out = []
    for record in collector.records:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            detail = getattr(exc, "problems", None)
            if detail:
                out.extend(detail)
                continue
            message = f"{message}: {type(exc).__name__}: {exc}"
        out.append(Problem("pelican", None, f"{record.levelname.lower()}: {message}"))
    return out


def _swap(new: Path, output: Path) -> None:
    """Put the finished build in place of `output/`; the old one is removed only afterwards."""
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}-old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(output, old)
    try:
        os.replace(new, output)
    except OSError:
        if old is not None:
            os.replace(old, output)
        raise
    if old is not None:
        _remove_later(old)


def _remove_later(folder: Path) -> None:
    """Delete a replaced output folder without making the build wait for it."""
    if os.name == "posix" and shutil.which("rm"):
        import subprocess

        subprocess.Popen(["rm", "-rf", "--", str(folder)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def serve(project: Project, port: int, production: bool = False,
          on_build: Callable[[BuildReport | None, Exception | None], None] | None = None,
          stop: Callable[[], bool] | None = None) -> None:
    """Build, serve `output/` on 127.0.0.1:`port`, and rebuild when content, theme or settings
    change; a failed rebuild is reported and the last good site stays served."""
    import threading

    from watchfiles import watch

    def rebuild() -> None:
        try:
            report = build(project, production=production)
        except (BuildError, UsageError) as exc:
            if on_build:
                on_build(None, exc)
            return
        if on_build:
            on_build(report, None)

    rebuild()
    handler = functools.partial(_quiet_handler(), directory=str(project.output))
    import http.server

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    watched = [p for p in (project.content, project.root / "theme", project.settings_file,
                           project.publish_settings_file) if p.exists()]
    stop_event = threading.Event()
    try:
        for _changes in watch(*watched, stop_event=stop_event, rust_timeout=500,
                              yield_on_timeout=True):
            if stop and stop():
                break
            if _changes:
                rebuild()
    finally:
        server.shutdown()
        server.server_close()


def _quiet_handler():
    """A handler that serves files without logging every request to the terminal (made when
    serving: http.server is not imported by the other commands)."""
    import http.server

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            pass

    return QuietHandler


@dataclass
class PublishPlan:
    """What `digest publish` pushes: the built folder, the branch and remote, the file count."""

    output: Path
    branch: str
    remote: str
    files: int
    cname: str


def publish(project: Project, remote: str = "origin", branch: str = "gh-pages",
            dry_run: bool = False, push: bool = True, message: str | None = None) -> PublishPlan:
    """Build with production settings and commit `output/` to `branch` (pushing to `remote`).

    The build fails (and nothing is pushed) on any problem; with `dry_run` nothing is
    committed or pushed.
    """
    import subprocess

    if not (project.root / ".git").exists():
        raise UsageError(f"{project.root} is not a git repository: publish commits the site to "
                         f"its '{branch}' branch")
    if push and not dry_run:
        remotes = subprocess.run(["git", "remote"], cwd=project.root, capture_output=True,
                                 text=True).stdout.split()
        if remote not in remotes:
            raise UsageError(f"no git remote named '{remote}': add one, or use --remote")
    build(project, production=True)
    files = sum(1 for p in project.output.rglob("*") if p.is_file())
    cname_file = project.output / "CNAME"
    cname = cname_file.read_text().strip() if cname_file.exists() else ""
    plan = PublishPlan(project.output, branch, remote, files, cname)
    if dry_run:
        return plan
    import ghp_import

    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        ghp_import.ghp_import(str(project.output), branch=branch, remote=remote, push=push,
                              nojekyll=True, cname=cname or None,
                              mesg=message or "Publish the digest")
    except ghp_import.GhpError as exc:
        raise BuildError(f"publishing failed: {exc}") from None
    finally:
        os.chdir(cwd)
    return plan
