"""The weekly issue: a page per ISO week (`weekly/2021-W33/`), the index of weeks, and the feed
of finished weeks, each entry the whole issue, for a service that mails a feed's entries."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
from typing import Any

from markupsafe import Markup
from pelican.utils import sanitised_join

from digest.core.model import Clipping, Country, date_key
from digest.core.trends import direction
from digest.core.weeks import (
    busiest_pairs,
    closes_at,
    country_counts,
    parse_closes,
    sections,
    week_days,
    week_of,
)
from digest.plugin.feeds import DigestAtom
from digest.plugin.planner import Planner, signature

BEFORE = 4  # weeks a week's counts are compared with


class Weekly:
    """The weeks of one build: which have ended (by the build's clock), their pages' data."""

    def __init__(self, gen) -> None:
        self.gen, self.cfg, self.view = gen, gen.cfg, gen.view
        self.closes = parse_closes(self.cfg["DIGEST_WEEK_CLOSES"])
        self.now = gen.inputs.now or dt.datetime.now(dt.timezone.utc)
        self.tz = self.now.tzinfo or dt.timezone.utc
        weeks: dict[str, list[Clipping]] = {}
        for clippings in gen.index.by_month.values():  # newest first, as the weeks are
            for c in clippings:
                key = week_of(c.day)
                (weeks.get(key) or weeks.setdefault(key, [])).append(c)
        self.weeks = dict(sorted(weeks.items(), reverse=True))
        self.keys = list(self.weeks)
        # An issue links each pair that has a page, which a clipping of another week can
        # give it (or take): the pairs with pages are part of every week's signature.
        self.paired = signature(sorted(g.slug for g in gen.index.groups["pair"]))
        self.intros = gen.inputs.intros
        self.country_feeds: list[tuple[Country, str]] = []  # (country_feeds)
        self.records = {w: self.record(w) for w in self.keys if self.ended(w)}

    def record(self, week: str) -> dict[str, Any]:
        """How a finished issue is now, and how it was when it became final (by the last
        publish's record of it; without one, it becomes final as it is now): a clipping
        added to or taken from it since makes it updated, on the first build that sees it."""
        # (a clipping by its file below the clippings folder: where the digest is built
        # does not matter)
        checked = self.gen.inputs.checked
        paths = sorted(checked[c.path].rel for c in self.weeks[week])
        sha = signature(paths)
        last = self.gen.inputs.issued.get(week)
        if last is None:
            final_sha, final_count, updated = sha, len(paths), None
        else:
            final_sha, final_count = last["final_sha"], last["final_count"]
            if sha == final_sha:
                updated = None
            elif sha == last["sha"] and last["updated"]:
                updated = last["updated"]
            else:
                updated = self.now.astimezone(self.tz).date().isoformat()
        return {"week": week, "url": self.url(week), "count": len(paths), "sha": sha,
                "final": closes_at(week, self.closes, self.tz).isoformat(),
                "final_count": final_count, "final_sha": final_sha, "updated": updated}

    def ended(self, week: str) -> bool:
        return closes_at(week, self.closes, self.tz) <= self.now

    @staticmethod
    def days(week: str) -> tuple[dt.date, dt.date]:
        return week_days(week)

    def url(self, week: str) -> str:
        return self.cfg.url("WEEK", week=week)

    def before(self, week: str) -> list[str]:
        """The weeks a week is compared with (those of the four before it that have clippings)."""
        monday, _ = week_days(week)
        return [w for w in (week_of(monday - dt.timedelta(days=7 * i))
                            for i in range(1, BEFORE + 1)) if w in self.weeks]

    def signature(self, week: str, i: int) -> str:
        """What a week's page shows: its clippings, those of the weeks its rises compare with,
        its neighbours, whether it has ended."""
        checked = self.gen.inputs.checked
        intro = self.intros.get(week)
        record = self.records.get(week, {})
        parts = [week, str(self.ended(week)), self.keys[i + 1] if i + 1 < len(self.keys) else "",
                 self.keys[i - 1] if i else "", self.paired, intro.sha if intro else "",
                 str(record.get("updated")), str(record.get("final_count"))]
        for w in [week, *self.before(week)]:
            parts.append(w)
            parts.extend(f"{c.path}:{checked[c.path].sha256}" for c in self.weeks[w])
        return signature(parts)

    def of_country(self, week: str, country: Country) -> list[Clipping]:
        return [c for c in self.weeks[week] if country in c.countries]

    def issue(self, week: str, country: Country | None = None) -> dict[str, Any]:
        """The data of a week's issue, for its page and its feed entry (cut to the clippings
        naming `country`, for that country's weekly feed: without the rises)."""
        clippings = self.weeks[week] if country is None else self.of_country(week, country)
        self.view.entries(clippings)  # (read at once, with their summaries)
        monday, sunday = week_days(week)
        counts = country_counts(clippings)
        previous = [country_counts(self.weeks[w]) for w in self.before(week)]
        t = self.view.thresholds
        rises = []
        for x, n in counts.items() if country is None else ():
            average = sum(p.get(x, 0) for p in previous) / BEFORE
            if direction(n, average, t) == "up":
                rises.append((x, n, average))
        rises.sort(key=lambda r: (-r[1], r[0].slug))
        intro = self.intros.get(week)
        record = self.records.get(week, {})
        updated = record.get("updated")
        return {"week": week, "title": intro.title if intro else "",
                "updated": dt.date.fromisoformat(updated) if updated else None,
                "final_count": record.get("final_count"),
                "intro": Markup(intro.html) if intro else "", "number": int(week[-2:]), "year": int(week[:4]),
                "monday": monday, "sunday": sunday, "count": len(clippings),
                "ended": self.ended(week),
                "closes": closes_at(week, self.closes, self.tz),
                "sections": [(s, self.view.entries(list(s.clippings)))
                             for s in sections(clippings)],
                "busiest": busiest_pairs(clippings), "rises": rises[:8]}


def week_pages(gen, out: Planner) -> Weekly | None:
    """Plan the page of every week (rendered where its signature changed), the index of weeks
    and the weekly feed."""
    cfg = gen.cfg
    if not cfg.values["WEEK_SAVE_AS"] or not gen.index.clippings:
        return None
    weekly = Weekly(gen)
    template = gen.get_template("week")
    for i, week in enumerate(weekly.keys):
        name = cfg.save_as("WEEK", week=week)
        out.write(name, template, sig=weekly.signature(week, i), url=weekly.url(week),
                  weekly=weekly, week=week, template_name="week",
                  older=weekly.keys[i + 1] if i + 1 < len(weekly.keys) else None,
                  newer=weekly.keys[i - 1] if i else None)
    if cfg["DIGEST_DATA_SAVE_AS"]:  # the record the next build compares its issues with
        name = cfg["DIGEST_DATA_SAVE_AS"] + "weeks.json"
        sig = signature(["weeks-data", repr(sorted(weekly.records.items()))])
        if not out.carry_if(name, sig):
            out.claim(name, sig)
            out.job("weeks-data", name)
    feed = cfg.values["WEEKLY_FEED_ATOM_SAVE_AS"]
    if feed:
        shown = [w for w in weekly.keys if weekly.ended(w)][:cfg_max(gen)]
        sig = signature(["weekly-feed", *(weekly.signature(w, weekly.keys.index(w))
                                          for w in shown)])
        if not out.carry_if(feed, sig):
            out.claim(feed, sig)
            out.job("weekly-feed", shown, None)
    if cfg.values["COUNTRY_WEEKLY_FEED_ATOM_SAVE_AS"]:
        country_feeds(gen, weekly, out)
    if cfg.values["WEEKS_SAVE_AS"]:
        out.write(cfg.values["WEEKS_SAVE_AS"], gen.get_template("weeks"),
                  url=cfg.values["WEEKS_URL"], weekly=weekly, template_name="weeks")
    return weekly


def country_feeds(gen, weekly: Weekly, out: Planner) -> None:
    """A weekly feed for each country with a page: its finished weeks, each entry the issue
    cut to the clippings naming it (rendered where what they show changed)."""
    most, cfg = cfg_max(gen), gen.cfg
    ended = [w for w in weekly.keys if weekly.ended(w)]
    for group in gen.index.groups["country"]:
        country, shown, parts = group.entity, [], ["weekly-country", group.slug, weekly.paired]
        for w in ended:
            mine = weekly.of_country(w, country)
            if mine:
                shown.append(w)
                intro, record = weekly.intros.get(w), weekly.records[w]
                parts += [w, intro.sha if intro else "", str(record["updated"]),
                          str(record["final_count"]) if record["updated"] else "",
                          *(f"{c.path}:{gen.inputs.checked[c.path].sha256}" for c in mine)]
                if len(shown) == most:
                    break
        if not shown:
            continue  # (no finished week names it yet)
        name = cfg.values["COUNTRY_WEEKLY_FEED_ATOM_SAVE_AS"].format(slug=group.slug)
        weekly.country_feeds.append((country, name))
        sig = signature(parts)
        if not out.carry_if(name, sig):
            out.claim(name, sig)
            out.job("weekly-feed", shown, country)


def cfg_max(gen) -> int:
    return gen.cfg["DIGEST_WEEKLY_FEED_MAX"]


def write_weeks_data(gen, weekly: Weekly, name: str) -> None:
    """`data/weeks.json`: each finished issue, its address, its count and when it was final,
    with what the next build needs to tell whether it changed since (see content/release.py)."""
    site = gen.settings.get("SITEURL", "").rstrip("/")
    rows = [dict(r, url=f"{site}/{r['url']}") for r in weekly.records.values()]
    target = sanitised_join(gen.output_path, name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        json.dump({"version": 1, "weeks": rows}, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


def write_weekly_feed(gen, weekly: Weekly, shown: list[str], country: Country | None) -> None:
    """The feed of finished weeks (or of those naming `country`): each entry the whole
    issue (or the issue cut to the country), its links absolute."""
    settings = gen.settings
    site = settings.get("SITEURL", "").rstrip("/")
    sitename = settings.get("SITENAME", "Digest")
    if country is None:
        path = gen.cfg.values["WEEKLY_FEED_ATOM_SAVE_AS"]
        weeks_url = gen.cfg.values["WEEKS_URL"] if gen.cfg.values["WEEKS_SAVE_AS"] else ""
        heading = f"{sitename}: the weekly issue"
    else:
        path = gen.cfg.values["COUNTRY_WEEKLY_FEED_ATOM_SAVE_AS"].format(slug=country.slug)
        weeks_url = gen.view.country_url(country) or ""
        heading = f"{sitename}: the weekly issue, {country.name}"
    feed = DigestAtom(title=heading, link=f"{site}/{weeks_url}",
                      description="", feed_url=f"{site}/{path}", feed_guid=f"{site}/{path}",
                      language=settings.get("DEFAULT_LANG", "en"))
    template = gen.get_template("week_entry")
    for week in shown:
        data = weekly.issue(week, country)
        context = gen.context.copy()
        context.update(SITEURL=site, localsiteurl=None, output_file=path, issue=data)
        url = f"{site}/{weekly.url(week)}"
        updated = max(date_key(e.clipping.date) for _s, es in data["sections"] for e in es)
        closes = data["closes"]
        monday, sunday = data["monday"], data["sunday"]
        summary = f"{data['count']} clipping{'' if data['count'] == 1 else 's'}, " \
                  f"{monday:%-d %B} to {sunday:%-d %B %Y}"
        if data["busiest"]:
            summary += "; busiest pairs: " + ", ".join(f"{p.name} ({n})"
                                                       for p, n in data["busiest"])
        title = f"{sitename}, week {data['number']} of {data['year']}"
        if country is not None:
            title += f", {country.name}"
        feed.add_item(title=f"{title}: {data['title']}" if data["title"] else title,
                      link=url, unique_id=url, description=html.escape(summary),
                      content=template.render(context), author_name=sitename,
                      pubdate=closes, updateddate=max(closes, updated, *(
                          [dt.datetime.combine(data["updated"], dt.time(), closes.tzinfo)]
                          if data["updated"] else [])))
    target = sanitised_join(gen.output_path, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    buffer = io.StringIO()
    feed.write(buffer, "utf-8")
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(buffer.getvalue())
