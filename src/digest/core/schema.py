"""The clipping schema: its fields, reserved names, limits, and the checks of one value (dates, addresses, links, text)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.core.frontmatter import Value, dump
from digest.core.model import Clipping, format_date
from digest.errors import Problem


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter key: whether it is required, its shape, and what it holds."""

    name: str
    required: bool
    shape: str  # "text", "list", "date", "url", "slug", "domain", "lang"
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
    FieldSpec("lang", False, "lang", "the original's language, an ISO 639-1 code, when it is not the digest's", "ru"),
    FieldSpec("summary", False, "text", "what listings, search results and feeds show of the clipping (plain text, at most 300 characters); without it, the excerpt's first sentences", "Kyrgyzstan says 31 people were killed in two days of clashes over water at the border."),
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
    "translation": "the digest has one language",
    "tags": "free labels go in topics",
    "tag": "free labels go in topics",
    "authors": "write one author in author",
    "modified": "the date is the original's publication date",
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


MAX_SUMMARY = 300


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


def link_targets(body: str) -> Iterator[re.Match]:
    """The link and image targets of Markdown (`_LINK_TARGET`). Each follows a `]` or an
    `=`: an excerpt with neither (most) is not searched (a tenth of a search's time)."""
    if "]" not in body and "=" not in body:
        return iter(())
    return _LINK_TARGET.finditer(body)


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
    if url != url.strip() or " " in url or not url.isprintable() and any(
            ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
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
    """Why a one-line value cannot be shown as it is: a character that hides or reorders
    text (any Unicode format character: bidi controls and isolates, zero-width characters,
    tag characters), a line or paragraph separator, or a control character."""
    if value.isprintable() and _INVISIBLE.search(value) is None:
        return None  # (no character of those categories: most values, at a glance)
    return _char_problem(key, value)


def _char_problem(key: str, value: str) -> str | None:
    """`_text_problem`, character by character."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cf" or _INVISIBLE.match(ch) or category in ("Zl", "Zp"):
            return (f"'{key}' contains an invisible or direction-changing character "
                    f"({_code_point(ch)}): remove it")
        if category == "Cc":
            return (f"'{key}' contains a control character ({_code_point(ch)}) or a line "
                    "break: keep it on one line, as plain text")
    return None


def _code_point(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


_MARKUP = re.compile(r"[<>]")


def markup_problem(key: str, value: str) -> str | None:
    """Why a name (category, outlet, topic, author) cannot hold `<` or `>`: names are shown
    as labels and search filters, and markup there is never meant."""
    found = _MARKUP.search(value)
    if found:
        return (f"'{key}' contains '{found.group(0)}': names hold no markup; write the name "
                "as plain text")
    return None


# Limits on the excerpt's nesting: Markdown recurses on these, and a deeper excerpt is no
# excerpt anyone means (Python-Markdown fails on about 500 nested lists or 2,000 `*`).
MAX_EMPHASIS_RUN = 40  # `*` or `_` in a row
MAX_NESTING = 16  # levels of lists (4 spaces each) or of quotes (`>`)
_EMPHASIS_RUN = re.compile(r"[*_]{%d,}" % (MAX_EMPHASIS_RUN + 1))
# A line that could nest too deep starts with at least MAX_NESTING of these (fewer cannot
# indent 4 * MAX_NESTING columns, a tab counting 4, nor quote MAX_NESTING + 1 times).
_DEEP_START = re.compile(r"^[ \t>]{%d,}" % MAX_NESTING, re.MULTILINE)
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e"
                           "\u2066-\u2069\u061c]")


def _nothing_to_flag(body: str) -> bool:
    """Whether `body_problems` has nothing to say of an excerpt, found without looking at it
    line by line (most excerpts): every character printable but line ends and tabs, no `*`
    or `_` (or no run of them too long) and no line starting with what could nest deep."""
    printable = body.replace("\n", "").replace("\t", "").replace("\r", "").isprintable()
    return ((printable or _BODY_CONTROL.search(body) is None)
            and ("*" not in body and "_" not in body or _EMPHASIS_RUN.search(body) is None)
            and (body[:1] not in (" ", "\t", ">") and "\n " not in body and "\n\t" not in body
                 and "\n>" not in body or _DEEP_START.search(body) is None))


def body_problems(body: str, first_line: int) -> list[tuple[int, str]]:
    """(line, message) for what in an excerpt cannot be rendered or shown safely: control
    characters (C0 and C1: a Windows-1252 export read as latin-1 has them), bidi controls,
    and nesting deeper than the limits; each kind once, at its first line."""
    return [] if _nothing_to_flag(body) else _line_problems(body, first_line)


def _line_problems(body: str, first_line: int) -> list[tuple[int, str]]:
    """`body_problems`, line by line."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()

    def add(where: int, kind: str, message: str) -> None:
        if kind not in seen:
            seen.add(kind)
            out.append((where, message))

    for n, line in enumerate(body.split("\n")):
        where = first_line + n
        found = _BODY_CONTROL.search(line)
        if found:
            add(where, "control", f"the excerpt contains {_code_point(found.group(0))}, a "
                        "control or direction-changing character: remove it (a file "
                        "from Windows-1252 read as latin-1 has such characters: decode it "
                        "as cp1252)")
        if _EMPHASIS_RUN.search(line):
            add(where, "emphasis", f"more than {MAX_EMPHASIS_RUN} '*' or '_' in a row: "
                "Markdown cannot nest emphasis that deep; write fewer")
        stripped = line.lstrip(" \t")
        indent = len(line[:len(line) - len(stripped)].expandtabs(4))
        quotes = len(stripped) - len(stripped.lstrip("> "))
        if indent >= 4 * MAX_NESTING or stripped[:quotes].count(">") > MAX_NESTING:
            add(where, "nesting", f"nested more than {MAX_NESTING} levels deep (lists or "
                "quotes): flatten it")
    return out


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
