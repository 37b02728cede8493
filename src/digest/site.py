"""Build around Pelican: pre-flight check, strict run, output checks and an atomic swap."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import http.server
import io
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

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
    "OUTPUT_SOURCES": False, "ARTICLE_PATHS": ["clippings"],
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

    def summary(self) -> str:
        search = f" (search index {self.search_seconds:.1f} s)" if self.search_seconds else ""
        return (f"built {self.clippings} clippings: {self.pages} pages, {self.feeds} feeds in "
                f"{self.seconds:.1f} s{search}")


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
    # Clipping pages are written by the digest's generator, on every core, with Pelican's
    # pattern; Pelican itself is given none, so it reads the clippings but writes no page.
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


@dataclass(frozen=True)
class Prepared:
    """A clipping file checked and rendered ahead of Pelican, keyed by its content hash."""

    sha256: str
    clipping: Clipping
    html: str
    summary: str


@functools.lru_cache(maxsize=1)
def _worker_renderer():
    from .render import Renderer

    return Renderer()


def _prepare_one(job: tuple[str, str, str, dt.date | None]):
    """Validate and render one file (runs in a worker process)."""
    from .render import plain_text, summary
    from .validate import validate_file

    path, display, root, today = job
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    result = validate_file(Path(path), Path(root), display, today, data=data)
    if result.clipping is None:
        return path, digest, result, None
    html = _worker_renderer().html(result.clipping.body)
    return path, digest, result, (html, summary(plain_text(html)))


def prepare(project: Project, today: dt.date | None = None, jobs: int | None = None):
    """Check every clipping and render its excerpt, on all cores; then check across files.

    Returns the clippings, every problem, and the prepared renderings by absolute path.
    """
    from .validate import corpus_problems, find_clippings

    files = find_clippings([project.clippings])
    root = str(project.clippings)
    work = [(str(f.resolve()), project.display(f), root, today) for f in files]
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if jobs > 1 and len(work) >= 200:
        import multiprocessing

        from .gazetteer import load_gazetteer
        from .sources import load_registry

        load_gazetteer(), load_registry()  # loaded once, inherited by forked workers
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs) as pool:
            results = pool.map(_prepare_one, work, chunksize=64)
    else:
        results = [_prepare_one(job) for job in work]
    clippings, problems, prepared = [], [], {}
    for path, digest, result, rendered in results:
        problems.extend(result.problems)
        if result.clipping is not None:
            clippings.append(result.clipping)
            html, text = rendered
            prepared[path] = Prepared(digest, result.clipping, html, text)
    problems.extend(corpus_problems(clippings, [job[1] for job in work]))
    problems.sort(key=lambda p: (p.path, p.line or 0))
    return clippings, problems, prepared


def build(project: Project, production: bool = False, today=None,
          progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Check, build into a fresh folder and swap it into `output/`; raises `BuildError`.

    Any problem in a clipping, any warning or error Pelican logs, and any clipping that did not
    become a page fails the build; the previous output is then left as it was.
    """
    start = time.perf_counter()
    clippings, problems, prepared = prepare(project, today)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise BuildError(f"{len(errors)} problem(s) in the content: nothing was built", errors)
    project.root.joinpath(".digest-build").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="output-", dir=project.root / ".digest-build"))
    tmp.chmod(0o755)  # mkdtemp makes it private; the published folder must be readable
    try:
        report = _run_pelican(project, tmp, production, len(clippings), progress, prepared)
        report.warnings = [p for p in problems if not p.is_error]
        _swap(tmp, project.output)
        report.output = project.output
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            (project.root / ".digest-build").rmdir()
        except OSError:
            pass
    report.seconds = time.perf_counter() - start
    return report


