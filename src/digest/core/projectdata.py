"""A project's own outlets and places (`data/sources.yml`, `data/places.yml` beside
`content/`), checked entry by entry: they extend the packaged registry and gazetteer, and an
entry with a packaged name replaces the packaged one. Every problem names the file and the
entry's line and shows what an entry looks like."""

from __future__ import annotations

import re

import yaml

from digest.core.frontmatter import StringLoader
from digest.errors import ContentError, Problem

KINDS = ("wire agency", "news agency", "state news agency", "state media",
         "public broadcaster", "broadcaster", "newspaper", "magazine", "news site",
         "think tank", "NGO", "intergovernmental", "blog", "other")
SOURCE_FORM = ("an entry looks like:\n  - name: Kun.uz\n    aliases: [Kun uz]\n"
               "    domains: [kun.uz]\n    kind: news site\n    country: UZ\n"
               "    feeds: [https://kun.uz/en/news/rss]")
PLACE_FORM = ("it looks like:\n  regions:\n    - name: Badakhshan\n      kind: region\n"
              "      aliases: [Gorno-Badakhshan, GBAO]\n  countries:\n    - code: KG\n"
              "      aliases: [Kirgiziya]\n      demonyms: [Kirgiz]")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
_SOURCE_KEYS = {"name", "aliases", "domains", "kind", "country", "feeds"}
_REGION_KEYS = {"name", "slug", "kind", "aliases"}
_COUNTRY_KEYS = {"code", "name", "aliases", "demonyms"}


class _Reader:
    """Problems of one file, with the form of its entries."""

    def __init__(self, display: str, form: str) -> None:
        self.display, self.form, self.problems = display, form, []

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def done(self) -> None:
        if self.problems:
            raise ContentError(f"{self.display} has problems: mend them ({self.form})",
                               self.problems)

    def load(self, text: str):
        """The document and its top node (for lines), or problems."""
        try:
            node = yaml.compose(text, Loader=StringLoader)
            data = yaml.load(text, Loader=StringLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problem(mark.line + 1 if mark else None,
                         f"not YAML: {getattr(exc, 'problem', None) or exc}")
            self.done()
        return data, node

    def entries(self, data, node, what: str) -> list[tuple[int, dict]]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(node.start_mark.line + 1 if node else 1, f"{what} must be a list of "
                         "entries, each starting with '- '")
            return []
        out = []
        for value, item in zip(data, node.value, strict=True):
            line = item.start_mark.line + 1
            if not isinstance(value, dict):
                self.problem(line, "an entry must be a mapping of fields (name: …)")
                continue
            out.append((line, value))
        return out

    def names(self, entry: dict, key: str, line: int, check=None) -> tuple[str, ...]:
        value = entry.get(key)
        if value in (None, ""):
            return ()
        values = value if isinstance(value, list) else [value]
        out = []
        for v in values:
            if not isinstance(v, str) or not v.strip():
                self.problem(line, f"'{key}' must be a list of names")
                continue
            if check is not None and not check(v.strip()):
                continue
            out.append(v.strip())
        return tuple(out)

    def unknown(self, entry: dict, allowed: set[str], line: int) -> None:
        for key in entry:
            if key not in allowed:
                self.problem(line, f"unknown field '{key}' (the fields are "
                             f"{', '.join(sorted(allowed))})")


def project_sources(text: str, display: str, country_codes: set[str]) -> list[dict]:
    """The entries of a project's `sources.yml`, checked: a name, domains that are domains,
    a known kind, an ISO country code, feeds that are http(s) addresses; no name twice."""
    from digest.core.model import slugify

    r = _Reader(display, SOURCE_FORM)
    data, node = r.load(text)
    seen: dict[str, int] = {}
    out = []
    for line, entry in r.entries(data, node, "the file"):
        r.unknown(entry, _SOURCE_KEYS, line)
        name = entry.get("name")
        if not isinstance(name, str) or not slugify(name):
            r.problem(line, "the entry has no name (with letters or digits)")
            continue
        name = name.strip()
        if slugify(name) in seen:
            r.problem(line, f"'{name}' is named twice in this file (also at line "
                      f"{seen[slugify(name)]}): keep one entry")
            continue
        seen[slugify(name)] = line

        def domain(v: str, line=line) -> bool:
            if _DOMAIN.fullmatch(v.lower()):
                return True
            r.problem(line, f"'{v}' is not a domain (write it as kun.uz, without https://)")
            return False

        def feed(v: str, line=line) -> bool:
            if re.match(r"https?://\S+$", v):
                return True
            r.problem(line, f"feed '{v}' is not an http(s) address")
            return False

        kind = str(entry.get("kind") or "").strip()
        if kind and kind not in KINDS:
            r.problem(line, f"kind '{kind}' is not one of: {', '.join(KINDS)}")
        country = str(entry.get("country") or "").strip()
        if country and country not in country_codes:
            r.problem(line, f"country '{country}' is not an ISO 3166 code (KG, TJ, UZ...)")
        out.append({"name": name, "line": line, "aliases": r.names(entry, "aliases", line),
                    "domains": tuple(d.lower() for d in r.names(entry, "domains", line, domain)),
                    "kind": kind, "country": country,
                    "feeds": r.names(entry, "feeds", line, feed)})
    r.done()
    return out


def project_places(text: str, display: str, country_codes: set[str]
                   ) -> tuple[list[dict], list[dict]]:
    """The regions and country entries of a project's `places.yml`, checked."""
    from digest.core.model import slugify

    r = _Reader(display, PLACE_FORM)
    data, node = r.load(text)
    if data is not None and not isinstance(data, dict):
        r.problem(1, "the file holds 'regions:' and 'countries:', each a list of entries")
        r.done()
    parts = {n.value: v for n, v in node.value} if data else {}
    for key in (data or {}):
        if key not in ("regions", "countries"):
            r.problem(None, f"unknown part '{key}': the file holds 'regions:' and 'countries:'")
    regions, countries = [], []
    seen: dict[str, int] = {}
    for line, entry in r.entries((data or {}).get("regions"), parts.get("regions"), "regions"):
        r.unknown(entry, _REGION_KEYS, line)
        name = entry.get("name")
        if not isinstance(name, str) or not slugify(name):
            r.problem(line, "the region has no name (with letters or digits)")
            continue
        slug = str(entry.get("slug") or slugify(name))
        if slug in seen:
            r.problem(line, f"'{name}' is named twice in this file (also at line {seen[slug]})")
            continue
        seen[slug] = line
        kind = str(entry.get("kind") or "region").strip()
        if kind not in ("region", "organisation"):
            r.problem(line, f"kind '{kind}' is neither region nor organisation")
        regions.append({"slug": slug, "name": name.strip(), "kind": kind, "line": line,
                        "aliases": r.names(entry, "aliases", line)})
    codes: dict[str, int] = {}
    for line, entry in r.entries((data or {}).get("countries"), parts.get("countries"),
                                 "countries"):
        r.unknown(entry, _COUNTRY_KEYS, line)
        code = str(entry.get("code") or "").strip().upper()
        if code not in country_codes:
            r.problem(line, f"code '{code}' is not an ISO 3166 code (KG, TJ, UZ...)")
            continue
        if code in codes:
            r.problem(line, f"{code} is given twice in this file (also at line {codes[code]})")
            continue
        codes[code] = line
        countries.append({"code": code, "name": str(entry.get("name") or "").strip(),
                          "line": line, "aliases": r.names(entry, "aliases", line),
                          "demonyms": r.names(entry, "demonyms", line)})
    r.done()
    return regions, countries
