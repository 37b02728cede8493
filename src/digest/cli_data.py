"""The commands of the project's data: `digest source add`, and the feed inbox."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from digest.cli_common import (
    ProjectOption,
    fail,
    find_project,
    load_tables,
    write_clipping,
)
from digest.cli_parts import plural
from digest.errors import DigestError

source_app = typer.Typer(help="The project's own outlets (data/sources.yml).",
                         no_args_is_help=True)


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The outlet as the digest writes "
                                        "it (Kun.uz, CABAR.asia).", show_default=False)],
    domain: Annotated[list[str], typer.Option(metavar="DOMAIN", help="Its web address's domain "
                                              "(kun.uz; repeat for each).")] = [],  # noqa: B006
    kind: Annotated[str, typer.Option(metavar="KIND", help="news site, newspaper, news agency, "
                                      "state media, broadcaster, think tank...")] = "",
    country: Annotated[str, typer.Option(metavar="CC", help="Its country's ISO code (UZ).")] = "",
    alias: Annotated[list[str], typer.Option(metavar="NAME", help="Another name it goes by "
                                             "(repeat).")] = [],  # noqa: B006
    feed: Annotated[list[str], typer.Option(metavar="URL", help="Its RSS or Atom feed "
                                            "(repeat).")] = [],  # noqa: B006
    replace: Annotated[bool, typer.Option("--replace", help="Add it even where the packaged "
                                          "registry has it: this entry then replaces that "
                                          "one.")] = False,
    project: ProjectOption = None,
) -> None:
    """Add an outlet to the project's data/sources.yml, checked as the build checks it."""
    from digest.content.datafiles import add_source

    try:
        proj = find_project(project)
        path = add_source(proj.data, name, domain, kind, country, alias, feed, replace)
    except DigestError as exc:
        raise fail(exc) from None
    typer.echo(f"added {name} to {proj.display(path)}")


inbox_app = typer.Typer(help="The feed inbox: entries of the outlets' feeds that name a "
                        "country or region, to accept as clippings or reject.",
                        invoke_without_command=True)


@inbox_app.callback()
def inbox_list(ctx: typer.Context, project: ProjectOption = None) -> None:
    """List the inbox, newest first (`digest inbox fetch` fills it)."""
    if ctx.invoked_subcommand is not None:
        return
    from digest.inbox import entries

    try:
        found = entries(find_project(project))
    except DigestError as exc:
        raise fail(exc) from None
    if not found:
        typer.echo("the inbox is empty: `digest inbox fetch` reads the feeds", err=True)
    for n, item in enumerate(found, 1):
        places = ", ".join(item.countries + item.regions)
        typer.echo(f"{n:3}  {item.date[:10] or '----------'}  {item.source}  [{places}]  "
                   f"{item.title}")


@inbox_app.command("fetch")
def inbox_fetch(project: ProjectOption = None) -> None:
    """Read every outlet's feeds (the registry's `feeds`) into the inbox."""
    from digest.inbox import fetch

    try:
        proj = find_project(project)
        load_tables()
        report = fetch(proj)
    except DigestError as exc:
        raise fail(exc) from None
    for problem in report.problems:
        typer.echo(f"warning: {problem}", err=True)
    typer.echo(f"{plural(report.kept, 'new entry')} in the inbox; {report.known} known "
               f"already, {report.unrelated} naming no country or region, "
               f"{plural(len(report.unchanged), 'feed')} unchanged")


@inbox_app.command("accept")
def inbox_accept(
    number: Annotated[int, typer.Argument(metavar="N", help="The entry's number in `digest "
                                          "inbox`.", show_default=False)],
    category: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The category.",
                                                    show_default=False)] = None,
    country: Annotated[Optional[list[str]], typer.Option(metavar="NAME", help="A country it "
                                                         "names (repeat).",
                                                         show_default=False)] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt.")] = False,
    project: ProjectOption = None,
) -> None:
    """Turn entry N into a clipping through `digest new`'s form, pre-filled from the feed."""
    from digest.importers.html import ArticleFacts
    from digest.inbox import forget, pick

    try:
        proj = find_project(project)
        item = pick(proj, number)
        facts = ArticleFacts(title=item.title, date=item.date, source=item.source,
                             source_url=item.link, excerpt=item.summary,
                             countries=list(item.countries))
        path = write_clipping(proj, facts, no_input, None, None, category, country,
                               list(item.regions) or None, None, None, None, None, None, None)
    except DigestError as exc:
        raise fail(exc) from None
    if path is None:
        raise typer.Exit(1)
    forget(proj, item, rejected=False)


@inbox_app.command("reject")
def inbox_reject(
    number: Annotated[int, typer.Argument(metavar="N", help="The entry's number in `digest "
                                          "inbox`.", show_default=False)],
    project: ProjectOption = None,
) -> None:
    """Forget entry N: the next fetch does not bring it back."""
    from digest.inbox import forget, pick

    try:
        proj = find_project(project)
        item = pick(proj, number)
        forget(proj, item, rejected=True)
    except DigestError as exc:
        raise fail(exc) from None
    typer.echo(f"rejected: {item.title}")
