"""The finished output: safety scan, sitemap and extra files, atomic swap or apply, the build lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from digest.errors import BuildError, Problem
from digest.incremental import ALWAYS, hold_lock
from digest.project import Project

# `digest build` imports this module before it forks its reading process: Markdown (for the
# safety scan) and xml.sax (which loads urllib and http: 20 ms) are imported when first
# needed, after the fork.

WORK = (".pagefind-new/", ".pagefind-old/", ".search-site/")  # the stage's own folders


def lock(project: Project):
    """Hold the project's build lock (`incremental.hold_lock`)."""
    return hold_lock(project.root, project.display(project.root / ".digest-cache"))


SCRATCH = ".digest-build"  # below the project's root: the stages of builds under way


def new_stage(project: Project) -> Path:
    """A fresh folder to build into, after removing what builds that were killed left (the
    caller holds the lock, so no other build is under way): their stages, and replaced
    output folders whose removal did not finish."""
    scratch = project.root / SCRATCH
    scratch.mkdir(exist_ok=True)
    for entry in os.scandir(scratch):
        if entry.name.startswith("output-"):
            shutil.rmtree(entry.path, ignore_errors=True)
    old = sorted(entry.path for entry in os.scandir(project.root)
                 if entry.name.startswith(f".{project.output.name}-old-") and entry.is_dir())
    if old and not project.output.exists():
        # A build was stopped between moving the last output aside and moving its own in:
        # the last output is put back (the next build compares it with what it recorded).
        os.replace(old.pop(), project.output)
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
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
                 files: dict[str, str], scanned: Iterable[str]) -> dict[str, str]:
    """Add the sitemap, robots.txt, .nojekyll and CNAME to the staged files, and scan what
    the stage holds (`scanned`: pages checked as they were rendered); return every file of
    the site (but the search index) with its signature."""
    outputs = dict(files)  # (pages kept from the last build included)
    for rel in walk(stage):
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
    return outputs


def walk(folder: Path) -> list[str]:
    """Every file below `folder`, as a relative POSIX path."""
    out = []
    base = len(str(folder)) + 1
    for root, _dirs, files in os.walk(folder):
        for name in files:
            out.append(os.path.join(root, name)[base:].replace(os.sep, "/"))
    return out


def move_in(stage: Path, output: Path) -> None:
    """Move the staged files (but the stage's own work folders) into `output/`."""
    made: set[str] = set()
    for rel in walk(stage):
        if rel.startswith(WORK):
            continue
        parent = os.path.dirname(rel)
        if parent not in made:
            (output / parent).mkdir(parents=True, exist_ok=True)
            made.add(parent)
        os.replace(stage / rel, output / rel)


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
    for folder in sorted(folders, key=len, reverse=True):  # deepest first
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


def scan_output(output: Path, scanned: set[str] | frozenset[str] = frozenset(),
                prefix: str = "") -> None:
    """Refuse to publish what no clipping should produce: a script the theme did not write,
    a hidden file, a link, or a file type outside the allowlist. Pages in `scanned` were
    checked for scripts as they were rendered; `prefix` is where `output` is in the site."""
    from digest.content.render import script_problems

    problems = []
    base = len(str(output)) + 1
    for folder, dirs, files in os.walk(output):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = prefix + path[base:].replace(os.sep, "/")
            if name.startswith(".") and rel not in (".nojekyll",):
                problems.append(Problem(rel, None, "hidden file in the output"))
            if os.path.islink(path):
                problems.append(Problem(rel, None, "symbolic link in the output"))
        for name in files:
            path = os.path.join(folder, name)
            rel = prefix + path[base:].replace(os.sep, "/")
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in _OUTPUT_SUFFIXES and name not in ("CNAME", ".nojekyll") and \
                    not (suffix in _SEARCH_SUFFIXES and rel.startswith("pagefind/")):
                problems.append(Problem(rel, None, f"unexpected file type '{suffix}' in "
                                        "the output"))
            if name.endswith(".html") and rel not in scanned:
                with open(path, "rb") as fh:
                    found = script_problems(fh.read().decode("utf-8", "replace"))
                problems.extend(Problem(rel, None, message) for message in found)
    if problems:
        raise BuildError("the output failed the safety scan: nothing was published", problems)


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


def swap(new: Path, output: Path) -> None:
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
        remove_later(old)


def remove_later(folder: Path) -> None:
    """Delete a replaced output folder without making the build wait for it."""
    if os.name == "posix" and shutil.which("rm"):
        subprocess.Popen(["rm", "-rf", "--", str(folder)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        shutil.rmtree(folder, ignore_errors=True)
