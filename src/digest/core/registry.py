"""The outlet registry: outlets with aliases, domains, kind and country, looked up exactly."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from digest.core.frontmatter import StringLoader
from digest.core.gazetteer import normalise
from digest.core.model import Source, slugify
from digest.core.tables import project_table, shown, table_text


@dataclass(frozen=True)
class SourceMatch:
    """An outlet and how a name reached it: `canonical` or `alias`."""

    source: Source
    how: str


def domain_of(url_or_domain: str) -> str:
    """The host of an address or a bare domain, lower-case, without `www.`."""
    text = url_or_domain.strip()
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host.lower().removeprefix("www.")


class Registry:
    """Known outlets; `resolve` never guesses, `suggest` offers close names."""

    def __init__(self, sources: list[Source]):
        self.sources = tuple(sorted(sources, key=lambda s: s.slug))
        self._names: dict[str, SourceMatch] = {}
        self._domains: dict[str, Source] = {}
        self._suggested: dict[tuple[str, int], list[str]] = {}  # (a digest repeats its outlets)
        for s in self.sources:
            self._names[normalise(s.name)] = SourceMatch(s, "canonical")
        for s in self.sources:
            for alias in s.aliases:
                self._names.setdefault(normalise(alias), SourceMatch(s, "alias"))
            for domain in s.domains:
                self._domains[domain.lower()] = s

    def resolve(self, name: str) -> SourceMatch | None:
        """The outlet `name` denotes; a canonical name in the wrong case counts as an alias."""
        match = self._names.get(normalise(name))
        if match and match.how == "canonical" and name.strip() != match.source.name:
            return SourceMatch(match.source, "alias")
        return match

    def by_domain(self, url_or_domain: str) -> Source | None:
        """The outlet whose domain (or a parent domain) serves this address."""
        host = domain_of(url_or_domain)
        while host:
            if host in self._domains:
                return self._domains[host]
            if "." not in host:
                return None
            host = host.split(".", 1)[1]
        return None

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Registry names close to an unknown outlet name."""
        known = self._suggested.get((name, n))
        if known is not None:
            return list(known)
        keys = difflib.get_close_matches(normalise(name), self._names.keys(), n=n * 2, cutoff=0.7)
        out: list[str] = []
        for k in keys:
            if self._names[k].source.name not in out:
                out.append(self._names[k].source.name)
        self._suggested[(name, n)] = out[:n]
        return out[:n]


def _tuple(value) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def parse_registry(text: str) -> Registry:
    """A registry from the YAML text of `sources.yml`."""
    entries = yaml.load(text, Loader=StringLoader) or []
    sources = []
    for entry in entries:
        name = entry["name"]
        sources.append(Source(name, slugify(name), _tuple(entry.get("aliases")),
                              _tuple(entry.get("domains")), entry.get("kind", ""),
                              entry.get("country", ""), _tuple(entry.get("feeds"))))
    return Registry(sources)


@functools.lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The outlet registry: the package's, extended by the project's `data/sources.yml`
    (an entry with a packaged outlet's name replaces that one)."""
    packaged = parse_registry(table_text("sources.yml"))
    found = project_table("sources.yml")
    if found is None:
        return packaged
    from digest.core.gazetteer import load_gazetteer
    from digest.core.projectdata import project_sources

    path, text = found
    codes = set(load_gazetteer().by_code)
    mine = {slugify(e["name"]): Source(e["name"], slugify(e["name"]), e["aliases"],
                                       e["domains"], e["kind"], e["country"], e["feeds"])
            for e in project_sources(text, shown(path), codes)}
    return Registry([s for s in packaged.sources if s.slug not in mine] + list(mine.values()))
