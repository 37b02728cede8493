"""`digest weekly`: one week's issue as an email, HTML and plain text, for a mail tool.

It checks the digest as a build does (reusing the store's checks), with the production
settings (the email's links are the published site's), and renders the one issue through
the plugin; nothing under output/ changes."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from digest.build.settings import pelican_settings, release_settings
from digest.core.tables import refresh, use_project_data
from digest.errors import DigestError, UsageError
from digest.incremental import CACHE_FILE
from digest.project import Project


@dataclass(frozen=True)
class WeeklyEmail:
    """What `digest weekly` wrote: the week, the two files, their sizes, the clippings shown."""

    week: str
    html: Path
    text: Path
    html_bytes: int
    shown: int
    count: int
    ended: bool
    closes: dt.datetime


def pick_week(weeks: dict[str, bool], asked: str | None) -> str:
    """The week to send: the one asked for (it must have clippings), or the newest that has
    ended. `weeks` maps each week with clippings to whether it has ended."""
    from digest.core.weeks import week_days

    if not weeks:
        raise DigestError("the digest has no clippings yet: there is no issue to send")
    if asked is None:
        ended = sorted((w for w, done in weeks.items() if done), reverse=True)
        if not ended:
            raise DigestError("no week with clippings has ended yet: name one with --week "
                              f"(for example --week {max(weeks)}) to see its issue in "
                              "progress")
        return ended[0]
    try:
        monday, sunday = week_days(asked.strip().upper())
    except ValueError:
        raise UsageError(f"--week {asked!r} is not an ISO week: write it as 2021-W33") from None
    week = asked.strip().upper()
    if week not in weeks:
        near = sorted(weeks, key=lambda w: abs((week_days(w)[0] - monday).days))[:3]
        hint = f"; the nearest weeks with clippings: {', '.join(sorted(near))}" if near else ""
        raise DigestError(f"week {int(week[-2:])} of {week[:4]} ({monday:%-d %B} to "
                          f"{sunday:%-d %B %Y}) has no clippings: there is no issue to "
                          f"send{hint}")
    return week


def weekly_email(project: Project, week: str | None = None, out: Path | None = None,
                 today: dt.date | None = None) -> WeeklyEmail:
    """Write one week's issue as `<out>/<week>.html` and `<out>/<week>.txt`."""
    from digest.build import few_collections
    from digest.build.output import lock

    with few_collections():
        held = lock(project)
        try:
            return _email(project, week, out or project.root / "email", today)
        finally:
            held.close()


def checked_digest(project: Project, settings: dict, today, store_out: list):
    """The check phase of a command that builds no site (`digest weekly`, `digest admin`):
    with the build's store (its checks reused), every content error raised as a build's."""
    from digest.build import _content_errors
    from digest.build.check import check_phase
    from digest.core.gazetteer import load_gazetteer
    from digest.core.registry import load_registry
    from digest.incremental.fingerprint import code_fingerprint
    from digest.incremental.store import Store

    use_project_data(project.data)
    tables = refresh()
    load_gazetteer(), load_registry()
    store = Store(project.root / CACHE_FILE, code_fingerprint(tables))
    store_out.append(store)
    found = check_phase(project, today, store=store, release=release_settings(settings),
                        jobs=settings.get("DIGEST_JOBS"))
    if any(p.is_error for p in found.problems):
        try:
            _content_errors(found.problems, found.cross)
        finally:
            found.cross.close()
    return found, store


def _email(project: Project, week: str | None, out: Path, today) -> WeeklyEmail:
    from digest.build import _content_errors, build_clock
    from digest.build.pelican import render_phase
    from digest.core.index import DigestIndex
    from digest.core.weeks import closes_at, parse_closes, week_of
    from digest.incremental.plan import full_plan
    from digest.plugin.inputs import EmailRequest, RenderInput
    from digest.plugin.settings import digest_settings

    stage = Path(tempfile.mkdtemp(prefix=".digest-email-", dir=project.root))
    found, stores = None, []
    try:
        settings = pelican_settings(project, stage, production=True)
        cfg = digest_settings(settings)
        found, store = checked_digest(project, settings, today, stores)
        now = build_clock(settings, today)
        closes = parse_closes(cfg["DIGEST_WEEK_CLOSES"])
        weeks = {w: closes_at(w, closes, now.tzinfo) <= now
                 for w in {week_of(c.day) for c in found.clippings}}
        chosen = pick_week(weeks, week)
        index = DigestIndex(found.clippings, cfg["DIGEST_PAIR_MIN_CLIPPINGS"])
        store.load_summaries(found.checked.values())
        out.mkdir(parents=True, exist_ok=True)
        request = EmailRequest(chosen, str(out))
        inputs = RenderInput(MappingProxyType(found.checked), index, full_plan("email"), store,
                             (), settings.get("DIGEST_JOBS"), found.notes, found.intros,
                             found.issued, now, request)
        result = render_phase(project, stage, settings, inputs)
        across = found.cross.result()[1]
        if any(p.is_error for p in across):
            _content_errors(found.problems + across, None)
        made = result.email
        return WeeklyEmail(chosen, Path(made["html"]), Path(made["text"]), made["html_bytes"],
                           made["shown"], made["count"], weeks[chosen],
                           closes_at(chosen, closes, now.tzinfo))
    finally:
        if found is not None:
            found.cross.close()
        for store in stores:
            store.close()
        shutil.rmtree(stage, ignore_errors=True)
