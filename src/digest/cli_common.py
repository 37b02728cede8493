"""What the commands share: the project option, the one error boundary, the project found
with its data files, problems printed, and `digest new`'s form (also the inbox's)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from digest.cli_parts import draft
from digest.errors import DigestError, Problem, UsageError
from digest.project import Project

ProjectOption = Annotated[Optional[Path], typer.Option(
    "--project", "-C", metavar="DIR", help="The digest project folder (default: found from the working folder).",
    file_okay=False, show_default=False)]


def fail(exc: DigestError) -> typer.Exit:
    """Print a project error on stderr and return the exit to raise (the one place for this)."""
    for problem in exc.problems:
        typer.echo(str(problem), err=True)
    if exc.message:
        typer.echo(f"error: {exc.message}" if not exc.problems else exc.message, err=True)
    return typer.Exit(exc.exit_code)


def find_project(path: Path | None) -> Project:
    """The project, its own outlets and places read from now on."""
    from digest.core.tables import use_project_data

    project = Project(path.resolve()) if path else Project.find()
    use_project_data(project.data)
    return project


def load_tables() -> None:
    """The gazetteer and the registry with the project's own data files, or their problems."""
    from digest.core.gazetteer import load_gazetteer
    from digest.core.registry import load_registry
    from digest.core.tables import refresh

    refresh()  # (tables changed since this process read them are read again)
    load_gazetteer()
    load_registry()


def print_problems(problems: list[Problem]) -> tuple[int, int]:
    for p in problems:
        typer.echo(str(p))
    errors = sum(1 for p in problems if p.is_error)
    return errors, len(problems) - errors


def write_clipping(proj: Project, facts, no_input: bool, *fields, resume: bool = False):
    """`digest new`'s form: the fields given, then the facts found (a page, a feed entry, or
    the answers kept by the last attempt with `resume`), then what is asked; the file written
    when it passes the checks (its path), else None with the problems shown and the answers
    kept for `digest new --resume`."""
    from digest.cli_form import ask_form, in_use, load_draft, save_draft
    from digest.content.new import write_new
    from digest.incremental import CACHE_FILE

    cache = (proj.root / CACHE_FILE).parent
    kept = load_draft(cache) if resume else None
    if resume and kept is None:
        raise UsageError("no answers are kept: `digest new --resume` continues a `digest new` "
                         "that wrote nothing")
    new_clip, date_text = draft(facts, *fields)
    if kept is not None:
        _fill(new_clip, kept)
        date_text = date_text or kept.date
    use = in_use(proj.clippings)  # (read once: the form and the check below need it)
    try:
        if not no_input:
            date_text = ask_form(new_clip, date_text, facts, proj, use)
        elif not new_clip.countries and facts is not None:
            new_clip.countries = list(facts.countries)  # (the page's, as suggested)
        problems = spelling_problems(new_clip, proj, use)
        path = None
        if not problems:
            path, _clipping, problems = write_new(new_clip, date_text, proj.clippings,
                                                  proj.display(proj.clippings), dt.date.today())
    except (typer.Abort, KeyboardInterrupt, EOFError):
        path, problems = None, []
        typer.echo("", err=True)
    print_problems(problems)
    if path is None:
        saved = save_draft(cache, new_clip, date_text)
        typer.echo(f"nothing written; the answers are kept in {proj.display(saved)}: "
                   "`digest new --resume` continues with them", err=True)
        return None
    (cache / "new-draft.json").unlink(missing_ok=True)
    typer.echo(f"wrote {proj.display(path)}")
    return path


def spelling_problems(new_clip, proj: Project, use) -> list[Problem]:
    """A category or topic spelt otherwise than the digest spells it (`use`: the spellings
    in use; they would share one page, and `digest check` refuses that): the check across
    files, before writing."""
    from digest.core.model import slugify

    where = proj.display(proj.clippings)
    out = []
    for kind, values, spellings in (("category", [new_clip.category], use.categories),
                                    ("topic", new_clip.topics, use.topics)):
        for value in values:
            main = spellings.get(slugify(value)) if value else None
            if main and main != value:
                out.append(Problem(where, None, f"{kind} '{value}' would share the page of "
                                   f"'{main}', as the digest spells it: write {main}"))
    return out


def _fill(new_clip, kept) -> None:
    """A draft's empty fields from the kept answers."""
    for name in ("title", "category", "source", "author", "author_role", "source_url",
                 "source_site", "source_title"):
        if not getattr(new_clip, name) and getattr(kept, name, ""):
            setattr(new_clip, name, getattr(kept, name))
    for name in ("countries", "regions", "topics"):
        if not getattr(new_clip, name) and getattr(kept, name, None):
            setattr(new_clip, name, list(getattr(kept, name)))
    if not new_clip.body:
        new_clip.body = getattr(kept, "body", "")
