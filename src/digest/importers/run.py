"""Run an importer over an export file against a project: read, parse, plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.content.check import check_paths
from digest.errors import ContentError, Problem, UsageError
from digest.importers import ImportPlan, plan_import
from digest.importers.encoding import decode_export
from digest.importers.text import TextImporter
from digest.importers.wxr import WxrImporter
from digest.project import Project

FORMATS = ("text", "wxr")


def import_file(path: Path, fmt: str, project: Project, default_date: dt.date | None,
                encoding: str | None, progress=None,
                country_taxonomy: str | None = None) -> ImportPlan:
    """Plan importing `path`; raises `ContentError` for an unreadable export."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
    name = project.display(path)
    data = path.read_bytes()
    if fmt == "wxr":
        drafts, report = WxrImporter(countries_from=country_taxonomy).parse(data, name)
        existing = _existing(project)
        plan = plan_import(drafts, project.clippings, existing,
                           project.display(project.clippings), name, progress)
        plan.report = report
        return plan
    try:
        text = decode_export(data, name, encoding)
    except ContentError as exc:
        raise ContentError(f"{name} could not be read: nothing imported", exc.problems) from None
    drafts, stray = TextImporter().parse(text, default_date)
    if stray or not drafts:
        problems = [Problem(name, int(s.split(":", 1)[0]), s.split(": ", 1)[1]) for s in stray]
        if not drafts:
            problems.append(Problem(name, None, "no entries found: each entry starts with a "
                                    "'Categorie' line, then the category, then the headline"))
        raise ContentError("nothing imported", problems)
    return plan_import(drafts, project.clippings, _existing(project),
                       project.display(project.clippings), name, progress)


def _existing(project: Project):
    if not project.clippings.exists():
        return []
    return check_paths([project.clippings], project.clippings, project.display)[0]
