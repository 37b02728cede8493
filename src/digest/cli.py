"""The `digest` command line: each command parses options, calls one function, maps errors."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from digest import __version__
from digest.cli_common import (
    ProjectOption,
    fail,
    find_project,
    load_tables,
    print_problems,
    write_clipping,
)
from digest.cli_data import inbox_app, source_app
from digest.cli_parts import (
    Progress,
    import_date,
    import_details,
    import_summary,
    page_facts,
    plural,
)
from digest.errors import DigestError, UsageError

# Each command imports what it runs when it runs: `digest check` never loads Pelican, and
# `digest build` forks its reading process before Pelican loads (build/__init__.py).

app = typer.Typer(
    name="digest",
    help="Publish a regional-security digest: clippings as Markdown files, a static site by "
         "country, country pair, region, category, source and month, with feeds and search.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"digest {__version__}")
        raise typer.Exit()


@app.callback()
def _callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Publish a regional-security digest as a static site."""


@app.command()
def check(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        metavar="PATH", help="Clipping files or folders to check (default: every clipping under content/).",
        show_default=False)] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite aliases of countries, regions and "
                                      "outlets to their canonical names, and nothing else.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    project: ProjectOption = None,
) -> None:
    """Validate clippings and report every problem as path:line: message.

    Exit 0 when there are no errors, 1 when there are, 2 on a usage error.
    """
    from digest.content.check import check_paths, find_clippings
    from digest.content.fix import fix_file

    try:
        proj = find_project(project)
        load_tables()  # (the project's data files first: every check reads them)
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
        if not paths:  # the whole digest: its pages, notes and introductions; published
            from digest.content.intros import read_intros  # pages keep their addresses
            from digest.content.notes import read_notes
            from digest.content.pages import check_pages

            problems = sorted(problems + check_pages(proj.content / "pages", proj.display)
                              + read_notes(proj.content / "notes", proj.display)[1]
                              + read_intros(proj.content / "weekly", proj.display)[1]
                              + _release_problems(proj, clippings),
                              key=lambda p: (p.path, p.line or 0))
    except DigestError as exc:
        raise fail(exc) from None
    errors, warnings = print_problems(problems)
    files = len(find_clippings(targets))
    summary = f"{plural(files, 'file')} checked: {plural(errors, 'error')}, " \
              f"{plural(warnings, 'warning')}"
    typer.echo(summary, err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


def _release_problems(proj, clippings) -> list:
    """Clippings moved since the last publish (release.py), by the project's URL settings."""
    from digest.build.settings import pelican_settings, release_settings
    from digest.content.release import release_problems

    try:
        settings = release_settings(pelican_settings(proj, proj.output))
    except DigestError:
        settings = release_settings({})  # the build will report the settings' problem
    return release_problems(proj.root, clippings, **settings)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The export to import.", exists=True,
                                         dir_okay=False, show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="The export's format: 'text' (the "
                                     "digest's plain-text export) or 'wxr' (a WordPress "
                                     "export, WXR 1.0 to 1.2).")] = "text",
    date: Annotated[Optional[str], typer.Option(
        "--date", metavar="YYYY-MM-DD", help="Date for entries whose original's address carries none.",
        show_default=False)] = None,
    encoding: Annotated[Optional[str], typer.Option(
        "--encoding", metavar="CODEC", help="The export's encoding when it is not UTF-8 (cp1251, cp866, latin-1).",
        show_default=False)] = None,
    country_taxonomy: Annotated[Optional[str], typer.Option(
        "--country-taxonomy", metavar="TAXONOMY", help="WordPress exports: the taxonomy whose "
        "terms are the posts' countries (default: one named country, countries, location or "
        "place, if the export has it); other terms are countries only where they are a "
        "country's name exactly.", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be written; "
                                          "write nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Write the entries that "
                                               "pass and report the others (exit 1 still).")] = False,
    project: ProjectOption = None,
) -> None:
    """Import clippings from an export into content/clippings/YYYY/MM/.

    Clippings already present (same original, or same headline and outlet) are skipped, no
    file is ever overwritten, and nothing is written if any entry has an error.
    """
    from digest.importers.run import import_file

    try:
        proj = find_project(project)
        default_date = import_date(date)
        with Progress("checking entries") as progress:
            plan = import_file(file, fmt, proj, default_date, encoding, progress,
                               country_taxonomy)
    except DigestError as exc:
        raise fail(exc) from None
    import_details(plan, proj, dry_run)
    problems = plan.problems
    if problems and not skip_invalid:
        import_summary(plan, dry_run, blocked=True)
        typer.echo(f"{plural(len(problems), 'problem')} in {file}: nothing written. Mend the "
                   "export (or give --date) and import again, or use --skip-invalid.", err=True)
        raise typer.Exit(1)
    if not dry_run:
        try:
            for path in plan.write():
                typer.echo(f"wrote {proj.display(path)}")
        except DigestError as exc:
            raise fail(exc) from None
    import_summary(plan, dry_run)
    if problems:
        raise typer.Exit(1)


