"""The finished output: safety scan, sitemap and extra files, atomic swap or apply, the build lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from digest.errors import BuildError, Problem
from digest.incremental import ALWAYS, hold_lock
from digest.incremental.look import listing
from digest.project import Project

# `digest build` imports this module before it forks its reading process: Markdown (for the
# safety scan) and xml.sax (which loads urllib and http: 20 ms) are imported when first
# needed, after the fork.

WORK = (".pagefind-new/", ".pagefind-old/", ".pagefind-pages/", ".replaced/")  # the stage's own folders


def lock(project: Project):
    """Hold the project's build lock (`incremental.hold_lock`)."""
    return hold_lock(project.root, project.display(project.root / ".digest-cache"))


SCRATCH = ".digest-build"  # below the project's root: the stages of builds under way
TRASH = ".digest-trash-"  # below the project's root: folders being removed


def new_stage(project: Project) -> Path:
    """A fresh folder to build into, after clearing away what builds that were killed left
    (the caller holds the lock, so no other build is under way): their stages, and replaced
    output folders whose removal did not finish. An output moved aside by a build stopped
    before it moved its own in is put back."""
    scratch = project.root / SCRATCH
    scratch.mkdir(exist_ok=True)
    left = [entry.path for entry in os.scandir(scratch) if entry.name.startswith("output-")]
    old = sorted(entry.path for entry in os.scandir(project.root)
                 if entry.name.startswith(f".{project.output.name}-old-") and entry.is_dir())
    if old and not project.output.exists():
        os.replace(old.pop(), project.output)  # (the next build compares it with its list)
    for path in left + old:  # moved out of the way at once, removed beside it
        trash = project.root / f"{TRASH}{os.urandom(6).hex()}"
        os.replace(path, trash)
        remove_later(trash)
    stage = Path(tempfile.mkdtemp(prefix="output-", dir=scratch))
    stage.chmod(0o755)  # mkdtemp makes it private; the published folder must be readable
    return stage


