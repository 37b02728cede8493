"""The digest's pure data model: frozen clippings, countries, pairs, regions and sources."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from itertools import combinations
from operator import attrgetter
from typing import Any, Iterable, Protocol

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile("['\u2019\u02bc`]")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
HEADLINE_SLUG_MAX = 60
# Words a headline's slug leaves out when what remains still says something: articles,
# conjunctions and the commonest prepositions ("Russia redeploys aircraft from Kyrgyzstan to
# Tajikistan" → russia-redeploys-aircraft-kyrgyzstan-tajikistan).
_SLUG_STOPWORDS = frozenset("a an the and or of to in on at for by with from as is are its".split())


@lru_cache(maxsize=65536)
def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """An ASCII slug for `text` (`Türkiye` → `turkiye`), cut at a word boundary; may be empty."""
    slug = _NON_ALNUM.sub("-", unidecode(_APOSTROPHES.sub("", text)).lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:max_length]
        slug = slug[:max_length].strip("-")
    return slug


def headline_slug(title: str, max_length: int = HEADLINE_SLUG_MAX) -> str:
    """The slug of a new clipping's file: its headline without the little words, cut at a word
    boundary to at most `max_length` characters (every link to the clipping carries it; an
    existing file keeps its name, up to the 100 characters the checks allow). May be empty."""
    full = slugify(title, 10 * max_length)
    words = [w for w in full.split("-") if w not in _SLUG_STOPWORDS]
    return slugify("-".join(words) if words else full, max_length)


def numbered_slug(base: str, n: int) -> str:
    """`base` with `-n` added, for a slug that is taken already, still within the limit."""
    return f"{base[:HEADLINE_SLUG_MAX - 4].rstrip('-')}-{n}"


@dataclass(frozen=True)
class Country:
    """An ISO 3166-1 country, by its alpha-2 code and the name editors write."""

    code: str
    name: str
    slug: str
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)
    demonyms: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __hash__(self) -> int:  # the code identifies a country (hashed a great many times)
        return hash(self.code)


@dataclass(frozen=True)
class Region:
    """A named group that is not a country (Central Asia) or an organisation (CSTO)."""

    slug: str
    name: str
    kind: str  # "region" or "organisation"
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Source:
    """An outlet in the registry (RFE/RL, TASS) with what is known of it."""

    name: str
    slug: str
    aliases: tuple[str, ...] = field(default=(), compare=False)
    domains: tuple[str, ...] = field(default=(), compare=False)
    kind: str = field(default="", compare=False)
    country: str = field(default="", compare=False)
    feeds: tuple[str, ...] = field(default=(), compare=False)  # its RSS or Atom feeds


@dataclass(frozen=True, order=True)
class Pair:
    """Two distinct countries in canonical order (by slug): `kyrgyzstan-tajikistan`."""

    a: Country
    b: Country

    def __post_init__(self) -> None:
        if self.a.code == self.b.code:
            raise ValueError(f"a pair needs two distinct countries, got {self.a.name} twice")
        if self.a.slug > self.b.slug:
            raise ValueError(f"pair not in canonical order: {self.a.slug} > {self.b.slug}")
        object.__setattr__(self, "_hash", hash((self.a.code, self.b.code)))

    def __hash__(self) -> int:  # computed once: pairs key every listing of the digest
        return self._hash

    @classmethod
    def of(cls, x: Country, y: Country) -> Pair:
        """The pair of two countries, whatever order they are given in."""
        return cls(x, y) if x.slug < y.slug else cls(y, x)

    @property
    def slug(self) -> str:
        return f"{self.a.slug}-{self.b.slug}"

    @property
    def key(self) -> str:
        return f"{self.a.code.lower()}-{self.b.code.lower()}"

    @property
    def name(self) -> str:
        return f"{self.a.name}\u2013{self.b.name}"


Date = dt.date | dt.datetime


def date_key(value: Date) -> dt.datetime:
    """An aware datetime for sorting: a bare date counts as midnight UTC."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def format_date(value: Date) -> str:
    """The ISO 8601 text of a date or an aware datetime, as written in front matter."""
    return value.isoformat()


class cached_property:  # noqa: N801 - a drop-in for functools.cached_property
    """A value computed on first access and kept in the instance's __dict__ (which a frozen
    dataclass allows). functools.cached_property takes a lock on every first access in
    Python 3.11, which costs more than the values themselves over a large digest. A deferred
    clipping's loader is asked first: it may know the value without reading the rest."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        d = instance.__dict__
        loader = d.get("_loader")
        if loader is not None and loader.fill(instance, d["_ticket"], self.name):
            return d[self.name]
        value = d[self.name] = self.func(instance)
        return value


class Loader(Protocol):
    """Where a deferred clipping's fields come from when first asked for (`Clipping.deferred`)."""

    def fill(self, clipping: "Clipping", ticket: Any, name: str) -> bool:
        """Put field `name` of the clipping known by `ticket` (and any others read with it)
        into its __dict__; False when `name` is a derived value it does not know."""

    def fill_all(self, clippings: list["Clipping"]) -> None:
        """Read every field of these clippings (all of this loader's), at once."""


