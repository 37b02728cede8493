"""`digest new` as a careful form: every field of the schema asked in turn (optional ones
skipped with Enter), each answer checked as it is typed by the rules `digest check` applies,
suggestions accepted with Enter, the digest's own spellings offered, a new outlet added on
the way; and the answers kept in a draft (`digest new --resume`) whenever nothing is
written."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import typer

from digest.core.model import slugify
from digest.core.schema import MAX_TITLE, parse_date, url_problem

DRAFT = "new-draft.json"  # in .digest-cache/: the answers of a `digest new` that wrote nothing


@dataclass
class InUse:
    """The categories and topics the digest's clippings use, by their page's slug."""

    categories: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)


def in_use(clippings: Path) -> InUse:
    """The spellings in use, read from the front matter's lines (fast on a large digest:
    each distinct spelling is made a slug once)."""
    from collections import Counter

    from digest.content.files import markdown_files

    categories: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for name in markdown_files(clippings) if clippings.is_dir() else []:
        try:
            head = Path(name).read_text(encoding="utf-8", errors="replace").split("\n---", 1)[0]
        except OSError:
            continue
        lines = head.split("\n")
        for n, line in enumerate(lines):
            if line.startswith("category:"):
                categories[line.split(":", 1)[1].strip().strip("'\"")] += 1
            elif line.startswith("topics:"):
                rest = line.split(":", 1)[1].strip()
                values = [v.strip().strip("'\"") for v in rest.strip("[]").split(",")] \
                    if rest else [x.strip()[2:].strip().strip("'\"") for x in lines[n + 1:]
                                  if x.strip().startswith("- ")]
                topics.update(values)
    found = InUse()
    for counts, into in ((categories, found.categories), (topics, found.topics)):
        for value, _n in counts.most_common():  # (the commonest spelling of each page)
            if value:
                into.setdefault(slugify(value), value)
    return found


@contextlib.contextmanager
def completion(words: list[str]):
    """Tab completes the last comma-separated part from `words`, where the terminal has
    readline."""
    try:
        import readline
    except ImportError:  # (no readline: no completion)
        yield
        return
    old = readline.get_completer()

    def complete(text: str, state: int):
        line = readline.get_line_buffer()
        head, _, last = line.rpartition(",")
        last = last.lstrip()
        found = [w for w in words if w.casefold().startswith(last.casefold())]
        return found[state] if state < len(found) else None

    readline.set_completer_delims("")
    readline.parse_and_bind("tab: complete")
    readline.set_completer(complete)
    try:
        yield
    finally:
        readline.set_completer(old)


def ask(label: str, value: str, required: bool = True, check=None) -> str:
    """One answer, asked again while `check` finds a problem in it (the problem shown)."""
    while True:
        answer = typer.prompt(label, default=value or ("" if not required else None),
                              show_default=bool(value)).strip()
        if not answer and required:
            typer.echo("this field is needed", err=True)
            continue
        problem = check(answer) if check and answer else None
        if problem is None:
            return answer
        typer.echo(problem, err=True)
        value = answer


def _date_problem(text: str) -> str | None:
    return None if parse_date(text) else (f"date {text!r} is not an ISO date: write "
                                           "YYYY-MM-DD (2021-04-30) or YYYY-MM-DDTHH:MM+HH:MM")


def _title_problem(text: str) -> str | None:
    return f"the title is longer than {MAX_TITLE} characters" if len(text) > MAX_TITLE else None


def ask_names(label: str, default: list[str], kind: str, required: bool) -> list[str]:
    """A comma-separated list of countries or regions, asked until every name is known; a
    name close to one is offered, and Enter takes the offer."""
    from digest.core.gazetteer import load_gazetteer
    from digest.core.model import Country, Region

    gz = load_gazetteer()
    want = Country if kind == "country" else Region
    names_of = [e.name for e in (gz.countries if kind == "country" else gz.regions)]
    with completion(names_of):
        while True:
            answer = typer.prompt(label, default=", ".join(default) if default else "",
                                  show_default=bool(default))
            names = [n.strip() for n in answer.split(",") if n.strip()]
            if required and not names:
                typer.echo("at least one is needed", err=True)
                continue
            out, bad = [], False
            for name in names:
                match = gz.resolve(name)
                if match and isinstance(match.entity, want) and match.how != "code":
                    out.append(match.entity.name)
                    continue
                close = [s for s in gz.suggest(name) if isinstance(gz.resolve(s).entity, want)]
                typer.echo(f"unknown {kind} '{name}'" + (f" (did you mean {' or '.join(close)}?)"
                                                         if close else ""), err=True)
                if close and typer.confirm(f"use {close[0]}?", default=True):
                    out.append(close[0])
                else:
                    bad = True
            if not bad:
                return list(dict.fromkeys(out))
            default = out


def ask_spelled(label: str, value: str, spellings: dict[str, str], required: bool) -> str:
    """A category: the digest's spelling offered for one that would share its page."""
    shown = sorted(set(spellings.values()), key=str.casefold)
    if shown:
        typer.echo(f"in use: {', '.join(shown[:20])}" + (" …" if len(shown) > 20 else ""),
                   err=True)
    with completion(shown):
        answer = ask(label, value, required)
    main = spellings.get(slugify(answer))
    if main and main != answer:
        typer.echo(f"the digest writes it {main}", err=True)
        return main
    return answer


