"""Pieces of the command line: the new clipping's prompts, the import's date and summary,
the progress bar."""

from __future__ import annotations

import datetime as dt
import sys

import typer

from digest.errors import UsageError


def import_date(date: str | None) -> dt.date | None:
    """The --date of `digest import`, an ISO date, or None."""
    if date is None:
        return None
    from digest.core.schema import parse_date

    found = parse_date(date)
    if found is None or isinstance(found, dt.datetime):
        raise UsageError(f"--date {date!r} is not an ISO date (YYYY-MM-DD)")
    return found


def import_details(plan, project, dry_run: bool) -> None:
    """What an import would write (with --dry-run), its warnings, skips and problems."""
    for item in plan.items:
        if item.path is not None and not item.problems and dry_run:
            typer.echo(f"would write {project.display(item.path)}")
            typer.echo(item.text)
        for w in item.warnings:
            typer.echo(str(w), err=True)
    for item in plan.skipped:
        typer.echo(f"skip '{item.draft.title}': {item.skipped}")
    for p in plan.problems:
        typer.echo(str(p), err=True)


def import_summary(plan, dry_run: bool, blocked: bool = False) -> None:
    """The summary table, whatever happened: written (or ready), skipped by reason,
    refused, to review. `blocked`: nothing was written because some entry was refused."""
    from rich.console import Console
    from rich.table import Table

    ready = len(plan.to_write)
    if blocked:
        rows = [("written", 0), ("ready, not written: others were refused", ready)]
    else:
        rows = [("would be written" if dry_run else "written", ready)]
    rows.append(("  of them with warnings to review", sum(1 for i in plan.to_write
                                                          if i.warnings)))
    rows.append(("skipped: already present", len(plan.skipped)))
    report = plan.report
    if report is not None:
        for kind, n in sorted(report.skipped_types.items()):
            rows.append((f"skipped: {kind} (not a post)", n))
        for status, n in sorted(report.skipped_status.items()):
            rows.append((f"skipped: {status} post", n))
        for note in report.notes:
            typer.echo(str(note), err=True)
    rows.append(("refused: problems above", sum(1 for i in plan.items if i.problems)))
    table = Table(title=f"{plural(len(plan.items), 'entry')} read", show_header=False)
    for label, n in rows:
        table.add_row(label, str(n))
    Console(stderr=True, width=80).print(table)


def page_facts(source: str):
    """What an article's page (a saved file or an address) says of itself."""
    from digest.importers.html import extract, read_page

    data, base = read_page(source)
    return extract(data, base or (source if "://" in source else ""))


def draft(facts, title, date, category, country, region, topic, source, author, author_role,
           source_url, excerpt):
    """The new clipping's draft from the options, then what an article's page gave."""
    from digest.importers import Draft

    date_text = date or (facts.date if facts else "")
    draft = Draft(
        line=0, title=title or (facts.title if facts else ""),
        category=category or "", countries=list(country or []), regions=list(region or []),
        topics=list(topic or []), source=source or (facts.source if facts else ""),
        author=author or (facts.author if facts else ""), author_role=author_role or "",
        source_url=source_url or (facts.source_url if facts else ""),
        body=excerpt or (facts.excerpt if facts else ""))
    return draft, date_text


class Progress:
    """A rich progress bar on a terminal for long runs (builds, imports); silent otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label

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
            self._task = self._bar.add_task(self.label, total=total)
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"1 {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"
