"""The `digest` command line: each command parses options, calls one function, maps errors."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import DigestError, Problem, UsageError
from .project import Project

app = typer.Typer(
    name="digest",
    help="Publish a regional-security digest: clippings as Markdown files, a static site by "
         "country, country pair, region, category, source and month, with feeds and search.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ProjectOption = Annotated[Optional[Path], typer.Option(
    "--project", "-C", help="The digest project folder (default: found from the working folder).",
    file_okay=False, show_default=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"digest {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Publish a regional-security digest as a static site."""


def _fail(exc: DigestError) -> typer.Exit:
    """Print a project error on stderr and return the exit to raise (the one place for this)."""
    for problem in exc.problems:
        typer.echo(str(problem), err=True)
    if exc.message:
        typer.echo(f"error: {exc.message}" if not exc.problems else exc.message, err=True)
    return typer.Exit(exc.exit_code)


def _project(path: Path | None) -> Project:
    return Project(path.resolve()) if path else Project.find()


def _print_problems(problems: list[Problem]) -> tuple[int, int]:
    for p in problems:
        typer.echo(str(p))
    errors = sum(1 for p in problems if p.is_error)
    return errors, len(problems) - errors


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


@app.command()
def check(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Clipping files or folders to check (default: every clipping under content/).",
        show_default=False)] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite aliases of countries, regions and "
                                      "outlets to their canonical names, and nothing else.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    project: ProjectOption = None,
) -> None:
    """Validate clippings and report every problem as path:line: message.

    Exit 0 when there are no errors, 1 when there are, 2 on a usage error.
    """
    from .validate import check_paths, find_clippings, fix_file

    try:
        proj = _project(project)
        targets = [p for p in (paths or [proj.clippings])]
        missing = [str(p) for p in targets if not p.exists()]
        if missing:
            raise UsageError(f"no such file or folder: {', '.join(missing)}")
        if fix:
            for path in find_clippings(targets):
                try:
                    for change in fix_file(path, proj.display(path)):
                        typer.echo(f"fixed {change}")
                except DigestError:
                    pass  # reported by the check below
        clippings, problems = check_paths(targets, proj.clippings, proj.display, dt.date.today())
    except DigestError as exc:
        raise _fail(exc) from None
    errors, warnings = _print_problems(problems)
    files = len(find_clippings(targets))
    summary = f"{_plural(files, 'file')} checked: {_plural(errors, 'error')}, " \
              f"{_plural(warnings, 'warning')}"
    typer.echo(summary, err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="The export to import.", exists=True,
                                         dir_okay=False, show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help="The export's format: 'text' (the "
                                     "digest's plain-text export).")] = "text",
    date: Annotated[Optional[str], typer.Option(
        "--date", help="Date (YYYY-MM-DD) for entries whose original's address carries none.",
        show_default=False)] = None,
    encoding: Annotated[Optional[str], typer.Option(
        "--encoding", help="The export's encoding when it is not UTF-8 (cp1251, cp866, latin-1).",
        show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written; "
                                          "write nothing.")] = False,
    project: ProjectOption = None,
) -> None:
    """Import clippings from an export into content/clippings/YYYY/MM/.

    Clippings already present (same original, or same headline and outlet) are skipped, no
    file is ever overwritten, and nothing is written if any entry has an error.
    """
    from .importers.run import import_file

    try:
        proj = _project(project)
        default_date = None
        if date is not None:
            from .validate import parse_date
            default_date = parse_date(date)
            if default_date is None or isinstance(default_date, dt.datetime):
                raise UsageError(f"--date {date!r} is not an ISO date (YYYY-MM-DD)")
        plan = import_file(file, fmt, proj, default_date, encoding)
    except DigestError as exc:
        raise _fail(exc) from None
    for item in plan.items:
        if item.path is not None and not item.problems:
            verb = "would write" if dry_run else "write"
            typer.echo(f"{verb} {proj.display(item.path)}")
            if dry_run:
                typer.echo(item.text)
        for w in item.warnings:
            typer.echo(str(w), err=True)
    for item in plan.skipped:
        typer.echo(f"skip '{item.draft.title}': {item.skipped}")
    problems = plan.problems
    for p in problems:
        typer.echo(str(p), err=True)
    if problems:
        typer.echo(f"{_plural(len(problems), 'problem')} in {file}: nothing written. Mend the "
                   "export (or give --date) and import again.", err=True)
        raise typer.Exit(1)
    if not dry_run:
        plan.write()
    written = len(plan.to_write)
    verb = "would write" if dry_run else "written"
    typer.echo(f"{_plural(len(plan.items), 'entry')}: {written} {verb}, "
               f"{len(plan.skipped)} skipped (already present), "
               f"{sum(1 for i in plan.items if i.warnings)} to review", err=True)


