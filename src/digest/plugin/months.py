"""Month pages, of a listing or of the whole digest, with their day pages when a month is busy."""

from __future__ import annotations

from typing import Any

from digest.core.index import Group
from digest.core.model import Clipping
from digest.incremental.plan import ALWAYS, listing_owner
from digest.plugin.planner import Planner, signature
from digest.plugin.settings import PREFIX


def month_save_as(cfg, kind: str | None, slug: str, month: str) -> str:
    year, mon = month.split("/")
    key = f"{PREFIX[kind]}_MONTH" if kind else "MONTH"
    return cfg.save_as(key, slug=slug, year=year, month=mon)


def month_pages(gen, out: Planner, template, kind: str | None, group: Group | None,
                renamed: bool, months: list[tuple[str, list[Clipping]]]) -> None:
    """The month pages of a listing (or of the whole digest, with no group): those the plan
    says may differ are planned afresh, the others (and their day pages) kept."""
    slug = group.slug if group else ""
    plan = out.plan
    # A month page shows its clippings, its notes and links to the next older and newer
    # months.
    redo = None if renamed else plan.months_to_render(kind, slug, [m for m, _ in months])
    for i, (month, clippings) in enumerate(months):
        name = month_save_as(gen.cfg, kind, slug, month)
        if redo is not None and month not in redo and plan.signature(name) not in (None, ALWAYS):
            out.carry(name)  # as last time: the month page and its day pages
            for day_page in plan.day_pages(name):
                out.carry(day_page)
            continue
        older = months[i + 1][0] if i + 1 < len(months) else None
        newer = months[i - 1][0] if i else None
        notes = gen.view.month_notes(kind, slug, month)
        _month(gen, out, template, name, gen.view.month_url(kind, slug, month), clippings,
               [older or "", newer or "", repr(notes)], kind=kind, group=group, month=month,
               older=older, newer=newer, notes=notes)


def _month(gen, out: Planner, template, save_as: str, url: str, clippings: list[Clipping],
           shown: list[str], **kwargs: Any) -> None:
    """A month page (`shown`: what it shows beside its clippings: its neighbours, notes); a
    month with more than DIGEST_MONTH_MAX clippings lists its days, each on its own page
    (`.../days/DD/`), so that no page grows past its budget."""
    checked = gen.inputs.checked
    group = kwargs["group"]
    head = [group.name if group else "", *shown]
    owner = listing_owner(group.kind, group.slug) if group else ""
    limit = gen.cfg["DIGEST_MONTH_MAX"]
    if len(clippings) <= limit:
        sig = signature(head + [f"{c.path}:{checked[c.path].sha256}" for c in clippings])
        out.write(save_as, template, sig=sig, owner=owner, url=url,
                  entries=gen.view.entries(clippings), template_name="month", **kwargs)
        return
    by_day, ranges = _day_ranges(clippings, limit)
    folder = save_as.rsplit("/", 1)[0] + "/" if "/" in save_as else ""
    days = []
    for r in ranges:
        label = f"{r[0]}\u2013{r[-1]}" if len(r) > 1 else str(r[0])
        days.append((label, sum(len(by_day[d]) for d in r), f"{url}days/{r[0]:02d}/", r))
    out.write(save_as, template, sig=signature(head + [repr([d[:3] for d in days])]),
              owner=owner, url=url, entries=[], days=[d[:3] for d in days],
              template_name="month", **kwargs)
    for label, _n, page_url, r in days:
        cs = [c for d in reversed(r) for c in by_day[d]]
        sig = signature(head + [label] + [f"{c.path}:{checked[c.path].sha256}" for c in cs])
        out.write(f"{folder}days/{r[0]:02d}/index.html", template, sig=sig, owner=owner,
                  url=page_url, entries=gen.view.entries(cs), day=label, month_url=url,
                  template_name="month", **kwargs)


def _day_ranges(clippings: list[Clipping], limit: int
                ) -> tuple[dict[int, list[Clipping]], list[list[int]]]:
    """The month's clippings by day, and its days packed, oldest first, into pages of at most
    `limit` clippings (a busier day gets a page of its own), listed newest first: a page is
    named by its first day, and a clipping added to the newest day changes only the last."""
    by_day: dict[int, list[Clipping]] = {}
    for c in clippings:  # newest first
        by_day.setdefault(c.day.day, []).append(c)
    ranges: list[list[int]] = []
    size = 0
    for d in sorted(by_day):
        if ranges and size + len(by_day[d]) <= limit:
            ranges[-1].append(d)
            size += len(by_day[d])
        else:
            ranges.append([d])
            size = len(by_day[d])
    ranges.reverse()
    return by_day, ranges
