"""The project's own data files on disk: `digest source add` appends a checked outlet to
`data/sources.yml`, written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from digest.core.projectdata import project_sources
from digest.core.tables import forget, shown
from digest.errors import ContentError, Problem, UsageError

SOURCES_HEADER = """\
# This digest's own outlets: they extend the packaged registry (an entry with a packaged
# outlet's name replaces it). `digest source add` appends to this file; edit it freely.
# Fields: name, aliases, domains (kun.uz, no https://), kind, country (ISO code), feeds.
"""


def source_entry(name: str, domains: list[str], kind: str, country: str,
                 aliases: list[str], feeds: list[str]) -> str:
    """The YAML of one outlet entry, in the form the file's other entries have."""
    def flow(values: list[str]) -> str:
        return yaml.safe_dump(list(values), default_flow_style=True, allow_unicode=True,
                              width=10_000).strip()

    lines = [f"- name: {yaml.safe_dump(name, allow_unicode=True, width=10_000).strip()}"
             .removesuffix("\n...")]
    if aliases:
        lines.append(f"  aliases: {flow(aliases)}")
    lines.append(f"  domains: {flow(domains)}")
    if kind:
        lines.append(f"  kind: {kind}")
    if country:
        lines.append(f"  country: {country.upper() if len(country) == 2 else country}")
    if feeds:
        lines.append(f"  feeds: {flow(feeds)}")
    return "\n".join(lines) + "\n"


def add_source(data: Path, name: str, domains: list[str], kind: str, country: str,
               aliases: list[str], feeds: list[str], replace: bool = False) -> Path:
    """Append an outlet to `data/sources.yml` after checking it as the build will: its
    fields, and that no outlet has its name or one of its domains already (a packaged
    outlet's name only with `replace`)."""
    from digest.core.gazetteer import load_gazetteer
    from digest.core.registry import load_registry

    if not domains:
        raise UsageError("give the outlet's domain with --domain (kun.uz): the build tells its "
                         "pages' addresses by it")
    path = data / "sources.yml"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    registry = load_registry()
    known = registry.resolve(name)
    mine = {e["name"].casefold(): e["line"] for e in
            project_sources(old, shown(path), set(load_gazetteer().by_code))} if old else {}
    if name.strip().casefold() in mine:
        raise ContentError("", [Problem(shown(path), mine[name.strip().casefold()],
                                        f"'{name}' is here already: edit this entry")])
    if known is not None and not replace:
        raise UsageError(f"'{name}' is in the registry already (as {known.source.name}): to "
                         "change it here, add it again with --replace (this project's entry "
                         "then replaces the packaged one)")
    for domain in domains:
        owner = registry.by_domain(domain)
        if owner is not None and (known is None or owner.slug != known.source.slug):
            raise UsageError(f"{domain} is {owner.name}'s domain already: is '{name}' "
                             f"{owner.name}?")
    entry = source_entry(name.strip(), domains, kind, country, aliases, feeds)
    try:
        project_sources(entry, shown(path), set(load_gazetteer().by_code))
    except ContentError as exc:
        raise UsageError("; ".join(p.message for p in exc.problems)) from None
    text = (old if old else SOURCES_HEADER)
    text = text + ("" if text.endswith("\n") else "\n") + entry
    project_sources(text, shown(path), set(load_gazetteer().by_code))  # (raises if wrong)
    data.mkdir(exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    forget()
    return path
