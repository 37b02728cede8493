"""The gazetteer: countries and regions with codes, aliases and demonyms; lookups never guess."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

import pycountry

from digest.core.model import Country, Region, slugify
from digest.core.tables import project_table, shown, table_text

# Codes that mean different countries in FIPS 10-4 (used by some legacy exports) and ISO 3166-1,
# or that exist only in FIPS: a bare code is never taken to mean either.
FIPS_CODES = {
    "AJ": "Azerbaijan", "AS": "Australia", "AU": "Austria", "BG": "Bangladesh", "BM": "Burma",
    "BO": "Belarus", "BU": "Bulgaria", "CE": "Sri Lanka", "CH": "China", "DA": "Denmark",
    "EI": "Ireland", "EN": "Estonia", "GG": "Georgia", "GM": "Germany", "IC": "Iceland",
    "IS": "Israel", "IZ": "Iraq", "JA": "Japan", "KN": "North Korea", "KS": "South Korea",
    "LE": "Lebanon", "LG": "Latvia", "LH": "Lithuania", "LI": "Liberia", "MG": "Mongolia",
    "MO": "Morocco", "MU": "Oman", "NG": "Niger", "NI": "Nigeria", "PP": "Papua New Guinea",
    "RP": "Philippines", "RS": "Russia", "SF": "South Africa", "SN": "Singapore", "SP": "Spain",
    "SU": "Sudan", "SW": "Sweden", "SZ": "Switzerland", "TI": "Tajikistan", "TU": "Türkiye",
    "TX": "Turkmenistan", "UK": "United Kingdom", "UP": "Ukraine", "VM": "Vietnam",
}


def normalise(name: str) -> str:
    """The lookup key of a name: NFC, straight apostrophes, single spaces, case-folded."""
    name = unicodedata.normalize("NFC", name).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Match:
    """What a name resolved to and how: `canonical`, `alias`, `demonym` or `code`."""

    entity: Country | Region
    how: str

    @property
    def is_country(self) -> bool:
        return isinstance(self.entity, Country)


# Names that fit several countries: never resolved to one (pycountry and common usage give
# some of them to one country); the editor is asked to choose. Name → (codes, note).
AMBIGUOUS: dict[str, tuple[tuple[str, ...], str]] = {
    "Congo": (("CG", "CD"), ""),
    "The Congo": (("CG", "CD"), ""),
    "Congolese": (("CG", "CD"), ""),
    "Korea": (("KP", "KR"), ""),
    "Korean": (("KP", "KR"), ""),
    "Macedonia": (("MK",), "or Greece, for its region of Macedonia"),
    "Macedonian": (("MK",), "or Greece, for its region of Macedonia"),
    "Virgin Islands": (("VG", "VI"), ""),
}


class Gazetteer:
    """Countries and regions, looked up by exact name, alias, demonym or code, never fuzzily."""

    def __init__(self, countries: list[Country], regions: list[Region]):
        self.countries = tuple(sorted(countries, key=lambda c: c.slug))
        self.regions = tuple(sorted(regions, key=lambda r: r.slug))
        self.by_code = {c.code: c for c in self.countries}
        self.by_slug: dict[str, Country | Region] = {}
        for entity in (*self.countries, *self.regions):
            if entity.slug in self.by_slug:
                raise ValueError(f"gazetteer: slug {entity.slug!r} used twice")
            self.by_slug[entity.slug] = entity
        self._names: dict[str, Match] = {}
        ambiguous: set[str] = set()

        def add(name: str, match: Match) -> None:
            key = normalise(name)
            if not key or key in ambiguous:
                return
            old = self._names.get(key)
            if old is None:
                self._names[key] = match
            elif old.entity != match.entity:
                # A name two entities share names neither: the editor must be explicit.
                if old.how == "canonical" and match.how != "canonical":
                    return
                del self._names[key]
                ambiguous.add(key)

        for entity in (*self.countries, *self.regions):
            add(entity.name, Match(entity, "canonical"))
        for entity in (*self.countries, *self.regions):
            for alias in entity.aliases:
                add(alias, Match(entity, "alias"))
        for country in self.countries:
            for demonym in country.demonyms:
                add(demonym, Match(country, "demonym"))
        self._choices: dict[str, tuple[tuple[str, ...], str]] = {}
        for name, (codes, note) in AMBIGUOUS.items():
            key = normalise(name)
            self._names.pop(key, None)
            self._choices[key] = (tuple(c for c in codes if c in self.by_code), note)
        self._ambiguous = frozenset(ambiguous)
        self._text_re: tuple | None = None  # made when first needed (30 ms)
        self._region_re: re.Pattern[str] | None = None
        self._stems: dict[str, Country] = {}

    # -- lookups -------------------------------------------------------------------------

    def resolve(self, name: str) -> Match | None:
        """The country or region `name` denotes, or None; never a guess."""
        stripped = " ".join(name.split())
        match = self._names.get(normalise(stripped))
        if match is None:
            if re.fullmatch(r"[A-Z]{2}", stripped) and stripped in self.by_code:
                return Match(self.by_code[stripped], "code")
            return None
        if match.how == "canonical" and stripped != match.entity.name:
            return Match(match.entity, "alias")  # right name, wrong case or spacing
        return match

    def choices(self, name: str) -> str | None:
        """For a name that fits several countries ('Congo', 'Korea'), the message that lists
        them; else None."""
        found = self._choices.get(normalise(" ".join(name.split())))
        if found is None:
            return None
        codes, note = found
        names = [self.by_code[c].name for c in codes]
        listed = " or ".join(names) + (f", {note}" if note else "")
        return f"'{name.strip()}' could be {listed}: write the one meant"

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Canonical names close to an unknown `name`, best first (for 'did you mean')."""
        key = normalise(name)
        keys = difflib.get_close_matches(key, self._names.keys(), n=n * 3, cutoff=0.75)
        out: list[str] = []
        for k in keys:
            canonical = self._names[k].entity.name
            if canonical not in out:
                out.append(canonical)
        return out[:n]

    def code_hint(self, code: str) -> str | None:
        """Why a bare two-letter code is not accepted, naming what it means in each scheme."""
        code = code.strip()
        if not re.fullmatch(r"[A-Za-z]{2}", code):
            return None
        upper = code.upper()
        iso = self.by_code.get(upper)
        fips = FIPS_CODES.get(upper)
        if iso and fips and fips != iso.name:
            return (f"'{code}' is a code, and codes are ambiguous between schemes "
                    f"(ISO 3166: {iso.name}; FIPS 10-4: {fips}): write the country's name")
        if fips and not iso:
            return (f"'{code}' is not an ISO 3166 code (in FIPS 10-4 it is {fips}): "
                    "write the country's name")
        if iso:
            return f"'{code}' is a country code, not a name: write {iso.name}"
        return None

    def find_in_text(self, text: str) -> list[Country]:
        """Countries a text names, by name, alias, abbreviation or demonym ('Kyrgyz-Tajik
        border', 'UK', 'пограничники Кыргызстана'), in order. Names in Cyrillic are found in
        any of their case endings ('России', 'таджикские')."""
        found: list[tuple[int, Country]] = []
        if self._text_re is None:
            self._text_re = self._build_text_re()
        latin, cyrillic = self._text_re
        for m in latin.finditer(text):
            match = self._names.get(normalise(m.group(0)))
            if match and isinstance(match.entity, Country) and \
                    not _PART_OF_A_NAME.search(text, max(0, m.start() - 16), m.start()):
                found.append((m.start(), match.entity))
        if cyrillic is not None and _CYRILLIC.search(text):
            stems = self._stems
            for m in cyrillic.finditer(text):
                country = stems.get(m.group(1).casefold())
                if country is not None:
                    found.append((m.start(), country))
        out: list[Country] = []
        for _at, country in sorted(found, key=lambda x: x[0]):
            if country not in out:
                out.append(country)
        return out

    def regions_in_text(self, text: str) -> list[str]:
        """Regions and organisations a text names (Central Asia, CSTO, ОДКБ), in order."""
        if self._region_re is None:
            names = sorted({n for r in self.regions for n in (r.name, *r.aliases) if len(n) > 2},
                           key=lambda p: (-len(p), p))
            self._region_re = re.compile(
                rf"(?<![\w])(?:{'|'.join(re.escape(n) for n in names)})(?![\w])")
        out: list[str] = []
        for m in self._region_re.finditer(text):
            match = self._names.get(normalise(m.group(0)))
            if match is not None and isinstance(match.entity, Region) and \
                    match.entity.name not in out:
                out.append(match.entity.name)
        return out

    def _build_text_re(self) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
        phrases: set[str] = set()
        self._stems: dict[str, Country] = {}
        for country in self.countries:
            for name in (country.name, *country.aliases, *country.demonyms):
                if normalise(name) not in self._names or _CYRILLIC.search(name):
                    if _CYRILLIC.search(name):
                        self._stems.setdefault(_stem(name).casefold(), country)
                    continue
                # (two letters only as capitals: 'UK', 'US'; never 'us')
                if len(name) > 2 or (len(name) == 2 and name.isupper() and name.isalpha()):
                    phrases.add(name)
        ordered = sorted(phrases, key=lambda p: (-len(p), p))
        body = "|".join(re.escape(p) for p in ordered)
        latin = re.compile(rf"(?<![\w])(?:{body})(?![\w])")
        stems = sorted(self._stems, key=lambda p: (-len(p), p))
        cyrillic = re.compile(rf"(?<![\w])({'|'.join(re.escape(p) for p in stems)})"
                              rf"[а-яё]{{0,3}}(?![\w])", re.I) if stems else None
        return latin, cyrillic


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# A country's name inside another's: the Gulf of Mexico, the University of Georgia, New Mexico.
_PART_OF_A_NAME = re.compile(r"(?:\b(?:Gulf|Bay|Sea|University|Province|Straits?) of |\bNew )$")