@app.command()
def new(
    title: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The headline.", show_default=False)] = None,
    date: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The original's date: YYYY-MM-DD, or "
                                                "YYYY-MM-DDTHH:MM+HH:MM.", show_default=False)] = None,
    category: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The category (Analysis, News...).",
                                                    show_default=False)] = None,
    country: Annotated[Optional[list[str]], typer.Option(metavar="NAME", help="A country it names (repeat for "
                                                         "each).", show_default=False)] = None,
    region: Annotated[Optional[list[str]], typer.Option(metavar="NAME", help="A region or organisation (repeat).",
                                                        show_default=False)] = None,
    topic: Annotated[Optional[list[str]], typer.Option(metavar="NAME", help="A topic (repeat).",
                                                       show_default=False)] = None,
    source: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The outlet (RFE/RL, TASS...).",
                                                  show_default=False)] = None,
    author: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The original's author.",
                                                  show_default=False)] = None,
    author_role: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The author's role.",
                                                       show_default=False)] = None,
    source_url: Annotated[Optional[str], typer.Option("--source-url", metavar="URL", help="The original's "
                                                      "address.", show_default=False)] = None,
    excerpt: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The excerpt (Markdown).",
                                                   show_default=False)] = None,
    from_html: Annotated[Optional[str], typer.Option("--from-html", metavar="FILE_OR_URL", help="Pre-fill from an "
                                                     "article page: a saved file or an address.",
                                                     show_default=False)] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt: fail if a required "
                                           "field is missing.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue with the answers of the "
                                         "last `digest new` that wrote nothing.")] = False,
    project: ProjectOption = None,
) -> None:
    """Write a new clipping at content/clippings/YYYY/MM/<slug>.md.

    Every field can be given as an option; then each field is asked in turn, what is known
    offered (Enter keeps it), each answer checked as it is typed: the date, countries and
    regions (a close name offered), the category and topics as the digest spells them, the
    outlet from the registry (or added to data/sources.yml), the original's address (not one
    clipped already). With --from-html the page's title, author, date, outlet, address,
    excerpt and countries are offered. The slug is unique, no file is overwritten, and the
    result is checked: when nothing is written the answers are kept and `--resume` goes on
    with them. --no-input never asks.
    """
    try:
        proj = find_project(project)
        facts = page_facts(from_html) if from_html else None
        path = write_clipping(proj, facts, no_input, title, date, category, country, region,
                              topic, source, author, author_role, source_url, excerpt,
                              resume=resume)
    except DigestError as exc:
        raise fail(exc) from None
    if path is None:
        raise typer.Exit(1)


@app.command()
def build(
    production: Annotated[bool, typer.Option("--production", help="Use publishconf.py (absolute "
                                             "URLs for the published site).")] = False,
    full: Annotated[bool, typer.Option("--full", help="Render every page, not only those "
                                       "whose inputs changed (the output is the same).")] = False,
    project: ProjectOption = None,
) -> None:
    """Check every clipping and build the site into output/.

    The build runs Pelican strictly: any problem in a clipping, any warning or error from
    Pelican, or a clipping that did not become a page fails it (exit 1), and output/ is then
    left exactly as it was. After a first build, only the pages whose inputs changed are
    rendered (.digest-cache/ remembers what was built); a change of code, theme, settings or
    pages renders everything.
    """
    from digest.build import build as build_site

    try:
        proj = find_project(project)
        with Progress("reading clippings") as progress:
            report = build_site(proj, production=production, today=dt.date.today(),
                                progress=progress, full=full)
    except DigestError as exc:
        raise fail(exc) from None
    for w in report.warnings:
        typer.echo(str(w), err=True)
    typer.echo(report.summary())
    if os.environ.get("DIGEST_TIMINGS"):  # for benchmarks: where the time went
        typer.echo("timings: " + " ".join(f"{k}={v:.2f}" for k, v in report.phases.items()),
                   err=True)