@app.command()
def build(
    production: Annotated[bool, typer.Option("--production", help="Use publishconf.py (absolute "
                                             "URLs for the published site).")] = False,
    project: ProjectOption = None,
) -> None:
    """Check every clipping and build the site into output/.

    The build runs Pelican strictly: any problem in a clipping, any warning or error from
    Pelican, or a clipping that did not become a page fails it (exit 1), and output/ is then
    left exactly as it was.
    """
    from .site import build as build_site

    try:
        proj = _project(project)
        with _progress() as progress:
            report = build_site(proj, production=production, today=dt.date.today(),
                                progress=progress)
    except DigestError as exc:
        raise _fail(exc) from None
    for w in report.warnings:
        typer.echo(str(w), err=True)
    typer.echo(report.summary())


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="The port to serve on (127.0.0.1 only).")] = 8000,
    project: ProjectOption = None,
) -> None:
    """Build the site, serve output/ on http://127.0.0.1:PORT/, and rebuild on every change to
    content, theme or settings. A failed rebuild is reported; the last good site stays served.
    Stop with Ctrl-C."""
    from .site import serve as serve_site

    def report(result, error) -> None:
        if error is not None:
            for p in getattr(error, "problems", ()):
                typer.echo(str(p), err=True)
            typer.echo(f"build failed: {getattr(error, 'message', error)}", err=True)
        else:
            typer.echo(f"{result.summary()}; serving http://127.0.0.1:{port}/")

    try:
        serve_site(_project(project), port, on_build=report)
    except DigestError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        typer.echo(f"error: cannot serve on 127.0.0.1:{port}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command()
def publish(
    remote: Annotated[str, typer.Option("--remote", help="The git remote to push to.")] = "origin",
    branch: Annotated[str, typer.Option("--branch", help="The branch GitHub Pages serves.")] = "gh-pages",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Build and say what would be pushed; "
                                          "commit and push nothing.")] = False,
    no_push: Annotated[bool, typer.Option("--no-push", help="Commit to the branch, do not push.")] = False,
    project: ProjectOption = None,
) -> None:
    """Build with production settings (publishconf.py) and push output/ to the gh-pages branch.

    Refuses (exit 1) when a clipping has a problem or the build fails, and exit 2 when the
    production settings are wrong (SITEURL must be https:// without a trailing slash). Adds
    .nojekyll, and CNAME when DIGEST_CNAME names a custom domain.
    """
    from .site import publish as publish_site

    try:
        plan = publish_site(_project(project), remote=remote, branch=branch, dry_run=dry_run,
                            push=not no_push)
    except DigestError as exc:
        raise _fail(exc) from None
    cname = f", custom domain {plan.cname}" if plan.cname else ""
    if dry_run:
        typer.echo(f"would push {plan.files} files from {plan.output} to {plan.remote}/"
                   f"{plan.branch}{cname}")
    else:
        where = f"{plan.remote}/{plan.branch}" if not no_push else f"branch {plan.branch}"
        typer.echo(f"published {plan.files} files to {where}{cname}")


class _progress:
    """A rich progress bar on a terminal for builds of many clippings; silent otherwise."""

    def __enter__(self):
        self._bar = None
        self._task = None
        return self

    def __call__(self, done: int, total: int) -> None:
        if total < 500 or not sys.stderr.isatty():
            return
        if self._bar is None:
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task("reading clippings", total=total)
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def run() -> None:  # pragma: no cover - console script entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
