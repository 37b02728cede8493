"""Editors' notes on a month (`content/notes/YYYY-MM.yml`): one line each for a country or a
pair (`Kyrgyzstan: "Border talks resume after the April clashes"`), checked as clippings are:
every problem names the file and the line, and says how to mend it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from digest.errors import Problem

if TYPE_CHECKING:
    from digest.core.gazetteer import Gazetteer
    from digest.core.model import Country

MAX_NOTE = 200
NOTE_FORM = ('a notes file looks like:\n  Kyrgyzstan: "Border talks resume after the April '
             'clashes"\n  Kyrgyzstan–Tajikistan: "Delimitation commission meets in Batken"')
_FILE = re.compile(r"^(\d{4})-(\d{2})\.yml$")
_MARKUP = re.compile(r"[<>]")
_PAIR_SEPARATOR = re.compile(r"\s*(?:\u2013|\u2014|-|/|\s+and\s+)\s*")


@dataclass(frozen=True)
class Notes:
    """Every note: by listing (`("country", "kyrgyzstan")`, `("pair", "kyrgyzstan-
    tajikistan")`), then by month (`2021/04`)."""

    by_listing: Mapping[tuple[str, str], Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({}))
    names: Mapping[tuple[str, str], str] = field(default_factory=lambda: MappingProxyType({}))

    def of(self, kind: str, slug: str) -> Mapping[str, str]:
        return self.by_listing.get((kind, slug), {})

    def note(self, kind: str, slug: str, month: str) -> str | None:
        return self.of(kind, slug).get(month)

    def in_month(self, month: str) -> list[tuple[str, str, str, str]]:
        """The notes of a month as (kind, slug, name, text), countries first, then pairs."""
        return sorted((kind, slug, self.names[(kind, slug)], months[month])
                      for (kind, slug), months in self.by_listing.items() if month in months)

    def flat(self) -> dict[str, str]:
        """Every note as `kind:slug:month` → text (what a build records of them)."""
        return {f"{kind}:{slug}:{month}": text
                for (kind, slug), months in self.by_listing.items()
                for month, text in months.items()}


def file_month(name: str) -> str | None:
    """The month (`2021/04`) a notes file's name (`2021-04.yml`) is for."""
    m = _FILE.match(name)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{m.group(1)}/{m.group(2)}"


def _country(gz: Gazetteer, name: str) -> tuple[Country | None, str | None]:
    """The country a name is, or why it is none."""
    from digest.core.model import Region

    match = gz.resolve(name)
    if match is None:
        suggestions = gz.suggest(name)
        dym = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
        return None, f"unknown country '{name}'{dym}"
    if isinstance(match.entity, Region):
        return None, f"'{name}' is a {match.entity.kind}: notes are on countries and pairs"
    return match.entity, None


def listing_of(gz: Gazetteer, key: str) -> tuple[tuple[str, str, str] | None, str | None]:
    """(kind, slug, name) of the listing a note's key names: a country, or a pair written
    `Kyrgyzstan–Tajikistan` (an en dash, a hyphen, a slash or "and" between); or why none."""
    from digest.core.model import Pair

    country, why = _country(gz, key)
    if country is not None:
        return ("country", country.slug, country.name), None
    parts = [p for p in _PAIR_SEPARATOR.split(key.strip(), maxsplit=1) if p]
    if len(parts) == 2:
        a, why_a = _country(gz, parts[0])
        b, why_b = _country(gz, parts[1])
        if a is None or b is None:
            return None, why_a or why_b
        if a == b:
            return None, f"'{key}' names {a.name} twice: a pair is two countries"
        pair = Pair.of(a, b)
        return ("pair", pair.slug, pair.name), None
    return None, why


def parse_notes(text: str, name: str, display: str, gz: Gazetteer
                ) -> tuple[dict[tuple[str, str], tuple[str, str]], list[Problem]]:
    """The notes of one file (`name`: its file name; `display`: its path as shown) as
    (the listing's name, the note) by listing, and every problem with them."""
    import yaml  # (the build imports this module; only a project with notes reads them)

    from digest.core.frontmatter import StringLoader

    problems: list[Problem] = []

    def problem(line: int | None, message: str) -> None:
        problems.append(Problem(display, line, message))

    if file_month(name) is None:
        problem(None, f"a notes file is named for its month, as 2021-04.yml, not {name}: "
                "rename it")
        return {}, problems
    try:
        node = yaml.compose(text, Loader=StringLoader)
        data = yaml.load(text, Loader=StringLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem(mark.line + 1 if mark else None,
                f"not YAML: {getattr(exc, 'problem', None) or exc} ({NOTE_FORM})")
        return {}, problems
    if data is None:
        return {}, problems
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problem(node.start_mark.line + 1 if node else 1,
                f"notes must be a mapping of a country or pair to one line ({NOTE_FORM})")
        return {}, problems
    out: dict[tuple[str, str], tuple[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for key_node, value_node in node.value:
        found = _entry(key_node, value_node, gz, display, problems)
        if found is None:
            continue
        (kind, slug), shown, text_value, line = found
        if (kind, slug) in seen:
            problem(line, f"{shown} has a note already, on line {seen[(kind, slug)]}: keep one")
            continue
        seen[(kind, slug)] = line
        out[(kind, slug)] = (shown, text_value)
    return out, problems


def _entry(key_node, value_node, gz: Gazetteer, display: str, problems: list[Problem]):
    """((kind, slug), name, note, line) of one line of a notes file, or None (its problem
    added to `problems`)."""
    import yaml

    from digest.core.schema import _text_problem

    line = key_node.start_mark.line + 1
    key = key_node.value
    if not isinstance(key_node, yaml.ScalarNode) or not str(key).strip():
        problems.append(Problem(display, line, f"a note is written `Country: \"one line\"` "
                                f"({NOTE_FORM})"))
        return None
    if not isinstance(value_node, yaml.ScalarNode):
        problems.append(Problem(display, line, f"the note on '{key}' must be one line of "
                                "text, in quotes"))
        return None
    found, why = listing_of(gz, str(key))
    if found is None:
        problems.append(Problem(display, line, str(why)))
        return None
    kind, slug, shown = found
    if shown != key:
        problems.append(Problem(display, line, f"'{key}' is written {shown} in the digest: "
                                f"write {shown}", "warning"))
    text = " ".join(str(value_node.value).split())
    issue = (_text_problem("note", text) or (
        f"the note on {shown} holds '<' or '>': a note is plain text, shown as written"
        if _MARKUP.search(text) else None)
        if text else f"the note on {shown} is empty: write it or remove the line")
    if not issue and len(text) > MAX_NOTE:
        issue = (f"the note on {shown} is {len(text)} characters long; the limit is "
                 f"{MAX_NOTE}: a note is one line")
    if issue:
        problems.append(Problem(display, line, issue))
        return None
    return (kind, slug), shown, text, line


def gather(files: list[tuple[str, dict[tuple[str, str], tuple[str, str]]]]) -> Notes:
    """The notes of every file (its month, its notes by listing) together."""
    by_listing: dict[tuple[str, str], dict[str, str]] = {}
    names: dict[tuple[str, str], str] = {}
    for month, notes in sorted(files):
        for key, (shown, text) in notes.items():
            by_listing.setdefault(key, {})[month] = text
            names[key] = shown
    return Notes(MappingProxyType({k: MappingProxyType(v) for k, v in by_listing.items()}),
                 MappingProxyType(names))