def ask_topics(value: list[str], spellings: dict[str, str]) -> list[str]:
    shown = sorted(set(spellings.values()), key=str.casefold)
    with completion(shown):
        answer = ask("Topics (comma-separated, optional)", ", ".join(value), required=False)
    out = []
    for topic in (t.strip() for t in answer.split(",") if t.strip()):
        main = spellings.get(slugify(topic), topic)
        if main != topic:
            typer.echo(f"topic '{topic}': the digest writes it {main}", err=True)
        out.append(main)
    return list(dict.fromkeys(out))


def ask_source(value: str, source_url: str, data: Path) -> str:
    """The outlet: the registry's name (an alias becomes it); an unknown one is offered as
    a new entry of the project's data/sources.yml, or kept with a warning."""
    from digest.core.registry import domain_of, load_registry

    registry = load_registry()
    with completion([s.name for s in registry.sources]):
        while True:
            answer = ask("Source (outlet)", value)
            match = registry.resolve(answer)
            if match is not None:
                if match.source.name != answer:
                    typer.echo(f"'{answer}' is {match.source.name}", err=True)
                return match.source.name
            close = registry.suggest(answer)
            if close:
                typer.echo(f"outlet '{answer}' is not in the registry (did you mean "
                           f"{' or '.join(close)}?)", err=True)
                if typer.confirm(f"use {close[0]}?", default=True):
                    return close[0]
            if typer.confirm(f"add '{answer}' to the project's outlets (data/sources.yml)?",
                             default=True):
                return _add_outlet(answer, domain_of(source_url) if source_url else "", data)
            return answer


def _add_outlet(name: str, domain: str, data: Path) -> str:
    from digest.content.datafiles import add_source
    from digest.core.projectdata import KINDS
    from digest.errors import DigestError

    while True:
        domains = ask("Its domain (kun.uz)", domain)
        kind = ask(f"Its kind ({', '.join(KINDS[:6])}...)", "news site", required=False)
        country = ask("Its country's ISO code (UZ)", "", required=False)
        try:
            path = add_source(data, name, [d.strip() for d in domains.split(",")], kind,
                              country, [], [])
        except DigestError as exc:
            for p in exc.problems:
                typer.echo(str(p), err=True)
            typer.echo(exc.message, err=True)
            if not typer.confirm("try again?", default=True):
                return name
            continue
        typer.echo(f"added {name} to {path.parent.name}/{path.name}", err=True)
        return name


def ask_url(value: str, clippings: Path) -> str:
    from digest.content.new import clipped_already

    def check(url: str) -> str | None:
        problem = url_problem(url)
        if problem:
            return problem
        found = clipped_already(clippings, url)
        return f"this original is clipped already: {found}" if found else None

    return ask("The original's address (optional)", value, required=False, check=check)


def ask_form(draft, date_text: str, facts, project, use: InUse) -> str:
    """Every field of the schema, in the order the file has them (`use`: the spellings in
    use); returns the date as typed."""
    draft.title = ask("Title", draft.title, check=_title_problem)
    date_text = ask("Date (YYYY-MM-DD)", date_text, check=_date_problem)
    draft.category = ask_spelled("Category", draft.category or "News", use.categories, True)
    draft.countries = ask_names("Countries (comma-separated)", draft.countries or (
        list(facts.countries) if facts else []), "country", True)
    draft.regions = ask_names("Regions or organisations (comma-separated, optional)",
                              draft.regions, "region", False)
    draft.topics = ask_topics(draft.topics, use.topics)
    draft.source_url = ask_url(draft.source_url, project.clippings)
    draft.source = ask_source(draft.source, draft.source_url, project.data)
    draft.author = ask("Author (optional)", draft.author, required=False)
    if draft.author:
        draft.author_role = ask("The author's role (optional)", draft.author_role,
                                required=False)
    draft.body = ask("Excerpt", re.sub(r"\s+", " ", draft.body).strip())
    return date_text


def save_draft(cache: Path, draft, date_text: str) -> Path:
    """Keep the answers of a `digest new` that wrote nothing."""
    cache.mkdir(exist_ok=True)
    path = cache / DRAFT
    values = dict(draft.fields(), date=date_text, body=draft.body)
    path.write_text(json.dumps(values, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def load_draft(cache: Path):
    """The answers kept by the last `digest new` that wrote nothing, as a page's facts are
    given (every field a default), or None."""
    from types import SimpleNamespace

    try:
        values = json.loads((cache / DRAFT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SimpleNamespace(**values)