def _run_pelican(project: Project, output: Path, production: bool, expected: int,
                 progress: Callable[[int, int], None] | None = None,
                 prepared: dict[str, Prepared] | None = None) -> BuildReport:
    from pelican import Pelican, signals

    settings = pelican_settings(project, output, production)
    settings["DIGEST_PREPARED"] = prepared or {}
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    seen: dict[str, Any] = {}

    def finalized(generator) -> None:
        pattern = settings["DIGEST_ARTICLE_SAVE_AS"]
        seen["articles"] = [(a.source_path, pattern.format(**a.url_format))
                            for a in generator.articles]

    read = [0]

    def on_read(generator, metadata) -> None:
        read[0] += 1
        if progress is not None:
            progress(read[0], expected)

    # Pelican's signals are process-wide: start each build with the plugin disconnected, so
    # that only its own register() (called by Pelican for this build) connects it.
    from .plugin import add_reader, get_generators

    signals.readers_init.disconnect(add_reader)
    signals.get_generators.disconnect(get_generators)
    signals.article_generator_finalized.connect(finalized)
    signals.article_generator_context.connect(on_read)
    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        with contextlib.redirect_stdout(io.StringIO()):  # Pelican prints its own summary
            Pelican(settings).run()
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"Pelican failed: {type(exc).__name__}: {exc}",
                         _problems_from(collector)) from None
    finally:
        os.chdir(cwd)
        signals.article_generator_finalized.disconnect(finalized)
        signals.article_generator_context.disconnect(on_read)
        pelican_logger.removeHandler(collector)
    problems = _problems_from(collector)
    if problems:
        raise BuildError("Pelican reported problems: nothing was published", problems)
    built = len(seen.get("articles", []))
    if built != expected:
        raise BuildError(f"{expected} clippings checked but {built} became pages: nothing was "
                         "published")
    # Every clipping must have its page: this also catches a plugin that did not run.
    missing = [Problem(os.path.relpath(src, Path.cwd()), None, f"no page was written at {page}")
               for src, page in seen.get("articles", []) if not (output / page).is_file()]
    if missing:
        raise BuildError(f"{len(missing)} clipping(s) have no page: nothing was published",
                         missing[:20])
    report = BuildReport(clippings=built)
    scan_output(output)
    site_url = str(settings.get("SITEURL") or "")
    if site_url.startswith(("http://", "https://")):
        write_sitemap(output, site_url.rstrip("/"))
        (output / "robots.txt").write_text(f"User-agent: *\nAllow: /\n\nSitemap: "
                                           f"{site_url.rstrip('/')}/sitemap.xml\n")
    if production:
        (output / ".nojekyll").write_text("")  # serve folders such as _x as they are
        if settings.get("DIGEST_CNAME"):
            (output / "CNAME").write_text(f"{settings['DIGEST_CNAME']}\n")
    if settings.get("DIGEST_SEARCH", True):
        started = time.perf_counter()
        # Only clipping pages are results, so Pagefind reads only them.
        glob = re.sub(r"\{[^}]*\}", "*", settings["DIGEST_ARTICLE_SAVE_AS"])
        search_index(output, glob)
        report.search_seconds = time.perf_counter() - started
    for _root, _dirs, files in os.walk(output):
        report.pages += sum(1 for f in files if f.endswith(".html"))
        report.feeds += sum(1 for f in files if f.endswith(".atom.xml"))
    return report


_SCRIPT = re.compile(rb"<script\b[^>]*>", re.IGNORECASE)
_ALLOWED_SCRIPT = re.compile(
    rb'<script (?:type="application/ld\+json"|src="[^"]*/(?:pagefind/pagefind-ui|theme/js/[a-z-]+)'
    rb'\.js"(?: defer)?)>')
_OUTPUT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".css", ".js", ".png", ".jpg", ".jpeg",
                    ".gif", ".webp", ".svg", ".ico", ".pdf", ".txt", ".woff2"}


def scan_output(output: Path) -> None:
    """Refuse to publish what no clipping should produce: a script the theme did not write,
    a hidden file, a link, or a file type outside the allowlist."""
    problems = []
    for folder, dirs, files in os.walk(output):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(output).as_posix()
            if name.startswith(".") and rel not in (".nojekyll",):
                problems.append(Problem(rel, None, "hidden file in the output"))
            if path.is_symlink():
                problems.append(Problem(rel, None, "symbolic link in the output"))
        for name in files:
            path = Path(folder, name)
            rel = path.relative_to(output).as_posix()
            if path.suffix.lower() not in _OUTPUT_SUFFIXES and name not in ("CNAME", ".nojekyll"):
                problems.append(Problem(rel, None, f"unexpected file type '{path.suffix}' in "
                                        "the output"))
            if name.endswith(".html"):
                for tag in _SCRIPT.findall(path.read_bytes()):
                    if not _ALLOWED_SCRIPT.fullmatch(tag):
                        problems.append(Problem(rel, None, f"script not written by the theme: "
                                                f"{tag[:80].decode('utf-8', 'replace')}"))
    if problems:
        raise BuildError("the output failed the safety scan: nothing was published", problems)


def search_index(output: Path, glob: str = "**/*.html") -> None:
    """Build the Pagefind index of the clipping pages into `output/pagefind/` (no network)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(output), "--silent", "--glob", glob],
        capture_output=True, text=True, timeout=1800)
    if result.returncode != 0 or not (output / "pagefind" / "pagefind.js").exists():
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BuildError("the search index could not be built: " + " / ".join(detail))


# Pages that are not content: the search page, the 404 page.
_NOT_IN_SITEMAP = ("404.html", "search/index.html")


def write_sitemap(output: Path, site_url: str) -> None:
    """`sitemap.xml` listing every HTML page by its absolute address, in a stable order."""
    from xml.sax.saxutils import escape

    urls = []
    for page in sorted(output.rglob("*.html")):
        rel = page.relative_to(output).as_posix()
        if rel in _NOT_IN_SITEMAP or rel.startswith(("pagefind/", "theme/")):
            continue
        path = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        urls.append(f"<url><loc>{escape(f'{site_url}/{path}')}</loc></url>")
    (output / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls) + "\n</urlset>\n", encoding="utf-8")


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
    handler = functools.partial(_QuietHandler, directory=str(project.output))
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to the terminal."""

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


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