@app.command()
def weekly(
    week: Annotated[Optional[str], typer.Option("--week", metavar="YYYY-Www", help="The ISO "
                                                "week (default: the last that has ended).",
                                                show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Where to write "
                                                "the two files (default: email/).",
                                                file_okay=False, show_default=False)] = None,
    project: ProjectOption = None,
) -> None:
    """Write a week's issue as an email: DIR/2021-W33.html (styles inlined, 600 px, under
    100 KB, no script, fonts or images) and DIR/2021-W33.txt (72 columns, links numbered), for
    pasting into a mail tool. Its links are the published site's (publishconf.py's SITEURL).

    Refuses a week with no clippings (exit 1) and a week not written as 2021-W33 (exit 2).
    """
    from digest.build.weekly import weekly_email

    try:
        proj = find_project(project)
        made = weekly_email(proj, week, out.resolve() if out else None, dt.date.today())
    except DigestError as exc:
        raise fail(exc) from None
    if not made.ended:
        typer.echo(f"warning: week {int(made.week[-2:])} of {made.week[:4]} is in progress: "
                   f"its issue is final on {made.closes:%-d %B at %H:%M}", err=True)
    if made.shown < made.count:
        typer.echo(f"warning: the issue has {made.count} clippings; the email shows "
                   f"{made.shown} of them (to stay under 100 KB) and links the rest",
                   err=True)
    typer.echo(f"wrote {proj.display(made.html)} ({made.html_bytes / 1000:.1f} KB) and "
               f"{proj.display(made.text)}: {plural(made.shown, 'clipping')}")


@app.command()
def admin(
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Where to write "
                                                "the editor (default: output/admin/).",
                                                file_okay=False, show_default=False)] = None,
    project: ProjectOption = None,
) -> None:
    """Write the web editor (Decap CMS) for contributors who do not use git: DIR/config.yml,
    made from the clipping schema, the gazetteer, the registry and the categories in use, and,
    with the bundle fetched (`make admin-bundle`), DIR/index.html and the bundle.

    Each save in the editor is a commit to the GitHub repository (DIGEST_ADMIN_REPO, or
    origin's), which the Pages workflow checks and publishes.
    """
    from digest.build.admin import admin_command

    try:
        proj = find_project(project)
        made = admin_command(proj, out.resolve() if out else None, dt.date.today())
    except DigestError as exc:
        raise fail(exc) from None
    typer.echo(f"wrote {proj.display(made.folder / 'config.yml')} (commits to {made.repo})")
    if made.bundled:
        typer.echo(f"the editor is at {proj.display(made.folder / 'index.html')}")
    else:
        typer.echo("the admin is off: its bundle is not fetched (run `make admin-bundle`)")


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="The port to serve on (127.0.0.1 only).")] = 8000,
    admin: Annotated[bool, typer.Option("--admin", help="Build the web editor into admin/ and "
                                        "run its local proxy on 127.0.0.1:8081 (saves go to "
                                        "the files here); needs `make admin-bundle`.")] = False,
    project: ProjectOption = None,
) -> None:
    """Build the site, serve output/ on http://127.0.0.1:PORT/, and rebuild on every change to
    content, theme, settings or data/. Open pages reload after a good rebuild; a failed one's
    problems (and a good one's warnings) show on the page and here, and the last good site
    stays served. With --admin the editor is at http://127.0.0.1:PORT/admin/. Stop with
    Ctrl-C."""
    from digest.serve import serve as serve_site

    def report(result, error) -> None:
        if error is not None:
            for p in getattr(error, "problems", ()):
                typer.echo(str(p), err=True)
            typer.echo(f"build failed: {getattr(error, 'message', error)}", err=True)
        else:
            for w in result.warnings:
                typer.echo(str(w), err=True)
            typer.echo(f"{result.summary()}; serving http://127.0.0.1:{port}/")

    try:
        serve_site(find_project(project), port, on_build=report, admin=admin)
    except DigestError as exc:
        raise fail(exc) from None
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
    from digest.publish import publish as publish_site

    try:
        plan = publish_site(find_project(project), remote=remote, branch=branch, dry_run=dry_run,
                            push=not no_push)
    except DigestError as exc:
        raise fail(exc) from None
    for w in plan.warnings:
        typer.echo(str(w), err=True)
    cname = f", custom domain {plan.cname}" if plan.cname else ""
    if dry_run:
        typer.echo(f"would push {plan.files} files from {plan.output} to {plan.remote}/"
                   f"{plan.branch}{cname}")
    else:
        where = f"{plan.remote}/{plan.branch}" if not no_push else f"branch {plan.branch}"
        typer.echo(f"published {plan.files} files to {where}{cname}")


app.add_typer(source_app, name="source")
app.add_typer(inbox_app, name="inbox")


def main() -> None:  # pragma: no cover - the console script (tests call `app` in-process)
    """`digest`: run the command, then leave without tearing the interpreter down.

    A build of a large digest leaves a few hundred thousand objects alive; freeing them one by
    one and running a last garbage collection cost half a second at 20,000 clippings, after
    every file was written and closed. So once the command has finished (or failed with its
    own message), the streams are flushed and the process exits with the command's status, as
    mypy does. An unexpected exception still unwinds normally, with its traceback.
    """
    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): printed as the interpreter would
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`digest check | head`)
            code = code or 1
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
