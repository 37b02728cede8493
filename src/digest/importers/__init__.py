"""Importers: each turns an export into `Draft` clippings; `plan_import` decides what to write."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from digest.core.frontmatter import dump, parse
from digest.core.gazetteer import Gazetteer
from digest.core.model import Clipping, Region, headline_slug, numbered_slug, slugify
from digest.core.rules import validate
from digest.core.schema import FIELD_NAMES, normalise_url
from digest.errors import ContentError, FrontMatterError, Problem

_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_MISSING = re.compile(r"^'\w+' is missing")
_MD_LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+\.)(\s)", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Plain text made literal in Markdown: no emphasis, links, HTML or headings by accident."""
    text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: f"{m.group(1)}{_escape_marker(m.group(2))}{m.group(3)}", text)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker


@dataclass
class Draft:
    """A clipping as an importer found it, before validation; `line` is where it starts."""

    line: int
    title: str = ""
    date: dt.date | dt.datetime | None = None
    category: str = ""
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    source: str = ""
    author: str = ""
    author_role: str = ""
    source_url: str = ""
    source_site: str = ""
    source_title: str = ""
    slug: str = ""
    body: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # (written, but to be looked at)
    label: str = ""  # how messages name it besides its line ("post 12 'Title'")

    def fields(self) -> dict:
        values = {
            "title": self.title, "date": self.date.isoformat() if self.date else "",
            "category": self.category, "countries": self.countries, "regions": self.regions,
            "topics": self.topics, "source": self.source, "author": self.author,
            "author_role": self.author_role, "source_url": self.source_url,
            "source_site": self.source_site, "source_title": self.source_title,
        }
        return {k: values[k] for k in FIELD_NAMES if k in values}


def classify_labels(labels: list[str], gazetteer: Gazetteer) -> tuple[list[str], list[str], list[str], list[str]]:
    """Labels to (countries, regions, topics, problems); a near-miss country is never a topic."""
    countries: list[str] = []
    regions: list[str] = []
    topics: list[str] = []
    problems: list[str] = []
    for label in labels:
        match = gazetteer.resolve(label)
        if match is None:
            hint = gazetteer.code_hint(label) if re.fullmatch(r"[A-Z]{2}", label) else None
            if hint:
                problems.append(f"label {hint}")
                continue
            close = gazetteer.suggest(label)
            if close:
                problems.append(f"unknown label '{label}' (did you mean {' or '.join(close)}?)")
                continue
            if label not in topics:
                topics.append(label)
            continue
        if match.how == "code":
            problems.append(f"label {gazetteer.code_hint(label)}")
            continue
        if match.how == "demonym":
            problems.append(f"label '{label}' is an adjective (did you mean {match.entity.name}?)")
            continue
        target = regions if isinstance(match.entity, Region) else countries
        if match.entity.name not in target:
            target.append(match.entity.name)
    return countries, regions, topics, problems


@dataclass
class Planned:
    """One draft's fate: the file to write with its text, or why it is skipped."""

    draft: Draft
    path: Path | None = None
    text: str = ""
    clipping: Clipping | None = None
    skipped: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import would do; nothing is written until `write` is called."""

    items: list[Planned]
    report: object | None = None  # format-specific: what the export held besides posts

    @property
    def to_write(self) -> list[Planned]:
        return [i for i in self.items if i.path is not None and not i.problems and not i.skipped]

    @property
    def skipped(self) -> list[Planned]:
        return [i for i in self.items if i.skipped]

    @property
    def problems(self) -> list[Problem]:
        return [p for i in self.items for p in i.problems]

    def write(self) -> list[Path]:
        """Write every planned file, all or none: each into a temporary file beside its
        place, then each put in place without overwriting anything (a file that appeared
        meanwhile stops it). On any failure (a full disk, a folder that cannot be written)
        every file and folder made here is removed and ContentError says why."""
        temps: list[tuple[Path, Path]] = []
        placed: list[Path] = []
        made: list[Path] = []
        try:
            for item in self.to_write:
                assert item.path is not None
                missing = [p for p in (item.path.parent, *item.path.parent.parents)
                           if not p.exists()]
                for folder in reversed(missing):
                    folder.mkdir()
                    made.append(folder)
                tmp = item.path.with_name(f".{item.path.name}.import-{os.getpid()}")
                temps.append((tmp, item.path))
                with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
                    fh.write(item.text)
            for tmp, path in temps:
                os.link(tmp, path)  # (fails where path exists: nothing is overwritten)
                placed.append(path)
        except OSError as exc:
            for path in placed + [tmp for tmp, _ in temps]:
                path.unlink(missing_ok=True)
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            where = Path(exc.filename or (temps[-1][1] if temps else "."))
            while not where.exists() and where != where.parent:  # (a folder that exists)
                where = where.parent
            raise ContentError(f"cannot write in {where}: {exc.strerror or exc}: nothing was "
                               "imported; mend that (free space, make the folder writable) "
                               "and import again") from None
        finally:
            for tmp, _ in temps:
                tmp.unlink(missing_ok=True)
        return placed


def existing_keys(clippings: list[Clipping]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Lookup tables to recognise clippings already present: by original, and by title and outlet."""
    by_url = {normalise_url(c.source_url): c.path for c in clippings if c.source_url}
    by_title = {(c.title.casefold(), c.source.casefold()): c.path for c in clippings}
    return by_url, by_title


