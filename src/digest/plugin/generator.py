"""The Pelican generator for the digest's own pages: clipping pages, listings, month pages,
indexes, the home page, feeds and the open data files, one method per page kind."""

from __future__ import annotations

import html
import os
import re
import sys
import time
from pathlib import PurePosixPath
from typing import Any

from pelican import signals
from pelican.generators import Generator
from pelican.utils import get_relative_path, path_to_url, sanitised_join

from digest.content.render import script_problems
from digest.core.model import Clipping
from digest.core.urls import DEFAULT_PATTERN, addresses
from digest.errors import DigestError
from digest.incremental.plan import ALWAYS, listing_owner
from digest.plugin.data import DATA_FILES, write_data
from digest.plugin.feeds import write_feed
from digest.plugin.inputs import RenderResult, RenderSession
from digest.plugin.months import month_pages
from digest.plugin.planner import Planner, fixed_signature, signature
from digest.plugin.settings import LISTINGS, PLURALS, PREFIX, digest_settings
from digest.plugin.view import (
    KIND_TITLES,
    ArticleView,
    Entry,
    PerClipping,
    SiteView,
    make_entry,
)
from digest.plugin.weekly import week_pages, write_weekly_feed, write_weeks_data
from digest.workers import fork_jobs, parallel, run_jobs

GROUP = "group"  # the signature of a listing's first page and feed (rendered when it is reached)
_INTERNAL_LINK = re.compile(r'\b(href|src)="\{(filename|static|attach)\}([^"]*)"')


