"""The one place the clipping rules live: front matter to a `Clipping`, or problems with lines."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import FrontMatterError, Problem
from .frontmatter import FrontMatter, Value, decode, dump, parse, read_file
from .gazetteer import Gazetteer, load_gazetteer
from .model import SLUG_RE, Clipping, Country, Region, format_date, slugify
from .sources import Registry, domain_of, load_registry


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter key: whether it is required, its shape, and what it holds."""

    name: str
    required: bool
    shape: str  # "text", "list", "date", "url", "slug", "domain"
    help: str
    example: str


# The allowlist, in the order fields are written. CONTRIBUTING.md's reference is generated
# from this table (scripts/gen_docs.py) and a test keeps the two in step.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", True, "text", "the headline, as the digest shows it", "Kyrgyzstan says 31 killed in clashes at Tajikistan border"),
    FieldSpec("date", True, "date", "publication date of the original: ISO 8601 date, or date and time with an offset", "2021-04-30"),
    FieldSpec("category", True, "text", "one category (Analysis, News, ...)", "Analysis"),
    FieldSpec("countries", True, "list", "the countries the clipping is about, by canonical name (at least one)", "[Kyrgyzstan, Tajikistan]"),
    FieldSpec("regions", False, "list", "regions and organisations (Central Asia, Europe, EU, CSTO, SCO)", "[Central Asia]"),
    FieldSpec("topics", False, "list", "free labels (Defense, Water, Borders)", "[Defense]"),
    FieldSpec("source", True, "text", "the outlet that published the original, as named in the registry", "Al Jazeera"),
    FieldSpec("author", False, "text", "the original's author", "Fozil Mashrab"),
    FieldSpec("author_role", False, "text", "the author's role or affiliation as the byline gives it", "Research Associate"),
    FieldSpec("source_url", False, "url", "the original's address (http or https)", "https://www.aljazeera.com/news/2021/4/30/example"),
    FieldSpec("source_site", False, "domain", "the original's site when only its domain is known", "rferl.org"),
    FieldSpec("source_title", False, "text", "the original's own headline when it differs from the title", "EU 'regrets' violence on Tajikistan-Kyrgyzstan border"),
    FieldSpec("slug", False, "slug", "the clipping's address part; must equal the file name (without .md)", "kyrgyzstan-says-31-killed"),
    FieldSpec("redirect_from", False, "list", "earlier addresses of this clipping's page, below the site (after its file was renamed or its date changed once published): each gets a page that sends readers on", "[2021/04/kyrgyzstan-says-30-killed/]"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
SPECS = {f.name: f for f in FIELDS}

# Pelican's own metadata: setting these in a clipping would change where or how Pelican writes it.
PELICAN_RESERVED = {
    "url": "the original's address goes in source_url",
    "save_as": "clipping addresses are set by the site settings",
    "template": "every clipping uses the clipping template",
    "status": "every clipping in content/clippings is published",
    "lang": "the digest has one language",
    "translation": "the digest has one language",
    "tags": "free labels go in topics",
    "tag": "free labels go in topics",
    "authors": "write one author in author",
    "modified": "the date is the original's publication date",
    "summary": "the excerpt is the body",
    "country": "write countries, a list",
    "region": "write regions, a list",
    "topic": "write topics, a list",
}

RESERVED_SLUGS = frozenset({
    "index", "archives", "tags", "tag", "categories", "category", "authors", "author", "search",
    "404", "feeds", "feed", "pagefind", "theme", "admin", "data", "countries", "pairs", "regions",
    "sources", "topics", "months", "clippings", "static", "pages", "drafts", "images", "sitemap",
    "robots", "days",
})

MAX_TITLE = 300
MAX_TEXT = 200
FUTURE_DAYS = 2  # a clipping dated further ahead than this is an error (time zones allowed for)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$")
_DATETIME_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
# A page's address below the site, as ARTICLE_URL makes them: `2021/04/old-slug/`.
_SITE_PATH = re.compile(r"^(?:[a-z0-9]+(?:[-_.][a-z0-9]+)*/)+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Bidi controls can reorder what a reader sees; zero-width characters hide differences.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")
_LINK_TARGET = re.compile(
    r"""(?:\]\(\s*<?|\b(?:href|src)\s*=\s*["']?|^\s{0,3}\[[^\]]+\]:\s*<?)([^)\s"'>]+)""",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass
class Result:
    """A clipping, when the front matter is valid, and every problem found (warnings included)."""

    clipping: Clipping | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def parse_date(text: str) -> dt.date | dt.datetime | None:
    """An ISO 8601 date, or date-time with an offset; None for anything else (never a guess)."""
    text = text.strip()
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        if _DATETIME.match(text):
            return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return None


def normalise_url(url: str) -> str:
    """An address for duplicate detection: no scheme, `www.`, trailing slash, fragment or utm_*."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not k.lower().startswith("utm_")))
    return urlunsplit(("", host + port, path, query, "")).lstrip("/")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a clipping's source_url, or None when it is a proper http(s) address."""
    if url != url.strip() or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return f"source_url {url!r} contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return f"source_url {url!r} is not a valid address"
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme + ":" if parts.scheme else "no scheme"
        return f"source_url must start with https:// or http:// (it has {shown})"
    if not parts.hostname or "." not in parts.hostname:
        return f"source_url {url!r} has no host name"
    return None


def _text_problem(key: str, value: str) -> str | None:
    if _INVISIBLE.search(value):
        ch = _INVISIBLE.search(value).group(0)
        return (f"'{key}' contains an invisible or direction-changing character "
                f"(U+{ord(ch):04X}): remove it")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return f"'{key}' contains a control character or a line break: keep it on one line"
    return None


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
        problem = _text_problem(key, value)
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
            problem = _text_problem(key, item)
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
            if match is None:
                hint = self.gz.code_hint(name)
                if hint:
                    self.error(line, hint)
                    continue
                suggestions = self.gz.suggest(name)
                dym = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
                self.error(line, f"unknown country '{name}'{dym}")
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
                self.error(line, f"unknown region or organisation '{name}'{dym}; known: {known}")
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
            self.warn(line, f"outlet '{value}' is not in the registry{dym}: add it to "
                      "data/sources.yml")
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
        for match in _LINK_TARGET.finditer(body):
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
            source_title=source_title, redirect_from=redirect_from, path=self.fm.path,
        )


_INTERNAL = re.compile(r"^\{(static|attach|filename|index|tag|category|author)\}(.*)$")


def link_problem(target: str) -> str | None:
    """Why a link or image target in an excerpt would break or escape the site, or None."""
    internal = _INTERNAL.match(target)
    if internal:
        kind, rest = internal.groups()
        if kind not in ("static", "attach", "filename"):
            return f"'{{{kind}}}' links are not used in the digest: link to a clipping with {{filename}}"
        parts = rest.replace("\\", "/").split("/")
        if ".." in parts or "\\" in rest or "%2e" in rest.lower() or re.match(r"^[a-zA-Z]:", rest):
            return (f"link '{target}' points outside the content folder: use a path below "
                    "content/, such as {static}/images/map.png")
        if kind in ("static", "attach") and not rest.startswith("/images/"):
            return (f"link '{target}' must point into content/images/, written from the "
                    "content folder: {static}/images/map.png")
        return None
    if target.startswith("//"):
        return f"link '{target}' has no scheme: write https:{target}"
    if target.startswith("/"):
        return (f"root-relative link '{target}' breaks when the site is served under a sub-path: "
                "use a full https:// address, or {static}/... for a file in content/")
    return None


def validate(fm: FrontMatter, *, gazetteer: Gazetteer | None = None,
             registry: Registry | None = None, rel: PurePosixPath | None = None,
             today: dt.date | None = None) -> Result:
    """Validate parsed front matter and body; `rel` is the path below content/clippings."""
    v = _Validator(fm, gazetteer or load_gazetteer(), registry or load_registry(), rel, today)
    clipping = v.run()
    return Result(clipping, sorted(v.problems, key=lambda p: p.line or 0))


def validate_file(path: Path, root: Path | None = None, display: str | None = None,
                  today: dt.date | None = None, data: bytes | None = None) -> Result:
    """Read and validate one clipping file; `root` is the clippings folder it should live in.

    `data`, when given, is the file's content already read (the build hashes it too).
    """
    display = display or str(path)
    try:
        if data is None:
            fm = read_file(path, display)
        else:
            fm = parse(decode(data, display), display)
    except FrontMatterError as exc:
        return Result(None, [exc.problem])
    rel = None
    if root is not None:
        try:
            rel = PurePosixPath(Path(path).resolve().relative_to(Path(root).resolve()).as_posix())
        except ValueError:
            rel = PurePosixPath(Path(path).name)
    result = validate(fm, rel=rel, today=today)
    if root is not None:
        result.problems.extend(_missing_targets(fm, Path(path), Path(root).parent))
        if result.clipping is not None and any(p.is_error for p in result.problems):
            result.clipping = None
    return result


def _missing_targets(fm: FrontMatter, path: Path, content: Path) -> list[Problem]:
    """`{filename}`, `{static}` and `{attach}` links whose target does not exist."""
    problems = []
    for match in _LINK_TARGET.finditer(fm.body):
        internal = _INTERNAL.match(match.group(1))
        if not internal or link_problem(match.group(1)):
            continue
        kind, rest = internal.groups()
        target = rest.split("#", 1)[0].split("?", 1)[0]
        base = content if target.startswith("/") else path.parent
        if not target or not (base / target.lstrip("/")).is_file():
            line = fm.body_line + fm.body.count("\n", 0, match.start(1))
            problems.append(Problem(fm.path, line, f"link '{match.group(1)}' points to a file "
                                    f"that does not exist under content/"))
    return problems


def to_fields(clipping: Clipping) -> dict[str, Value]:
    """A clipping's front-matter fields in allowlist order (the inverse of `validate`)."""
    fields: dict[str, Value] = {
        "title": clipping.title,
        "date": format_date(clipping.date),
        "category": clipping.category,
        "countries": [c.name for c in clipping.countries],
        "regions": [r.name for r in clipping.regions],
        "topics": list(clipping.topics),
        "source": clipping.source,
        "author": clipping.author or "",
        "author_role": clipping.author_role or "",
        "source_url": clipping.source_url or "",
        "source_site": clipping.source_site or "",
        "source_title": clipping.source_title or "",
        "redirect_from": list(clipping.redirect_from),
    }
    return fields


def to_text(clipping: Clipping) -> str:
    """The file text of a clipping (the slug is the file name, so it is not repeated)."""
    return dump(to_fields(clipping), clipping.body)


# -- across files -----------------------------------------------------------------------------


def corpus_problems(clippings: list[Clipping], paths: list[str],
                    near_pairs: list[tuple[Clipping, Clipping]] | None = None,
                    url_keys: dict[str, str] | None = None) -> list[Problem]:
    """Problems between files: shared slugs or originals, case-only names, colliding labels,
    near-identical headlines (`near_pairs`, when already found, else searched for here).
    `url_keys`, when given, holds the duplicate check's key (`normalise_url`) of every
    clipping that has a source_url, by path.

    Every build runs this over the whole digest, so values are counted first (in C) and the
    files are gathered only for the few values that collide."""
    problems: list[Problem] = []

    def same(kind: str, groups: dict[str, list[str]], hint: str) -> None:
        for files in groups.values():
            if len(files) < 2:
                continue
            files = sorted(set(files))
            if len(files) < 2:
                continue
            for path in files:
                others = ", ".join(f for f in files if f != path)
                problems.append(Problem(path, None, f"{kind} as {others}{hint}"))

    def colliding(keys: list, items: list) -> dict:
        """The items of each key that occurs more than once, by key."""
        repeated = {k for k, n in Counter(keys).items() if n > 1}
        groups: dict = defaultdict(list)
        if repeated:
            for k, item in zip(keys, items):
                if k in repeated:
                    groups[k].append(item)
        return groups

    files = [c.path for c in clippings]
    same("the same slug", colliding([c.slug for c in clippings], files),
         ": every clipping needs its own slug (rename one file)")
    if url_keys is None:
        url_keys = {c.path: normalise_url(c.source_url) for c in clippings if c.source_url}
    same("the same original (source_url)",
         colliding(list(url_keys.values()), list(url_keys)), ": keep one clipping per original")
    same("a file name differing only in case from",
         colliding([p.casefold() for p in paths], paths), ": rename one")

    if near_pairs is None:
        near_pairs = near_duplicate_pairs(clippings)
    problems.extend(near_duplicate_problems(near_pairs))

    # Spellings that differ but would share one page (Türkiye/Turkiye, C++/C#): the files
    # using the less common spelling are told which spelling the others use.
    for kind, get in (("topic", lambda c: c.topics), ("category", lambda c: (c.category,)),
                      ("source", lambda c: (c.source,))):
        if kind == "topic":
            counts = Counter(t for c in clippings for t in c.topics)
        else:
            counts = Counter([getattr(c, kind) for c in clippings])
        by_slug: dict[str, list[str]] = defaultdict(list)
        for label in counts:
            by_slug[slugify(label)].append(label)
        clashing = {label for labels in by_slug.values() if len(labels) > 1 for label in labels}
        if not clashing:
            continue
        spellings: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for c in clippings:
            for label in get(c):
                if label in clashing:
                    spellings[slugify(label)][label].append(c.path)
        for slug, variants in spellings.items():
            ranked = sorted(variants.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            main, main_files = ranked[0]
            for label, files in ranked[1:]:
                for path in sorted(set(files)):
                    problems.append(Problem(path, None, (
                        f"{kind} '{label}' and '{main}' (in {main_files[0]}) would share the "
                        f"page '{slug}': use one spelling")))
    return sorted(problems)


def _headline_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", title.casefold()).split())


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "


def _char_counts(key: str) -> tuple[int, ...]:
    """Counts of each letter, digit and space, and of all other characters together."""
    counts = [key.count(ch) for ch in _ALPHABET]
    counts.append(len(key) - sum(counts))
    return tuple(counts)


def near_duplicate_pairs(clippings: list[Clipping], days: int = 7, ratio: float = 0.9,
                         fresh: set[str] | None = None) -> list[tuple[Clipping, Clipping]]:
    """Pairs (older, newer) of near-identical headlines from the same outlet within `days`;
    with `fresh` (clipping paths), only pairs with at least one fresh clipping are compared."""
    from .model import date_key

    pairs: list[tuple[Clipping, Clipping]] = []
    by_source: dict[str, list[Clipping]] = defaultdict(list)
    for c in clippings:
        by_source[c.source.casefold()].append(c)
    window = dt.timedelta(days=days)
    if fresh is not None:
        return _near_fresh(by_source, fresh, window, ratio)
    for group in by_source.values():
        group.sort(key=lambda c: c.sort_key)
        keys = [_headline_key(c.title) for c in group]
        whens = [date_key(c.date) for c in group]
        lengths = [len(k) for k in keys]
        counts = [_char_counts(k) for k in keys]
        is_fresh = [fresh is None or c.path in fresh for c in group]
        start = 0
        for i, c in enumerate(group):
            earliest = whens[i] - window
            while whens[start] < earliest:
                start += 1
            la, ca, matcher = lengths[i], counts[i], None
            for j in range(start, i):
                if not (is_fresh[i] or is_fresh[j]):
                    continue
                lb = lengths[j]
                # ratio = 2·matches / (la + lb): similar lengths, then similar characters
                # (an upper bound of the matches, as difflib's quick_ratio) are necessary.
                bound = ratio * (la + lb)
                if 2 * min(la, lb) < bound or 2 * sum(map(min, ca, counts[j])) < bound:
                    continue
                if matcher is None:  # indexes its second string once; the first is cheap
                    matcher = difflib.SequenceMatcher(None, "", keys[i], autojunk=False)
                matcher.set_seq1(keys[j])
                if matcher.ratio() >= ratio:
                    pairs.append((group[j], c))
    return pairs


def _near_fresh(by_source: dict[str, list[Clipping]], fresh: set[str], window: dt.timedelta,
                ratio: float) -> list[tuple[Clipping, Clipping]]:
    """Near-identical pairs with at least one fresh clipping: each fresh clipping against the
    clippings of its outlet within the window either side (the rest was compared before)."""
    from .model import date_key

    found: dict[tuple[str, str], tuple[Clipping, Clipping]] = {}
    # Days either side, one more for times of day in other zones; the exact window is checked
    # on the few clippings this leaves (the busiest outlet has thousands).
    reach = window.days + 1
    for group in by_source.values():
        mine = [c for c in group if c.path in fresh]
        for c in mine:
            when, key, day = date_key(c.date), _headline_key(c.title), c.day
            la, ca = len(key), _char_counts(key)
            matcher = None
            for other in group:
                if abs((other.day - day).days) > reach or other.path == c.path \
                        or abs(date_key(other.date) - when) > window:
                    continue
                older, newer = (other, c) if other.sort_key < c.sort_key else (c, other)
                if (older.path, newer.path) in found:
                    continue
                # The bounds of near_duplicate_pairs first: most pairs fail them.
                okey = _headline_key(other.title)
                bound = ratio * (la + len(okey))
                if 2 * min(la, len(okey)) < bound \
                        or 2 * sum(map(min, ca, _char_counts(okey))) < bound:
                    continue
                if matcher is None:  # indexes the fresh headline once
                    matcher = difflib.SequenceMatcher(None, "", key, autojunk=False)
                matcher.set_seq1(okey)
                if matcher.ratio() >= ratio:
                    found[(older.path, newer.path)] = (older, newer)
    return [found[k] for k in sorted(found)]


def near_duplicates(clippings: list[Clipping], days: int = 7,
                    ratio: float = 0.9) -> list[Problem]:
    """Warnings for near-identical headlines from the same outlet within `days` of each other."""
    return near_duplicate_problems(near_duplicate_pairs(clippings, days, ratio), days)


def near_duplicate_problems(pairs: list[tuple[Clipping, Clipping]], days: int = 7) -> list[Problem]:
    problems = []
    for other, c in pairs:
        for a, b in ((c, other), (other, c)):
            problems.append(Problem(a.path, None, (
                f"near-identical headline from {c.source} within {days} days as "
                f"{b.path}: is it the same article?"), "warning"))
    return problems


def markdown_files(folder: Path) -> list[str]:
    """Every `.md` file below `folder`, sorted, as paths joined to `folder` (strings: a build
    lists tens of thousands)."""
    found = []
    for root, _dirs, files in os.walk(folder):
        base = os.path.join(root, "")
        found.extend([base + f for f in files if f[-3:].lower() == ".md"])
    return sorted(found)


def find_clippings(paths: list[Path]) -> list[Path]:
    """Every `.md` file under the given files and folders, sorted."""
    found: set[Path] = set()
    for p in paths:
        if p.is_dir():
            found.update(Path(f) for f in markdown_files(p))
        else:
            found.add(p)
    return sorted(found)


def check_paths(paths: list[Path], clippings_root: Path, display=str,
                today: dt.date | None = None) -> tuple[list[Clipping], list[Problem]]:
    """Validate every clipping under `paths`, then across them; every problem, sorted by file."""
    files = find_clippings(paths)
    clippings: list[Clipping] = []
    problems: list[Problem] = []
    for path in files:
        result = validate_file(path, clippings_root, display(path), today)
        problems.extend(result.problems)
        if result.clipping is not None:
            clippings.append(result.clipping)
    problems.extend(corpus_problems(clippings, [display(p) for p in files]))
    return clippings, sorted(problems, key=lambda p: (p.path, p.line or 0))


def _replace_once(line: str, old: str, new: str, after: int = 0) -> str:
    pattern = re.compile(rf"(?<![\w]){re.escape(old)}(?![\w])")
    match = pattern.search(line, after)
    if not match:
        return line
    return line[: match.start()] + new + line[match.end():]


def fix_file(path: Path, display: str | None = None) -> list[str]:
    """Rewrite aliases (countries, regions, outlet) to canonical names in place, nothing else.

    Returns a description of each change. The file keeps its layout, line endings and BOM;
    it is replaced atomically, and only when the result still parses.
    """
    display = display or str(path)
    raw = Path(path).read_bytes()
    fm = read_file(path, display)
    gz, reg = load_gazetteer(), load_registry()
    text = raw.decode("utf-8")
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    changes: list[str] = []
    for key in ("countries", "regions"):
        values = fm.fields.get(key)
        if not isinstance(values, list):
            continue
        for item, line in zip(values, fm.item_lines.get(key, ())):
            match = gz.resolve(item.strip())
            if match and match.how == "alias" and item.strip() != match.entity.name:
                idx = line - 1
                start = lines[idx].find(":") + 1 if lines[idx].lstrip().startswith(key) else 0
                new_line = _replace_once(lines[idx], item.strip(), match.entity.name, start)
                if new_line != lines[idx]:
                    lines[idx] = new_line
                    changes.append(f"{display}:{line}: {item.strip()} → {match.entity.name}")
    source = fm.fields.get("source")
    if isinstance(source, str) and source.strip():
        match = reg.resolve(source.strip())
        if match and match.how == "alias":
            idx = fm.line("source") - 1
            start = lines[idx].find(":") + 1
            new_line = _replace_once(lines[idx], source.strip(), match.source.name, start)
            if new_line != lines[idx]:
                lines[idx] = new_line
                changes.append(f"{display}:{idx + 1}: {source.strip()} → {match.source.name}")
    if not changes:
        return []
    new_text = "\n".join(lines)
    try:
        parse(new_text, display)
    except FrontMatterError:
        return []  # the name needs quoting in this file: leave it for a person
    out = ("\ufeff" if bom else "") + (new_text.replace("\n", "\r\n") if crlf else new_text)
    tmp = Path(path).with_name(f".{Path(path).name}.fix")
    tmp.write_bytes(out.encode("utf-8"))
    os.replace(tmp, path)
    return changes