class _Deferred:
    """A field of a deferred clipping, read by its loader when first asked for (a non-data
    descriptor: a clipping that has the value in its __dict__, as every other has, never
    reaches it)."""

    __slots__ = ("name", "default")

    def __init__(self, name: str, default: Any) -> None:
        self.name, self.default = name, default

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.default
        d = instance.__dict__
        if "_loader" not in d:
            raise AttributeError(self.name)
        d["_loader"].fill(instance, d["_ticket"], self.name)
        return d[self.name]


@dataclass(frozen=True)
class Clipping:
    """One excerpt of an article elsewhere, with its metadata; validated, immutable."""

    title: str
    date: Date
    category: str
    countries: tuple[Country, ...]
    source: str
    slug: str
    body: str = ""
    regions: tuple[Region, ...] = ()
    topics: tuple[str, ...] = ()
    author: str | None = None
    author_role: str | None = None
    source_url: str | None = None
    source_site: str | None = None
    source_title: str | None = None
    lang: str | None = None  # the original's language (ISO 639-1), when not the digest's
    summary: str | None = None  # the editor's summary (else the excerpt's first sentences)
    redirect_from: tuple[str, ...] = ()  # earlier addresses of its page (`2021/04/old/`)
    path: str = field(default="", compare=False)

    # Derived values are computed once per clipping (the index asks for them many times);
    # cached_property stores them in the instance's __dict__, which frozen allows.
    @cached_property
    def day(self) -> dt.date:
        return self.date.date() if isinstance(self.date, dt.datetime) else self.date

    @cached_property
    def month(self) -> str:
        """`YYYY/MM`, the folder the file lives in and the month page it is listed on."""
        return f"{self.day.year:04d}/{self.day.month:02d}"

    @cached_property
    def sort_key(self) -> tuple[dt.datetime, str]:
        """Chronological order, ties broken by slug so that every listing is deterministic."""
        return (date_key(self.date), self.slug)

    @cached_property
    def pairs(self) -> tuple[Pair, ...]:
        """Every pair of the clipping's countries, in canonical order."""
        # Few sets of countries recur over many clippings. They are keyed by the identities of
        # their Country objects, in any order; the cache keeps those very objects alive, so an
        # identity in a key is never reused by another object.
        key = tuple(sorted(map(id, self.countries)))
        found = _PAIRS_OF.get(key)
        if found is None:
            ordered = sorted(self.countries, key=_SLUG)
            pairs = []
            for a, b in combinations(ordered, 2):
                known = _PAIRS.get((a.code, b.code))  # these very countries: no more checks
                pairs.append(known if known is not None and known.a is a and known.b is b
                             else _pair(a, b))
            found = _PAIRS_OF[key] = (self.countries, tuple(pairs))
        return found[1]


    @classmethod
    def checked(cls, values: dict[str, Any]) -> "Clipping":
        """A clipping of fields already checked (a record of an earlier check, with its derived
        values): set directly, several times faster than __init__, which a build of tens of
        thousands of clippings would feel."""
        c = object.__new__(cls)
        c.__dict__.update(values)
        return c

    @classmethod
    def deferred(cls, loader: Loader, ticket: Any, known: dict[str, Any]) -> "Clipping":
        """A clipping whose fields other than those `known` (its path at least) are read by
        `loader` when first asked for; `ticket` tells the loader which clipping it is."""
        c = object.__new__(cls)
        d = c.__dict__
        d.update(known)
        d["_loader"], d["_ticket"] = loader, ticket
        return c

    @property
    def deferred_from(self) -> tuple[Loader, Any] | None:
        """(loader, ticket) of a deferred clipping, read or not; None for any other."""
        d = self.__dict__
        return (d["_loader"], d["_ticket"]) if "_loader" in d else None

    @property
    def is_read(self) -> bool:
        """Whether every field is at hand (False only for a deferred clipping not yet read)."""
        return "title" in self.__dict__


def load_all(clippings: Iterable[Clipping]) -> None:
    """Read every deferred clipping among these that is not read yet, each loader's at once
    (one document decodes faster than many small ones)."""
    pending: dict[int, tuple[Loader, list[Clipping]]] = {}
    for c in clippings:
        d = c.__dict__
        if "title" not in d and "_loader" in d:
            loader = d["_loader"]
            entry = pending.get(id(loader))
            if entry is None:
                entry = pending[id(loader)] = (loader, [])
            entry[1].append(c)
    for loader, found in pending.values():
        loader.fill_all(found)


for _f in fields(Clipping):
    if _f.name != "path":
        setattr(Clipping, _f.name, _Deferred(_f.name, None if _f.default is MISSING
                                             else _f.default))

_SLUG = attrgetter("slug")
_PAIRS: dict[tuple[str, str], Pair] = {}
_PAIRS_OF: dict[tuple[int, ...], tuple[tuple[Country, ...], tuple[Pair, ...]]] = {}


def shared_pair(x: Country, y: Country) -> Pair:
    """The pair of two countries, in either order, as the one object clippings share."""
    return _pair(x, y) if x.slug < y.slug else _pair(y, x)


def _pair(a: Country, b: Country) -> Pair:
    """One shared Pair object for each two countries (there are few, and clippings many)."""
    found = _PAIRS.get((a.code, b.code))
    if found is None or (found.a is not a and found.a != a) or \
            (found.b is not b and found.b != b):
        found = _PAIRS[(a.code, b.code)] = Pair(a, b)
    return found