def drop_stage(project: Project, stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
    try:
        (project.root / SCRATCH).rmdir()
    except OSError:
        pass


def finish_phase(stage: Path, settings: dict[str, Any], production: bool,
                 files: dict[str, str], scanned: Iterable[str]) -> tuple[dict[str, str], str]:
    """Add the sitemap, robots.txt, .nojekyll and CNAME to the staged files, and scan what
    the stage holds (`scanned`: pages checked as they were rendered); return every file of
    the site (but the search index) with its signature, and the change times of the stage's
    folders (`look.listing`: those of a full build's output, which the stage becomes)."""
    outputs = dict(files)  # (pages kept from the last build included)
    staged, times = listing(stage)
    for rel in staged:
        outputs.setdefault(rel, ALWAYS)  # (Pelican's pages, the theme's files)
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
        outputs[name] = ALWAYS
    scan_output(stage, frozenset(scanned))
    return outputs, times


WARN_BYTES = 500 * 1000 ** 2  # a site this large is warned of
MAX_BYTES = 1000 ** 3  # GitHub Pages publishes sites of at most 1 GB


def size_problems(folder: Path, shown: str = "output/") -> list[Problem]:
    """A warning for a site past 500 MB, an error past GitHub Pages' 1 GB, each naming the
    folders that cost most (`size_verdict` of `folder_sizes`)."""
    return size_verdict(folder_sizes(folder), shown)


def folder_sizes(folder: Path) -> dict[str, int]:
    """The bytes of the files below `folder` by its top-level entry ("(top level)" for
    its own files)."""
    sizes: dict[str, int] = {}
    base = len(str(folder)) + 1
    for root, _dirs, files in os.walk(folder):
        top = root[base:].split(os.sep, 1)[0] or "(top level)"
        total = 0
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
        sizes[top] = sizes.get(top, 0) + total
    return sizes


def top_of(rel: str) -> str:
    """The top-level entry a file of the site is counted under (`folder_sizes`)."""
    head, slash, _ = rel.partition("/")
    return head if slash else "(top level)"


def size_verdict(sizes: Mapping[str, int], shown: str = "output/",
                 limit: int | None = None) -> list[Problem]:
    """The warning past WARN_BYTES or the error past MAX_BYTES (GitHub Pages' 1 GB) for a
    site of these sizes; with `limit` (DIGEST_SITE_LIMIT_MB, in bytes), the error past it
    and the warning past half of it, none where it is 0 (a host with no such limit)."""
    total = sum(sizes.values())
    most, warn = (MAX_BYTES, WARN_BYTES) if limit is None else (limit, limit // 2)
    if not most or total <= warn:
        return []
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
    costs = ", ".join(f"{name}/ {size / 1000 ** 2:,.0f} MB" for name, size in largest)
    where = ("GitHub Pages publishes (1 GB)" if limit is None else
             f"DIGEST_SITE_LIMIT_MB allows ({limit / 1000 ** 2:,.0f} MB)")
    if total > most:
        return [Problem(shown, None, f"the site is {total / 1000 ** 3:.2f} GB, more than "
                        f"{where}; most of it: {costs}. Switch off page "
                        "types it can do without (an empty *_SAVE_AS), raise "
                        "DIGEST_PAIR_MIN_CLIPPINGS, split the digest, or publish it on a host "
                        "without that limit (DIGEST_SITE_LIMIT_MB = 0)")]
    return [Problem(shown, None, f"the site is {total / 1000 ** 2:,.0f} MB, half of what "
                    f"{where}; most of it: {costs}", "warning")]


def size_change(stage: Path, output: Path, written: Iterable[str],
                removed: Iterable[str]) -> dict[str, int]:
    """How many bytes, by top-level entry, putting the files `written` in the stage into
    `output/` in place of those there, and removing those `removed`, adds (or takes)."""
    change: dict[str, int] = {}
    for rel in written:
        top = top_of(rel)
        change[top] = change.get(top, 0) + path_size(stage / rel) - path_size(output / rel)
    for rel in removed:
        top = top_of(rel)
        change[top] = change.get(top, 0) - path_size(output / rel)
    return change


def path_size(path: Path) -> int:
    """The bytes of a file, or of every file below a folder; 0 if there is none."""
    try:
        info = os.lstat(path)
    except OSError:
        return 0
    if not os.path.isdir(path) or os.path.islink(path):
        return info.st_size
    return sum(folder_sizes(path).values())


def move_in(stage: Path, output: Path, moved: list[tuple[str, bool]]) -> None:
    """Move the staged files (but the stage's own work folders) into `output/`, each file
    they replace kept in the stage's `.replaced/` (`move_back` undoes it all); `moved` gets
    each file as it is moved, with whether it replaced one (so that a failure part of the
    way can be undone too)."""
    made: set[str] = set()
    kept = stage / ".replaced"
    for rel in listing(stage)[0]:
        if rel.startswith(WORK):
            continue
        parent = os.path.dirname(rel)
        if parent not in made:
            (output / parent).mkdir(parents=True, exist_ok=True)
            (kept / parent).mkdir(parents=True, exist_ok=True)
            made.add(parent)
        replaced = os.path.lexists(output / rel)
        if replaced:
            os.replace(output / rel, kept / rel)
        try:
            os.replace(stage / rel, output / rel)
        except OSError:
            if replaced:  # (the file it was to replace goes back at once)
                os.replace(kept / rel, output / rel)
            raise
        moved.append((rel, replaced))


def move_back(stage: Path, output: Path, moved: list[tuple[str, bool]]) -> None:
    """Undo `move_in`: the files it replaced back in place, those it added removed."""
    kept = stage / ".replaced"
    folders = set()
    for rel, replaced in reversed(moved):
        if replaced:
            os.replace(kept / rel, output / rel)
        else:
            (output / rel).unlink(missing_ok=True)
            folders.add(os.path.dirname(rel))
    _prune(output, folders)  # the folders it made


def remove_gone(output: Path, files: Mapping[str, str], last_files: Mapping[str, str],
                foreign: Iterable[str] = (), keep_prefix: str = "\0") -> None:
    """Remove from `output/` the files of the last build the site no longer has (but those
    under `keep_prefix`, replaced whole), the files no build wrote (`foreign`), and the
    folders this leaves empty."""
    folders = set()
    gone = [rel for rel in last_files.keys() - files.keys() if not rel.startswith(keep_prefix)]
    for rel in (*gone, *foreign):
        (output / rel).unlink(missing_ok=True)
        folders.add(os.path.dirname(rel))
    _prune(output, folders)


def _prune(output: Path, folders: set[str]) -> None:
    """Remove these folders of `output/` and their parents, deepest first, where empty."""
    for folder in sorted(folders, key=len, reverse=True):
        while folder:
            try:
                (output / folder).rmdir()  # only if empty
            except OSError:
                break
            folder = os.path.dirname(folder)


# Pagefind's own files, allowed under pagefind/ only.
_SEARCH_SUFFIXES = {".pagefind", ".pf_meta", ".pf_fragment", ".pf_index", ".pf_filter"}
_OUTPUT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".css", ".js", ".png", ".jpg", ".jpeg",
                    ".gif", ".webp", ".svg", ".ico", ".pdf", ".txt", ".woff2"}
_ADMIN_SUFFIXES = {".yml", ".wasm"}  # the web editor's config and its bundle's WebAssembly


def scan_output(output: Path, scanned: set[str] | frozenset[str] = frozenset(),
                prefix: str = "") -> None:
    """Refuse to publish what no clipping should produce: a script the theme did not write,
    a hidden file, a link, or a file type outside the allowlist. Pages in `scanned` were
    checked for scripts as they were rendered; `prefix` is where `output` is in the site."""
    from digest.content.render import script_problems

    problems = []
    base = len(str(output)) + 1
    for path, name, link, is_file in _entries(str(output)):
        rel = prefix + path[base:].replace(os.sep, "/")
        if name.startswith(".") and rel not in (".nojekyll",):
            problems.append(Problem(rel, None, "hidden file in the output"))
        if link:
            problems.append(Problem(rel, None, "symbolic link in the output"))
        if is_file:
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in _OUTPUT_SUFFIXES and name not in ("CNAME", ".nojekyll") and \
                    not (suffix in _SEARCH_SUFFIXES and rel.startswith("pagefind/")) and \
                    not (suffix in _ADMIN_SUFFIXES and rel.startswith("admin/")):
                problems.append(Problem(rel, None, f"unexpected file type '{suffix}' in "
                                        "the output"))
            if name.endswith(".html") and not link and rel not in scanned:
                with open(path, "rb") as fh:
                    page = fh.read().decode("utf-8", "replace")
                found = script_problems(page, admin=rel == "admin/index.html")
                problems.extend(Problem(rel, None, message) for message in found)
    if problems:
        raise BuildError("the output failed the safety scan: nothing was published", problems)


def _entries(folder: str) -> Iterator[tuple[str, str, bool, bool]]:
    """(path, name, is a link, is a file or a link to one) of everything below `folder`, as
    os.walk lists them (links not followed), told by the folders' listings alone (os.walk
    and os.path.islink ask the file system again for each)."""
    try:
        with os.scandir(folder) as found:
            entries = list(found)
    except OSError:  # (as os.walk does: what cannot be listed is not looked into)
        return
    for entry in entries:
        link = entry.is_symlink()
        if entry.is_dir(follow_symlinks=False):
            yield entry.path, entry.name, False, False
            yield from _entries(entry.path)
        else:
            yield entry.path, entry.name, link, not (link and entry.is_dir())


# Pages that are not content: the search page, the 404 page.
_NOT_IN_SITEMAP = ("404.html", "search/index.html", "admin/index.html")


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


def swap(new: Path, output: Path) -> None:
    """Put the finished build in place of `output/`; the old one is removed only afterwards.
    Where the system can exchange two folders in one step (Linux), `output/` is never
    missing, not even for a moment (`digest serve` keeps serving while it rebuilds)."""
    old = None
    if output.exists() and _exchange(new, output):
        old = output.with_name(f".{output.name}-old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(new, old)  # (the stage's place now holds the old output)
        remove_later(old)
        return
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
        remove_later(old)


def _exchange(a: Path, b: Path) -> bool:
    """Exchange two paths in one step (renameat2 with RENAME_EXCHANGE); False where the
    system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # (only here, and only on Linux)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def remove_later(folder: Path) -> None:
    """Delete a replaced output folder without making the build wait for it."""
    if os.name == "posix" and shutil.which("rm"):
        subprocess.Popen(["rm", "-rf", "--", str(folder)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        shutil.rmtree(folder, ignore_errors=True)