class DigestGenerator(Generator):
    """Writes the digest's pages from the clippings `digest build` checked (its
    `RenderSession`, given to the class made for that build by `bound`).

    Every page has a signature of what it shows (content hashes, neighbours, related
    clippings); where the build plan is incremental, a page the last build wrote with the same
    signature is kept, and the files of listings no changed clipping belongs to are kept
    without being planned again.
    """

    session: RenderSession | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.session is None:
            raise DigestError("the digest's pages are made by `digest build`, not by Pelican "
                              "alone: run `digest build`")
        self.cfg = digest_settings(self.settings)
        self.inputs = self.session.inputs
        self.plan = self.inputs.plan
        self.index = self.inputs.index
        self.result = RenderResult()

    @classmethod
    def bound(cls, session: RenderSession) -> type[DigestGenerator]:
        """The generator class of one build (Pelican makes its generators from classes)."""
        return type(cls.__name__, (cls,), {"session": session})

    def generate_context(self) -> None:
        # The theme does not change while a build renders it: without this, every page's
        # `{% extends %}` and `{% import %}` look at their templates' files again.
        self.env.auto_reload = False
        lang = self.settings.get("DEFAULT_LANG", "en")
        pattern_url = self.settings.get("ARTICLE_URL") or DEFAULT_PATTERN
        self.pattern_save = self.settings.get("DIGEST_ARTICLE_SAVE_AS") or ""
        self._save_as = addresses(self.pattern_save, lang)
        # Every clipping's address, once, when first asked for: pages, listings and the data
        # files all need them, and a small change keeps most clipping pages unplanned.
        self.urls = urls = PerClipping(addresses(pattern_url, lang))
        # The usual settings save a clipping's page as index.html at its address.
        self._save_is_url = self.pattern_save == pattern_url + "index.html"
        checked, memory = self.inputs.checked, self.inputs.memory

        def entry(c: Clipping) -> Entry:
            item = checked[c.path]
            text = item.summary if item.summary is not None else memory.summary(item)
            return make_entry(c, urls.of(c), text)

        def prefetch(paths: list[str]) -> None:  # the summaries of many entries in one go
            if memory is not None:
                memory.load_summaries([checked[path] for path in paths])

        # Entries are made when first asked for: an incremental build needs few of them.
        self.view = SiteView(self.cfg, self.index, PerClipping(entry), prefetch,
                             self.inputs.notes)
        self.context["digest"] = self.view
        self.context["digest_nav"] = self.view.nav(self.context.get("pages", []))
        self.context["digest_feed"] = self.view.feed_url(None)
        self.context["KIND_TITLES"] = KIND_TITLES

    def article_save_as(self, c: Clipping) -> str:
        if not self.pattern_save:
            return ""
        return self.urls.of(c) + "index.html" if self._save_is_url else self._save_as(c)

    # output ---------------------------------------------------------------------------
    def generate_output(self, writer) -> None:
        if self.inputs.email is not None:  # `digest weekly`: the one issue, as an email
            from digest.plugin.email import write_email

            self.result.email = write_email(self, self.inputs.email)
            self.session.result = self.result
            return
        out = Planner(self.plan)
        started: list[tuple[int, int]] = []
        # The data files and the build's own work beside (its snapshot) cover every clipping:
        # a process of their own starts on them now, beside the planning and rendering of
        # pages (which, after a small change, take less time than they do).
        folder = self.cfg["DIGEST_DATA_SAVE_AS"]
        beside = [("data",)] if folder else []
        beside += [("beside", work) for work in self.inputs.beside]
        out.files.update({f"{folder}{name}": ALWAYS for name in DATA_FILES} if folder else {})
        if beside and parallel(self.inputs.jobs) > 1:
            started.append(fork_jobs(beside, self._run_job))
        else:
            out.jobs.extend(beside)
        try:
            self.clipping_pages(out)
            for kind in LISTINGS:
                self.listing_pages(out, kind)
                self.index_page(out, kind)
            self.home_and_month_pages(out)
            self.weekly = week_pages(self, out)
            self.fixed_pages(out)
            if self.cfg["DIGEST_ADMIN"]:
                from digest.plugin.admin import admin_pages

                admin_pages(self, out)
            self.digest_feed(out)
            try:
                run_jobs(out.jobs, self._run_job, self.inputs.jobs, started)
            finally:
                started.clear()  # (collected by run_jobs, whatever happened)
        except BaseException:
            for pid, read_end in started:  # leave no child behind: let it finish, collect it
                try:
                    with os.fdopen(read_end, "rb") as fh:
                        fh.read()
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            raise
        self.result.files, self.result.owners = out.files, out.owners
        self.result.rendered = out.rendered
        self.session.result = self.result

    # page kinds -----------------------------------------------------------------------
    def clipping_pages(self, out: Planner) -> None:
        """A page per clipping (and a redirect page per earlier address): kept from the last
        build where the plan puts it out of reach of every change. (The build records each
        page's owner, its clipping's file, from `article_pages`.)"""
        if not self.pattern_save:
            return
        template = self.get_template("article")
        plan, pages, files = self.plan, self.result.article_pages, out.files
        incremental = plan.candidates is not None
        kept = plan.kept_pages(self.index.clippings)
        for c in self.index.clippings:
            found = kept.get(c.path)
            if found is not None and found not in files and not c.redirect_from:
                pages[c.path] = found
                out.keep(found)
                continue
            name = pages[c.path] = self.article_save_as(c)
            self._redirect_pages(out, c)
            if incremental and c.path not in plan.candidates and out.carry(name):
                continue
            out.write(name, template, sig=self._article_sig(c),
                      clipping=c, category=None, url=self.view.entry(c).url, blog=True,
                      template_name="article")

    def _redirect_pages(self, out: Planner, c: Clipping) -> None:
        for old in c.redirect_from:  # an earlier address: a page that sends readers on
            url = self.view.entry(c).url
            out.write(f"{old}index.html", self.get_template("redirect"),
                      sig=f"redirect:{signature([url, c.title])}", url=old, target=url,
                      title=c.title, template_name="redirect")

    def _article_sig(self, c: Clipping) -> str:
        view, checked = self.view, self.inputs.checked
        parts = [checked[c.path].sha256, c.path]
        for pair in c.pairs:
            older, newer = view.neighbours(c, pair)
            parts.append(f"{pair.slug}:{bool(view.pair_url(pair))}")
            for near in (older, newer):  # (their titles and dates are shown)
                parts.append(f"{near.url}:{checked[near.clipping.path].sha256}" if near else "")
        for r in view.related(c):
            parts.append(f"r:{r.url}:{checked[r.clipping.path].sha256}")
        return signature(parts)

    def listing_pages(self, out: Planner, kind: str) -> None:
        """Each listing of a kind: its first page, month pages and feed."""
        key, plan = PREFIX[kind], self.plan
        for group in self.index.groups[kind]:
            owner = listing_owner(kind, group.slug)
            url = self.view.listing_url(kind, group.slug)
            name = self.cfg.save_as(key, slug=group.slug) if url else ""
            # A listing's pages show its name, which comes from its clippings' spelling; the
            # first page of a country or pair also shows its trend table, which changes
            # when a new month begins, with no clipping of the listing changed.
            named = signature([group.name])
            kept = plan.kept_listing(kind, group.slug)
            anchor = self.view.trend_anchor(group)  # "": no trend table
            if kept is not None:  # no clipping or note of it changed: every file as last
                # time, but for the first page when a month began (its table starts there)
                stale = bool(anchor) and bool(name) and name in kept and \
                    (plan.signature(name) or "").split(":")[2:3] != [anchor]
                sig = self._listing_sig(group, named, anchor) if stale else ""
                for file in kept:
                    if not (stale and file == name):
                        out.claim(file, plan.signature(file), owner)
                if stale:
                    self._listing_page(out, kind, group, url, name, sig, owner)
                continue
            sig = self._listing_sig(group, named, anchor)
            touched = plan.reaches(kind, group.slug)
            last = plan.signature(name) if name else None
            renamed = bool(name) and not plan.full and (last or "").split(":")[1:2] != [named]
            if name and (touched or last != sig or not out.carry(name)):
                self._listing_page(out, kind, group, url, name, sig, owner)
            if url and not self.view.whole(kind, group.slug) and \
                    self.cfg.values[f"{key}_MONTH_SAVE_AS"]:
                month_pages(self, out, self.get_template("month"), kind, group, renamed,
                            group.months())
            feed = self.view.feed_url(kind, group.slug)
            if feed and not (not touched and out.carry(feed)):
                out.claim(feed, GROUP, owner)
                out.job("feed", kind, group)

    def _listing_sig(self, group, named: str, anchor: str) -> str:
        """A listing's first page's signature: its name, and its trend table's month and
        rows where it has one (`group:NAME:MONTH:ROWS`)."""
        if not anchor:
            return f"{GROUP}:{named}"
        return f"{GROUP}:{named}:{anchor}:{self.view.trend_signature(group)}"

    def _listing_page(self, out: Planner, kind: str, group, url: str, name: str, sig: str,
                      owner: str) -> None:
        """A listing's first page: every clipping by month (a short listing), or its latest."""
        whole = self.view.whole(kind, group.slug)
        shown = group.clippings if whole else group.clippings[:self.cfg["DIGEST_LISTING_LATEST"]]
        out.write(name, self.get_template("listing"), sig=sig, owner=owner, force=True,
                  url=url, kind=kind, group=group, whole=whole, months=group.months(),
                  entries=self.view.entries(shown), template_name="listing",
                  page_name=url.rstrip("/"))

    def index_page(self, out: Planner, kind: str) -> None:
        """The index of a kind's listings (the countries page has the matrix)."""
        if not self.view.index_url(kind):
            return
        key = PLURALS[kind].upper()
        groups = self.index.pairs_busiest() if kind == "pair" else self.index.groups[kind]
        extra = {"matrix": self.view.matrix(), "world_map": self.view.world_map()} \
            if kind == "country" else {}
        template = PLURALS[kind] if kind in ("country", "pair") else "groups"
        out.write(self.cfg.values[f"{key}_SAVE_AS"], self.get_template(template),
                  url=self.cfg.values[f"{key}_URL"], kind=kind, groups=groups,
                  template_name=PLURALS[kind], **extra)

    def home_and_month_pages(self, out: Planner) -> None:
        months = list(self.index.by_month.items())
        out.write("index.html", self.get_template("index"), url="",
                  entries=self.view.entries(self.index.clippings[: self.cfg["DIGEST_HOME_LATEST"]]),
                  busiest=self.index.busiest_pairs(self.cfg["DIGEST_HOME_PAIR_DAYS"]),
                  rises=self.view.rises(),
                  months=months, template_name="index", page_name="index")
        if self.cfg.values["MONTH_SAVE_AS"]:
            month_pages(self, out, self.get_template("month"), None, None, False, months)
        if self.cfg.values["MONTHS_SAVE_AS"]:
            out.write(self.cfg.values["MONTHS_SAVE_AS"], self.get_template("months"),
                      url=self.cfg.values["MONTHS_URL"], months=months, template_name="months")

    def fixed_pages(self, out: Planner) -> None:
        """The search and 404 pages show no clipping: settings and theme alone make them."""
        fixed = fixed_signature(self.index)
        if self.cfg.values["SEARCH_SAVE_AS"]:
            out.write(self.cfg.values["SEARCH_SAVE_AS"], self.get_template("search"),
                      sig=fixed, url=self.cfg.values["SEARCH_URL"], template_name="search")
        # The 404 page is served at any depth, so its links cannot be relative.
        out.write("404.html", self.get_template("404"), sig=fixed, relative_urls=False,
                  url="404.html", template_name="404")

    def digest_feed(self, out: Planner) -> None:
        feed = self.view.feed_url(None)
        if feed:
            out.claim(feed, ALWAYS)
            out.job("feed", None, None)

    # rendering ------------------------------------------------------------------------
    def _html(self, c: Clipping) -> str:
        """The excerpt HTML of a clipping, read from the store when its page is written (a
        cold build does not hold every excerpt in memory)."""
        item, memory = self.inputs.checked[c.path], self.inputs.memory
        if item.html is not None or memory is None:
            return item.html or ""
        return memory.html(item.sha256, item.rel)

    def _run_job(self, job: tuple) -> None:
        if job[0] == "data":
            started = time.perf_counter()
            self._data()
            if os.environ.get("DIGEST_TIMINGS"):
                print(f"data files: {time.perf_counter() - started:.2f} s", file=sys.stderr)
        elif job[0] == "beside":
            job[1]()
        elif job[0] == "weekly-feed":
            write_weekly_feed(self, self.weekly, job[1], job[2])
        elif job[0] == "admin":
            from digest.plugin.admin import write_admin_job

            write_admin_job(self, *job[1:])
        elif job[0] == "weeks-data":
            write_weeks_data(self, self.weekly, job[1])
        elif job[0] == "feed":
            write_feed(self.output_path, self.settings, self.view, self.index, job[1], job[2])
        else:
            self._page_job(*job[1:])

    def _page_job(self, name: str, template, kwargs: dict[str, Any]) -> None:
        # (a copy: the job list lives until every page is written, and a clipping's page
        # holds its excerpt's HTML, read from the store for it alone)
        kwargs = {"relative_urls": self.settings["RELATIVE_URLS"], **kwargs}
        c = kwargs.pop("clipping", None)
        if c is not None:
            siteurl = (path_to_url(get_relative_path(name)) if kwargs["relative_urls"]
                       else self.settings.get("SITEURL", ""))
            entry = self.view.entry(c)
            content = self._links(self._html(c), c, siteurl)
            kwargs["article"] = ArticleView(c, entry.summary, content, entry.url)
        self._write_page(name, template, kwargs)

    def _data(self) -> None:
        folder = self.cfg["DIGEST_DATA_SAVE_AS"]
        plan = self.plan
        last = os.path.join(plan.live, folder) if not plan.full and plan.live else None
        write_data(sanitised_join(self.output_path, folder),
                   self.settings.get("SITEURL", "").rstrip("/"), self.index,
                   self.inputs.checked, self.urls.of, self.view.listing_url,
                   self.inputs.memory, last)

    def _write_page(self, name: str, template, kwargs: dict[str, Any]) -> None:
        """Render and write one page as Pelican's writer does (relative SITEURL, output_file,
        the content_written signal), refusing a page with a script the theme did not write."""
        context = self.context.copy()
        context["localsiteurl"] = None
        if kwargs.pop("relative_urls"):
            context["SITEURL"] = context["localsiteurl"] = path_to_url(get_relative_path(name))
        context["output_file"] = name
        context.update(kwargs)
        page = template.render(context)
        found = script_problems(page)
        if found:
            raise DigestError(f"{name}: {found[0]}: nothing was published")
        path = sanitised_join(self.output_path, name)
        make_folder(os.path.dirname(path))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        signals.content_written.send(path, context=context)

    def _links(self, content: str, c: Clipping, siteurl: str) -> str:
        """`{filename}`, `{static}` and `{attach}` links as addresses (checked by the build)."""
        if "{" not in content:
            return content

        def replace(m: re.Match) -> str:
            attr, kind, target = m.group(1), m.group(2), html.unescape(m.group(3))
            path, sep, frag = target.partition("#")
            base = PurePosixPath("clippings", *PurePosixPath(c.path).parts[-3:-1])
            rel = PurePosixPath(path.lstrip("/")) if path.startswith("/") else base / path
            url = rel.as_posix()
            if kind == "filename" and rel.parts[:1] == ("clippings",):
                found = self._by_rel().get(rel.as_posix())
                url = self.view.entry(found).url if found else url
            elif kind == "filename" and rel.parts[:1] == ("pages",):
                found = {p.relative_source_path: p.url for p in self.context.get("pages", [])}
                url = found.get(rel.as_posix(), url)
            return f'{attr}="{html.escape(f"{siteurl}/{url}{sep}{frag}")}"'

        return _INTERNAL_LINK.sub(replace, content)

    def _by_rel(self) -> dict[str, Clipping]:
        found = self.__dict__.get("_rel_map")
        if found is None:
            checked = self.inputs.checked
            found = self._rel_map = {f"clippings/{checked[c.path].rel}": c
                                     for c in self.index.clippings}
        return found


def make_folder(folder: str) -> None:
    """os.makedirs(folder, exist_ok=True) in one call where the parent exists (most pages'
    folders: os.makedirs asks whether the parent exists first)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
