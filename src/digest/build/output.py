"""The finished output: safety scan, sitemap and extra files, atomic swap or apply, the build lock."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from digest.errors import BuildError, Problem, UsageError
from digest.incremental.store import CACHE_FILE
from digest.project import Project


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


_OUTPUT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".css", ".js", ".png", ".jpg", ".jpeg",
                    ".gif", ".webp", ".svg", ".ico", ".pdf", ".txt", ".woff2"}


def scan_output(output: Path, scanned: set[str] | frozenset[str] = frozenset()) -> None:
    """Refuse to publish what no clipping should produce: a script the theme did not write,
    a hidden file, a link, or a file type outside the allowlist. Pages in `scanned` were
    checked for scripts as they were rendered."""
    from digest.content.render import script_problems

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
