"""The one place the clipping rules live: front matter to a `Clipping`, or problems with lines."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
from pathlib import Path, PurePosixPath

from digest.core.frontmatter import FrontMatter
from digest.core.gazetteer import Gazetteer, load_gazetteer
from digest.core.languages import close_codes, language_name
from digest.core.model import SLUG_RE, Clipping, Country, Region, format_date, slugify
from digest.core.registry import Registry, domain_of, load_registry
from digest.core.schema import (
    _DATETIME_NAIVE,
    _DOMAIN,
    _SITE_PATH,
    FIELD_NAMES,
    FUTURE_DAYS,
    MAX_SUMMARY,
    MAX_TEXT,
    MAX_TITLE,
    PELICAN_RESERVED,
    RESERVED_SLUGS,
    SPECS,
    Result,
    _text_problem,
    body_problems,
    link_problem,
    link_targets,
    markup_problem,
    parse_date,
    url_problem,
)
from digest.errors import Problem

# Fields that name something (shown as labels, links and search filters): plain text only.
_NAMES = frozenset({"category", "source", "topics", "author", "author_role", "countries",
                    "regions"})


MANY_COUNTRIES = 12  # more is a warning: the pairs grow as the square


class _Validator:
    """Validates one parsed file; collects problems rather than stopping at the first."""

    def __init__(self, fm: FrontMatter, gazetteer: Gazetteer, registry: Registry,
                 rel: PurePosixPath | None, today: dt.date | None):
        self.fm, self.gz, self.reg, self.rel, self.today = fm, gazetteer, registry, rel, today
        self.problems: list[Problem] = []

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.fm.path, line, message))

    def warn(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.fm.path, line, message, "warning"))

    def text(self, key: str, limit: int = MAX_TEXT) -> str | None:
        value = self.fm.fields.get(key)
        line = self.fm.line(key)
        if value is None or value == "":
            if SPECS[key].required:
                self.error(line, f"'{key}' is missing: add `{key}: {SPECS[key].example}` "
                           "to the front matter")
            return None
        if isinstance(value, list):
            self.error(line, f"'{key}' must be text, not a list")
            return None
        value = value.strip()
        problem = _text_problem(key, value) or (markup_problem(key, value)
                                                if key in _NAMES else None)
        if problem:
            self.error(line, problem)
            return None
        if len(value) > limit:
            self.error(line, f"'{key}' is {len(value)} characters long; the limit is {limit}")
            return None
        return value

    def items(self, key: str) -> list[tuple[str, int]]:
        value = self.fm.fields.get(key)
        line = self.fm.line(key)
        if value is None or value == "" or value == []:
            if SPECS[key].required:
                self.error(line, f"'{key}' is missing: add `{key}: {SPECS[key].example}`")
            return []
        if isinstance(value, str):
            self.error(line, f"'{key}' must be a YAML list, as in `{key}: [{value}]`")
            return []
        lines = self.fm.item_lines.get(key, ())
        out = []
        for i, item in enumerate(value):
            item_line = lines[i] if i < len(lines) else line
            item = item.strip()
            problem = _text_problem(key, item) or (markup_problem(key, item)
                                                   if key in _NAMES else None)
            if not item:
                self.error(item_line, f"'{key}' has an empty item")
            elif problem:
                self.error(item_line, problem)
            else:
                out.append((item, item_line))
        return out

    def keys(self) -> None:
        for key in self.fm.fields:
            line = self.fm.line(key)
            if key in SPECS:
                continue
            if key in PELICAN_RESERVED:
                self.error(line, f"'{key}' is not allowed in a clipping: {PELICAN_RESERVED[key]}")
                continue
            close = difflib.get_close_matches(key, FIELD_NAMES, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.error(line, f"unknown key '{key}'{hint}; allowed keys: {', '.join(FIELD_NAMES)}")

    def lang(self) -> str | None:
        raw = self.text("lang")
        if raw is None:
            return None
        code = raw.lower()
        if len(code) == 2 and language_name(code):
            return code
        close = close_codes(raw)
        hint = f"write `lang: {close[0]}`" if close else \
            "write the two-letter ISO 639-1 code, as `lang: ru` for Russian"
        self.error(self.fm.line("lang"), f"'lang' is '{raw}', not a language code: {hint}")
        return None

    def date(self) -> dt.date | dt.datetime | None:
        raw = self.text("date")
        if raw is None:
            return None
        line = self.fm.line("date")
        value = parse_date(raw)
        if value is None:
            if _DATETIME_NAIVE.match(raw):
                self.error(line, f"date {raw!r} has a time but no offset: add one, as in "
                           f"{raw.replace(' ', 'T')}+00:00, or write the date alone")
            else:
                self.error(line, f"date {raw!r} is not an ISO date (YYYY-MM-DD, or "
                           "YYYY-MM-DDTHH:MM+HH:MM); dates are never guessed")
            return None
        if self.today is not None:
            day = value.date() if isinstance(value, dt.datetime) else value
            if day > self.today + dt.timedelta(days=FUTURE_DAYS):
                self.error(line, f"date {raw} is in the future: a clipping is dated by its "
                           "original's publication")
        return value

    def countries(self) -> tuple[Country, ...]:
        out: list[Country] = []
        for name, line in self.items("countries"):
            match = self.gz.resolve(name)
            choices = self.gz.choices(name) if match is None else None
            if choices:
                self.error(line, choices)
                continue
            if match is None:
                hint = self.gz.code_hint(name)
                if hint:
                    self.error(line, hint)
                    continue
                suggestions = self.gz.suggest(name)
                dym = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
                self.error(line, f"unknown country '{name}'{dym}" + (
                    "" if suggestions else "; another name for a country goes in the "
                    "project's data/places.yml (countries: - code: KG, aliases: [...])"))
                continue
            entity = match.entity
            if isinstance(entity, Region):
                self.error(line, f"'{name}' is a {entity.kind}, not a country: list it under "
                           "regions")
                continue
            if match.how == "code":
                self.error(line, self.gz.code_hint(name) or f"write {entity.name}")
                continue
            if match.how == "demonym":
                self.error(line, f"'{name}' is an adjective, not a country's name "
                           f"(did you mean {entity.name}?)")
                continue
            if match.how == "alias":
                self.warn(line, f"'{name}' is another name for {entity.name}: write "
                          f"{entity.name} (`digest check --fix` does it)")
            if entity in out:
                self.error(line, f"{entity.name} is listed twice in countries")
                continue
            out.append(entity)
        if len(out) > MANY_COUNTRIES:
            n = len(out)
            self.warn(self.fm.line("countries"), f"{n} countries: a clipping listed under "
                      f"more than {MANY_COUNTRIES} makes {n * (n - 1) // 2} pairs, each on "
                      "pages of its own; list the countries it is about, not every one it "
                      "mentions")
        return tuple(out)

    def regions(self) -> tuple[Region, ...]:
        out: list[Region] = []
        for name, line in self.items("regions"):
            match = self.gz.resolve(name)
            if match is None or match.how in ("code", "demonym"):
                suggestions = [s for s in self.gz.suggest(name)
                               if isinstance(self.gz.resolve(s).entity, Region)]
                dym = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
                known = ", ".join(r.name for r in self.gz.regions)
                self.error(line, f"unknown region or organisation '{name}'{dym}; known: {known}; "
                           f"a region of this digest's own goes in the project's "
                           f"data/places.yml (regions: - name: {name})")
                continue
            if isinstance(match.entity, Country):
                self.error(line, f"'{name}' is a country: list it under countries")
                continue
            if match.how == "alias":
                self.warn(line, f"'{name}' is another name for {match.entity.name}: write "
                          f"{match.entity.name} (`digest check --fix` does it)")
            if match.entity in out:
                self.error(line, f"{match.entity.name} is listed twice in regions")
                continue
            out.append(match.entity)
        return tuple(out)

    def topics(self) -> tuple[str, ...]:
        out: list[str] = []
        slugs: dict[str, str] = {}
        for name, line in self.items("topics"):
            match = self.gz.resolve(name)
            if match is not None and match.how in ("canonical", "alias"):
                where = "countries" if match.is_country else "regions"
                self.error(line, f"topic '{name}' is {match.entity.name}: list it under {where}")
                continue
            slug = slugify(name)
            if not slug:
                self.error(line, f"topic '{name}' has no letters or digits to make an address "
                           "from: spell it out")
                continue
            if slug in slugs:
                self.error(line, f"topics '{slugs[slug]}' and '{name}' would share the address "
                           f"'{slug}': keep one")
                continue
            slugs[slug] = name
            out.append(name)
        return tuple(out)

    def redirects(self) -> tuple[str, ...]:
        out: list[str] = []
        for value, line in self.items("redirect_from"):
            if not _SITE_PATH.match(value):
                self.error(line, f"redirect_from '{value}' is not an address below the site: "
                           "write it as the page's path, lowercase, ending in '/', such as "
                           "2021/04/old-slug/ (no https://, no leading '/', no '..')")
            elif value in out:
                self.error(line, f"redirect_from '{value}' is listed twice")
            else:
                out.append(value)
        return tuple(out)

    def category(self) -> str | None:
        value = self.text("category", 60)
        if value is not None and not slugify(value):
            self.error(self.fm.line("category"), f"category '{value}' has no letters or digits "
                       "to make an address from")
            return None
        return value

    def source(self) -> str | None:
        value = self.text("source", 100)
        if value is None:
            return None
        line = self.fm.line("source")
        if not slugify(value):
            self.error(line, f"source '{value}' has no letters or digits to make an address from")
            return None
        match = self.reg.resolve(value)
        if match is None:
            suggestions = self.reg.suggest(value)
            dym = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
            self.warn(line, f"outlet '{value}' is not in the registry{dym}: add it with "
                      f"`digest source add {shlex.quote(value)} --domain DOMAIN --kind KIND "
                      "--country CC` (it goes to the project's data/sources.yml)")
        elif match.how == "alias":
            self.warn(line, f"'{value}' is another name for {match.source.name}: write "
                      f"{match.source.name} (`digest check --fix` does it)")
            return match.source.name
        return value

    def source_url(self, source: str | None) -> str | None:
        value = self.text("source_url", 2000)
        if value is None:
            return None
        line = self.fm.line("source_url")
        problem = url_problem(value)
        if problem:
            self.error(line, problem)
            return None
        owner = self.reg.by_domain(value)
        match = self.reg.resolve(source) if source else None
        if owner and match and owner != match.source:
            self.warn(line, f"source_url is on {owner.name}'s site ({domain_of(value)}), but "
                      f"source is {source}")
        return value

    def source_site(self) -> str | None:
        value = self.text("source_site", 253)
        if value is not None and not _DOMAIN.match(value):
            self.error(self.fm.line("source_site"), f"source_site {value!r} is not a domain "
                       "such as rferl.org (no scheme, no path, lower case)")
            return None
        return value

    def slug(self) -> str | None:
        stem = Path(self.fm.path).stem
        given = self.text("slug", 100)
        line = self.fm.line("slug")
        slug = given if given is not None else stem
        if not SLUG_RE.match(slug):
            what = f"slug '{slug}'" if given is not None else f"file name '{stem}.md'"
            self.error(line, f"{what} is not a valid address: use lower-case ASCII letters, "
                       f"digits and single hyphens (for example '{slugify(slug) or 'border-talks'}')")
            return None
        if len(slug) > 100:
            self.error(line, f"slug '{slug[:40]}...' is {len(slug)} characters; the limit is 100")
            return None
        if slug in RESERVED_SLUGS:
            self.error(line, f"slug '{slug}' is reserved for the site's own pages: choose another")
            return None
        if given is not None and given != stem:
            self.error(line, f"slug '{given}' differs from the file name '{stem}.md': rename "
                       "the file or remove the slug line")
            return None
        return slug

    def layout(self, date: dt.date | dt.datetime | None) -> None:
        if self.rel is None:
            return
        parts = self.rel.parts
        if len(parts) != 3 or not re.fullmatch(r"\d{4}", parts[0]) or \
                not re.fullmatch(r"\d{2}", parts[1]) or self.rel.suffix != ".md":
            self.error(None, "a clipping must live at content/clippings/YYYY/MM/<slug>.md "
                       "(year and month of its date)")
            return
        if date is not None:
            day = date.date() if isinstance(date, dt.datetime) else date
            expected = f"{day.year:04d}/{day.month:02d}"
            if f"{parts[0]}/{parts[1]}" != expected:
                self.error(self.fm.line("date"), f"the date {format_date(date)} does not match "
                           f"the folder {parts[0]}/{parts[1]}: move the file to "
                           f"content/clippings/{expected}/")

    def body(self) -> str:
        body = self.fm.body
        if not body.strip():
            self.error(self.fm.end_line, "the excerpt is missing: write it after the closing '---'")
            return body
        for line, message in body_problems(body, self.fm.body_line):
            self.error(line, message)
        for match in link_targets(body):
            target = match.group(1)
            line = self.fm.body_line + body.count("\n", 0, match.start(1))
            problem = link_problem(target)
            if problem:
                self.error(line, problem)
        return body

    def run(self) -> Clipping | None:
        self.keys()
        title = self.text("title", MAX_TITLE)
        date = self.date()
        category = self.category()
        countries = self.countries()
        regions = self.regions()
        topics = self.topics()
        source = self.source()
        author = self.text("author")
        author_role = self.text("author_role")
        source_url = self.source_url(source)
        source_site = self.source_site()
        source_title = self.text("source_title", MAX_TITLE)
        lang = self.lang()
        summary = self.text("summary", MAX_SUMMARY)
        slug = self.slug()
        redirect_from = self.redirects()
        self.layout(date)
        body = self.body()
        if any(p.is_error for p in self.problems):
            return None
        assert title and date and category and countries and source and slug
        return Clipping(
            title=title, date=date, category=category, countries=countries, source=source,
            slug=slug, body=body, regions=regions, topics=topics, author=author,
            author_role=author_role, source_url=source_url, source_site=source_site,
            source_title=source_title, lang=lang, summary=summary,
            redirect_from=redirect_from, path=self.fm.path,
        )


def validate(fm: FrontMatter, *, gazetteer: Gazetteer | None = None,
             registry: Registry | None = None, rel: PurePosixPath | None = None,
             today: dt.date | None = None) -> Result:
    """Validate parsed front matter and body; `rel` is the path below content/clippings."""
    v = _Validator(fm, gazetteer or load_gazetteer(), registry or load_registry(), rel, today)
    clipping = v.run()
    return Result(clipping, sorted(v.problems, key=lambda p: p.line or 0))