def _stem(name: str) -> str:
    """A Cyrillic name without the ending its cases change ('Россия' → 'Росси',
    'кыргызский' → 'кыргызск'); short names and abbreviations ('США', 'РФ') as they are."""
    if len(name) < 5 or name.isupper() or " " in name:
        return name
    for ending in ("ский", "цкий", "ий", "ый", "ой", "ия", "ая", "а", "я", "й", "ь", "е", "о"):
        if name.endswith(ending) and len(name) - len(ending) >= 4:
            return name[: len(name) - len(ending)] + ("ск" if ending == "ский" else
                                                      "цк" if ending == "цкий" else
                                                      "и" if ending == "ия" else "")
    return name


def _split(field: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in field.split(";") if part.strip())


def _data_lines(name: str) -> list[list[str]]:
    text = table_text(name)
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rows.append([part.strip() for part in line.split("|")])
    return rows


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer from pycountry's ISO 3166-1 table and the project's own name table."""
    table = {row[0]: row for row in _data_lines("countries.txt")}
    countries = []
    seen: set[str] = set()
    for record in pycountry.countries:
        code = record.alpha_2
        row = table.get(code, [code, "", "", ""])
        official = getattr(record, "official_name", None)
        common = getattr(record, "common_name", None)
        canonical = row[1] or common or record.name
        aliases = list(_split(row[2]))
        for extra in (record.name, common, official):
            if extra and extra != canonical and extra not in aliases:
                aliases.append(extra)
        countries.append(Country(code, canonical, slugify(canonical), tuple(aliases), _split(row[3])))
        seen.add(code)
    for code, row in table.items():  # user-assigned codes such as XK (Kosovo)
        if code not in seen:
            countries.append(Country(code, row[1], slugify(row[1]), _split(row[2]), _split(row[3])))
    regions = [Region(row[0], row[1], row[2], _split(row[3])) for row in _data_lines("regions.txt")]
    found = project_table("places.yml")
    if found is not None:
        countries, regions = _with_project_places(found, countries, regions)
    return Gazetteer(countries, regions)


def _with_project_places(found, countries: list[Country], regions: list[Region]):
    """The packaged countries and regions with the project's `data/places.yml`: a country
    entry (by code) adds aliases and demonyms, and a name replaces the canonical one (which
    becomes an alias); a region with a packaged region's slug replaces it."""
    from digest.core.projectdata import project_places

    path, text = found
    codes = {c.code for c in countries}
    mine_regions, mine_countries = project_places(text, shown(path), codes)
    by_code = {e["code"]: e for e in mine_countries}
    out = []
    for c in countries:
        e = by_code.get(c.code)
        if e is None:
            out.append(c)
            continue
        name = e["name"] or c.name
        aliases = tuple(dict.fromkeys((*c.aliases, *((c.name,) if name != c.name else ()),
                                       *e["aliases"])))
        out.append(Country(c.code, name, slugify(name), aliases,
                           tuple(dict.fromkeys((*c.demonyms, *e["demonyms"])))))
    mine = {e["slug"]: Region(e["slug"], e["name"], e["kind"], e["aliases"])
            for e in mine_regions}
    return out, [r for r in regions if r.slug not in mine] + list(mine.values())