def _free_path(draft: Draft, base: str, taken_slugs: set[str], clippings_root: Path,
               display_root: str) -> tuple[str, PurePosixPath, Path, str]:
    """A slug no other clipping has, and its file, which never overwrites one a person may
    have written: (slug, path below the clippings folder, path, path as shown)."""
    slug, n = base, 2
    while slug in taken_slugs:
        slug = numbered_slug(base, n)
        n += 1
    day = draft.date.date() if isinstance(draft.date, dt.datetime) else draft.date
    rel = PurePosixPath(f"{day.year:04d}", f"{day.month:02d}", f"{slug}.md")
    path = clippings_root / rel
    while path.exists():
        slug = f"{base[:76]}-{n}"
        n += 1
        rel = PurePosixPath(f"{day.year:04d}", f"{day.month:02d}", f"{slug}.md")
        path = clippings_root / rel
    return slug, rel, path, f"{display_root}/{rel}"


def one_spelling(drafts: list[Draft], existing: list[Clipping]) -> None:
    """Each topic and category written as the digest already spells it (the commonest
    spelling among its clippings, else the first draft's): 'markup' and 'Markup' would
    share one page, and `digest check` refuses two spellings of it."""
    for kind in ("topics", "category"):
        counts = Counter(label for c in existing
                         for label in (c.topics if kind == "topics" else (c.category,)))
        spelled: dict[str, str] = {}
        for label, _n in counts.most_common():
            spelled.setdefault(slugify(label), label)
        for draft in drafts:
            labels = draft.topics if kind == "topics" else [draft.category]
            out: list[str] = []
            for label in labels:
                if not label:
                    out.append(label)
                    continue
                main = spelled.setdefault(slugify(label) or label, label)
                if main != label:
                    draft.warnings.append(f"{kind.rstrip('s')} '{label}' written as '{main}', "
                                          "as the digest spells it")
                if main not in out:
                    out.append(main)
            if kind == "topics":
                draft.topics = out
            else:
                draft.category = out[0]


def plan_import(drafts: list[Draft], clippings_root: Path, existing: list[Clipping],
                display_root: str, export_name: str, progress=None) -> ImportPlan:
    """Validate drafts with the checker's rules and choose unique, never-overwriting paths.

    `progress(done, total)` is called after each draft (for a progress bar).
    """
    by_url, by_title = existing_keys(existing)
    one_spelling(drafts, existing)
    taken_slugs = {c.slug for c in existing}
    items: list[Planned] = []
    for number, draft in enumerate(drafts, 1):
        if progress is not None:
            progress(number, len(drafts))
        item = Planned(draft)
        items.append(item)
        named = (lambda m, d=draft: f"{d.label}: {m}") if draft.label else (lambda m: m)
        url_key = normalise_url(draft.source_url) if draft.source_url else None
        title_key = (draft.title.casefold(), draft.source.casefold())
        if not draft.problems and url_key and url_key in by_url:
            item.skipped = f"already present as {by_url[url_key]}"
            continue
        if not draft.problems and title_key in by_title:
            item.skipped = f"already present as {by_title[title_key]}"
            continue
        problems = list(draft.problems)
        if draft.date is None and not draft.problems:
            problems.append(f"'{draft.title[:60]}' has no date: its address carries none; give "
                            "one with --date YYYY-MM-DD")
        base = draft.slug or headline_slug(draft.title) or "clipping"
        slug, rel, path, display = _free_path(draft, base, taken_slugs, clippings_root,
                                              display_root) if draft.date else \
            (base, PurePosixPath("0000", "00", f"{base}.md"), None, "")
        text = dump(draft.fields(), draft.body)
        result = None
        try:
            # the rules `digest check` applies, today's date included: an import writes only
            # what passes them
            result = validate(parse(text, display or export_name), rel=rel,
                              today=dt.date.today())
        except FrontMatterError as exc:
            problems.append(exc.problem.message)
        if result is not None:
            # every failing check, but a field the importer already said is missing
            problems += [p.message for p in result.problems if p.is_error and not (
                draft.problems and _MISSING.match(p.message)) and (
                draft.date is not None or not p.message.startswith("'date'"))]
        if problems:
            item.problems = [Problem(export_name, draft.line, named(m)) for m in problems]
            continue
        renamed = [f"slug '{base}' is taken: written as '{slug}'"] if slug != base else []
        item.warnings = [Problem(export_name, draft.line, named(m), "warning")
                         for m in renamed + draft.warnings] + [
            Problem(export_name, draft.line, named(p.message), "warning")
            for p in result.problems]
        taken_slugs.add(slug)
        if url_key:
            by_url[url_key] = display
        by_title[title_key] = display
        item.path, item.text, item.clipping = path, text, result.clipping
    return ImportPlan(items)
