"""The Pelican generator for the digest's own pages: listings, month pages, indexes, feeds, data."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import sys
import time
from pathlib import PurePosixPath
from typing import Any

from feedgenerator import Atom1Feed, get_tag_uri
from pelican import signals
from pelican.generators import Generator
from pelican.utils import get_relative_path, path_to_url, sanitised_join

from digest.content.render import script_problems
from digest.core import index as index_module
from digest.core.gazetteer import load_gazetteer
from digest.core.index import DigestIndex, Group
from digest.core.model import Clipping, Country, Pair, date_key, slugify
from digest.core.urls import DEFAULT_PATTERN, _addresses
from digest.errors import DigestError
from digest.incremental.records import StoredClipping, read_all
from digest.incremental.snapshot import Snapshot
from digest.plugin.data import (
    _CSV_HEAD,
    _JSON_HEAD,
    _JSON_TAIL,
    _NEEDS_QUOTING,
    _abs,
    _csv_cell,
    _LastData,
    _splice,
    _write_json,
)
from digest.plugin.inputs import SiteInput
from digest.plugin.settings import LISTINGS, PLURALS, PREFIX, digest_settings
from digest.plugin.view import (
    KIND_TITLES,
    ArticleView,
    Entry,
    SiteView,
    _PerClipping,
    make_entry,
)
from digest.workers import fork_jobs, parallel, run_jobs

# Page signatures: ALWAYS pages are rendered on every build (home, indexes, data); GROUP pages
# (a listing's first page, its feed) whenever a clipping of the listing changed.
ALWAYS = "*"


GROUP = "group"


DATA_FILES = ("clippings.json", "clippings.csv", "pairs.json", "countries.json")


_INTERNAL_LINK = re.compile(r'\b(href|src)="\{(filename|static|attach)\}([^"]*)"')


def _owner(kind: str, slug: str) -> str:
    """The prefix of the signatures of a listing's files (its pages and feed), by which the
    next build finds them all: `@country/kyrgyzstan@`."""
    return f"@{kind}/{slug}@"


def _page_owner(rel: str) -> str:
    """The prefix of the signature of a clipping's page (by its file, `2021/04/a.md`, whose
    name a clipping's path is checked to have): `@=2021/04/a.md@`."""
    return f"@={rel}@"


def _sig(parts: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


class DigestGenerator(Generator):
    """Writes clipping pages, country, pair, region, category, source and topic listings with
    their month pages and feeds, the index pages, the home page and the open data files.

    The clippings come checked and rendered from `digest build` (`DIGEST_INPUT`), not from
    Pelican's article reader. When the last build's manifest is given, only the pages whose
    inputs changed are rendered: every page has a signature of what it shows (content hashes,
    neighbours, related clippings), and pages of listings no changed clipping belongs to keep
    theirs.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cfg = digest_settings(self.settings)
        self.index: DigestIndex | None = None
        self.view: SiteView | None = None
        self._owned_files: dict[str, list[str]] | None = None
        self._page_of: dict[str, str | None] = {}
        self.input: SiteInput = self.settings.get("DIGEST_INPUT") or SiteInput()

    def generate_context(self) -> None:
        inp = self.input
        self.pattern_url = self.settings.get("ARTICLE_URL") or DEFAULT_PATTERN
        self.pattern_save = self.settings.get("DIGEST_ARTICLE_SAVE_AS") or ""
        lang = self.settings.get("DEFAULT_LANG", "en")
        checked = inp.checked
        self._url = _addresses(self.pattern_url, lang)
        self._save_as = _addresses(self.pattern_save, lang)
        # Every clipping's address, once: pages, listings and the data files all need them
        # (made when first asked for: a small change keeps most clipping pages by the owner
        # in their signatures, and the data files are written by a process of their own).
        self.urls = urls = _PerClipping(self._url)
        # The usual settings save a clipping's page as index.html at its address.
        self._save_is_url = self.pattern_save == self.pattern_url + "index.html"

        def entry(c: Clipping) -> Entry:
            item = checked[c.path]
            text = item.summary if item.summary is not None else inp.store.summary(item)
            return make_entry(c, urls.of(c), html.escape(text))

        def prefetch(paths: list[str]) -> None:  # the summaries of many entries in one go
            if inp.store is not None:
                inp.store.load_summaries([checked[path] for path in paths])

        # Entries are made when first asked for: an incremental build needs few of them.
        entries = _PerClipping(entry)
        pair_min = self.cfg["DIGEST_PAIR_MIN_CLIPPINGS"]
        self.index = None
        if inp.restored is not None:  # the last build's index, with the changes made
            snapshot, kept = inp.restored
            added = [c for c in inp.clippings if type(c) is not StoredClipping]
            try:
                self.index = DigestIndex.restore(snapshot, kept, added, load_gazetteer(),
                                                 pair_min, read_all)
            except (ValueError, KeyError, IndexError, TypeError):  # a damaged snapshot: afresh
                self.index = None
        if self.index is None:
            self.index = DigestIndex(inp.clippings, pair_min)
        inp.index = self.index
        inp.article_save_as = self.article_save_as
        self.view = SiteView(self.cfg, self.index, entries, prefetch)
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
        assert self.index is not None and self.view is not None
        inp = self.input
        self.previous = inp.previous
        self.touched = self._touched()
        jobs: list[tuple] = []
        planned: dict[str, str] = {}  # every file of this build → its signature
        self.planned = planned
        started: list[tuple[int, int]] = []
        folder = self.cfg["DIGEST_DATA_SAVE_AS"]
        # The data files and the build's snapshot (store.Snapshot) cover every clipping: a
        # process of their own starts on them now, beside the planning and rendering of pages
        # (which, after a small change, take less time than they do).
        beside = [("data",)] if folder else []
        if folder:
            planned.update({f"{folder}{name}": ALWAYS for name in DATA_FILES})
        if parallel(self.settings.get("DIGEST_JOBS")) > 1:
            if inp.snapshot is not None:
                beside.append(("snapshot",))
                inp.snapshot_forked = True
            if beside:
                started.append(fork_jobs(beside, self._run_job))
        else:
            jobs.extend(beside)
        try:
            self._plan_and_run(jobs, planned, started)
        except BaseException:
            for pid, read_end in started:  # leave no child behind
                os.close(read_end)
                os.waitpid(pid, 0)
            raise
        inp.planned = planned
        inp.rendered = sum(1 for j in jobs if j[0] == "page")

    def _plan_and_run(self, jobs: list[tuple], planned: dict[str, str],
                      started: list[tuple[int, int]]) -> None:
        """Plan every file of the build (into `planned`), then render those that changed."""

        def claim(name: str, sig: str) -> None:
            """Two files of one name would silently keep one: refuse, naming the file."""
            if name in planned:
                raise DigestError(f"two files would be written to {name}: a slug or a URL "
                                  "setting makes them collide")
            planned[name] = sig

        def write(name, template, context, sig=ALWAYS, force=False, **kwargs):
            """Plan a page: rendered unless the last build wrote it with the same signature."""
            if not name:
                return
            claim(name, sig)
            if force or sig == ALWAYS or self.previous is None or self.previous.get(name) != sig:
                jobs.append(("page", name, template, kwargs))

        def carry(name: str) -> bool:
            """Keep a page of the last build as it is, if it was written; False to render."""
            if self.previous is None or name not in self.previous or self.previous[name] == ALWAYS:
                return False
            claim(name, self.previous[name])
            return True

        self._article_jobs(write, carry)
        latest = self.cfg["DIGEST_LISTING_LATEST"]
        listing = self.get_template("listing")
        month_tpl = self.get_template("month")
        owned = self._owned()
        for kind in LISTINGS:
            key = PREFIX[kind]
            for group in self.index.groups[kind]:
                touched = (kind, group.slug) in self.touched
                owner = _owner(kind, group.slug)
                if not touched and owned is not None and owner in owned:
                    # No clipping of the listing changed: its pages (first page, month and
                    # day pages) and feed are the last build's, all of them.
                    for name in owned[owner]:
                        claim(name, self.previous[name])
                    continue
                url = self.view.listing_url(kind, group.slug)
                name = self.cfg.save_as(key, slug=group.slug) if url else ""
                whole = bool(url) and self.view.whole(kind, group.slug)
                # A listing's pages show its name, which comes from its clippings' spelling.
                sig = f"{owner}{GROUP}:{_sig([group.name])}"
                renamed = bool(name) and self.previous is not None \
                    and self.previous.get(name) != sig
                if name and not (not touched and carry(name)):
                    months = group.months()
                    shown = group.clippings if whole else group.clippings[:latest]
                    write(name, listing, self.context, sig=sig, force=True, url=url,
                          kind=kind, group=group, whole=whole,
                          months=months, entries=self.view.entries(shown),
                          template_name="listing", page_name=url.rstrip("/"))
                if url and not whole and self.cfg.values[f"{key}_MONTH_SAVE_AS"]:
                    self._group_months(write, carry, month_tpl, kind, group, renamed)
                feed = self.view.feed_url(kind, group.slug)
                if feed and not (not touched and carry(feed)):
                    claim(feed, f"{owner}{GROUP}")
                    jobs.append(("feed", kind, group))
            index_key = PLURALS[kind].upper()
            if self.view.index_url(kind):
                groups = (self.index.pairs_busiest() if kind == "pair"
                          else self.index.groups[kind])
                extra = {}
                if kind == "country":
                    extra["matrix"] = self.view.matrix()
                template = PLURALS[kind] if kind in ("country", "pair") else "groups"
                write(self.cfg.values[f"{index_key}_SAVE_AS"], self.get_template(template),
                      self.context, url=self.cfg.values[f"{index_key}_URL"], kind=kind,
                      groups=groups, template_name=PLURALS[kind], **extra)
        self._home_and_months(write, carry)
        # The search and 404 pages show no clipping: settings and theme alone make them.
        fixed = _sig(["fixed"])
        if self.cfg.values["SEARCH_SAVE_AS"]:
            write(self.cfg.values["SEARCH_SAVE_AS"], self.get_template("search"), self.context,
                  sig=fixed, url=self.cfg.values["SEARCH_URL"], template_name="search")
        # The 404 page is served at any depth, so its links cannot be relative.
        write("404.html", self.get_template("404"), self.context, sig=fixed,
              relative_urls=False, url="404.html", template_name="404")
        if self.view.feed_url(None):
            claim(self.view.feed_url(None), ALWAYS)
            jobs.append(("feed", None, None))
        self._load_html(jobs)
        try:
            run_jobs(jobs, self._run_job, self.settings.get("DIGEST_JOBS"), started)
        finally:
            started.clear()  # collected by run_jobs, whatever happened

    def _owned(self) -> dict[str, list[str]] | None:
        """The last build's files of each listing, by owner (`_owner`), from their signatures;
        None for a full build. Unless the index was restored from the last build's snapshot
        (which has each clipping's page), the clipping pages' owners (`_page_owner`) go to
        `_page_of`."""
        if self.previous is None:
            return None
        if self._owned_files is not None:
            return self._owned_files
        owned: dict[str, list[str]] = {}
        page_of: dict[str, str | None] = {}  # clipping file → its page (None: more than one)
        self._owned_files, self._page_of = owned, page_of
        pages = self.index is None or self.index.snapshot is None
        for name, sig in self.previous.items():
            if sig[:1] == "@":
                if sig[1] == "=":
                    if pages:
                        rel = sig[2:sig.index("@", 2)]
                        page_of[rel] = None if rel in page_of else name
                    continue
                owner = sig[:sig.index("@", 1) + 1]
                (owned.get(owner) or owned.setdefault(owner, [])).append(name)
        return owned

    def _touched(self) -> dict[tuple[str | None, str], set[str]]:
        """The listings (kind, slug) that an added, edited or removed clipping belongs to, each
        with the months (`YYYY/MM`) of those clippings; (None, "") is the whole digest."""
        out: dict[tuple[str | None, str], set[str]] = {}
        for c in self.input.changed:
            keys = [("country", x.slug) for x in c.countries]
            keys += [("pair", p.slug) for p in c.pairs]
            keys += [("region", r.slug) for r in c.regions]
            keys += [("topic", slugify(t)) for t in c.topics]
            keys += [("category", slugify(c.category)), ("source", slugify(c.source)),
                     (None, "")]
            for key in keys:
                out.setdefault(key, set()).add(c.month)
        return out

    def _candidates(self) -> set[str] | None:
        """Clippings whose page may differ from the last build's (None: all of them).

        A page shows its own clipping (its hash), its same-pair neighbours, whether its pairs
        have pages, and related clippings (only older ones, sharing a country). So a changed
        clipping can change its neighbours' pages in each of its pairs, every page of a pair
        that gained or lost its page, and pages of the clippings just newer than it in its
        countries and pairs (related clippings are older ones, chosen among the nearest).
        """
        if self.previous is None:
            return None
        index = self.index
        pair_min = self.cfg["DIGEST_PAIR_MIN_CLIPPINGS"]
        out: set[str] = set()
        delta: dict[Pair, int] = {}
        for d in self.input.changed:
            is_new = id(d) in self.input.fresh
            out.add(d.path)
            for pair in d.pairs:
                delta[pair] = delta.get(pair, 0) + (1 if is_new else -1)
                group = index.all_pairs.get(pair)
                if group is None:
                    continue
                # the clippings either side of where d is (or was) in the pair
                i = index._asc_keys.older(pair, d.sort_key)
                n = group.count
                for k in (i - 1, i, i + 1):
                    if 0 <= k < n:
                        out.add(group.clippings[n - 1 - k].path)
            # Related clippings are chosen among the RELATED_POOL clippings just older than a
            # page's in each of its countries and pairs: d can enter or leave only the choice
            # of the pages that many places newer than it.
            for key in (*d.countries, *d.pairs):
                out.update(c.path for c in index.newer(key, d.sort_key, index_module.RELATED_POOL + 1))
        for pair, change in delta.items():
            group = index.all_pairs.get(pair)
            now = group.count if group else 0
            if (now >= pair_min) != (now - change >= pair_min) and group:
                out.update(c.path for c in group.clippings)
        return out

    def _article_sig(self, c: Clipping) -> str:
        view = self.view
        parts = [self.input.checked[c.path].sha256, c.path]
        for pair in c.pairs:
            older, newer = view.neighbours(c, pair)
            parts.append(f"{pair.slug}:{bool(view.pair_url(pair))}:"
                         f"{older.url if older else ''}:{newer.url if newer else ''}")
        for r in view.related(c):
            parts.append(f"r:{r.url}:{self.input.checked[r.clipping.path].sha256}")
        return _page_owner(self.input.checked[c.path].rel) + _sig(parts)

    def _article_jobs(self, write, carry) -> None:
        """Clipping pages: written here, in parallel with the rest, instead of by Pelican
        (`digest build` gives Pelican no articles and keeps ARTICLE_SAVE_AS here)."""
        if not self.pattern_save:
            return
        template = self.get_template("article")
        candidates = self._candidates()
        pages = self.input.article_pages
        redirect = None
        save_as = self.article_save_as
        page_of = self._page_of if candidates is not None and self._owned() is not None \
            else None
        # (where the index was restored, the snapshot has each kept clipping's page)
        snapshot = self.index.snapshot if page_of is not None else None
        kept = snapshot.page_lines() if snapshot is not None else None
        checked, previous, planned = self.input.checked, self.previous, self.planned
        for c in self.index.clippings:
            if page_of is not None and c.path not in candidates:
                # An unchanged clipping out of reach of every change: its page is the last
                # build's (same file, same settings), which the last build's snapshot names,
                # or else found by the owner in its signature.
                d = c.__dict__
                if kept is None:
                    found = page_of.get(checked[c.path].rel)
                elif d.get("_snapshot") is snapshot:
                    found = kept[d["_at"]] or None
                else:  # (kept from the store, not from the snapshot: made again)
                    found = None
                if found is not None and not c.redirect_from and found not in planned \
                        and found in previous:
                    pages[c.path] = found
                    planned[found] = previous[found]
                    continue
            name = pages[c.path] = save_as(c)
            for old in c.redirect_from:  # an earlier address: a page that sends readers on
                redirect = redirect or self.get_template("redirect")
                url = self.view.entry(c).url
                write(f"{old}index.html", redirect, self.context,
                      sig=f"redirect:{_sig([url, c.title])}", url=old, target=url,
                      title=c.title, template_name="redirect")
            if candidates is not None and c.path not in candidates and carry(name):
                continue
            write(name, template, self.context, sig=self._article_sig(c), clipping=c,
                  category=None, url=self.view.entry(c).url, blog=True, template_name="article")

    def _load_html(self, jobs: list[tuple]) -> None:
        """Fetch the excerpt HTML of the clipping pages to render, before work is split."""
        checked = self.input.checked
        for job in jobs:
            if job[0] == "page" and "clipping" in job[3]:
                item = checked[job[3]["clipping"].path]
                if item.html is None:
                    item.html = self.input.store.html(item.sha256, item.rel)

    def _run_job(self, job: tuple) -> None:
        if job[0] == "data":
            started = time.perf_counter()
            self._data()
            if os.environ.get("DIGEST_TIMINGS"):
                print(f"data files: {time.perf_counter() - started:.2f} s", file=sys.stderr)
            return
        if job[0] == "feed":
            self._feed(job[1], job[2])
            return
        if job[0] == "snapshot":
            folder, token = self.input.snapshot
            Snapshot.write(folder, self.index, self.input.checked, token, self.article_save_as)
            return
        _, name, template, kwargs = job
        kwargs.setdefault("relative_urls", self.settings["RELATIVE_URLS"])
        c = kwargs.pop("clipping", None)
        if c is not None:
            siteurl = (path_to_url(get_relative_path(name)) if kwargs["relative_urls"]
                       else self.settings.get("SITEURL", ""))
            entry = self.view.entry(c)
            content = self._links(self.input.checked[c.path].html or "", c, siteurl)
            kwargs["article"] = ArticleView(c, entry.summary, content, entry.url)
        self._write_page(name, template, kwargs)

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
        os.makedirs(os.path.dirname(path), exist_ok=True)
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
        if not hasattr(self, "_rel_map"):
            self._rel_map = {f"clippings/{self.input.checked[c.path].rel}": c
                             for c in self.input.clippings}
        return self._rel_map

    def _month_save_as(self, kind: str | None, slug: str, month: str) -> str:
        year, mon = month.split("/")
        key = f"{PREFIX[kind]}_MONTH" if kind else "MONTH"
        return self.cfg.save_as(key, slug=slug, year=year, month=mon)

    def _group_months(self, write, carry, template, kind: str | None, group: Group | None,
                      renamed: bool, months=None) -> None:
        """The month pages of a listing (or of the whole digest, with no group)."""
        slug = group.slug if group else ""
        if months is None:
            months = group.months()
        redo = None  # the months whose pages may differ from the last build's; None: all
        if self.previous is not None and not renamed:
            # A month page shows its clippings and a link to the next older month: only the
            # months of changed clippings, and the month just newer than each, can differ.
            changed = self.touched.get((kind, slug), set())
            keys = [m for m, _ in months]  # newest first
            redo = set(changed)
            for month in changed:
                newer = [k for k in keys if k > month]
                if newer:
                    redo.add(newer[-1])
        for i, (month, clippings) in enumerate(months):
            if redo is not None and month not in redo:
                name = self._month_save_as(kind, slug, month)
                if self.previous.get(name, ALWAYS) != ALWAYS:
                    # As last time: the month page and its day pages.
                    carry(name)
                    if "/" in name:
                        for day_page in self._days_pages((name.rsplit("/", 1)[0] + "/days/",)):
                            carry(day_page)
                    continue
            save_as = self._month_save_as(kind, slug, month)
            older = months[i + 1][0] if i + 1 < len(months) else None
            self._month_pages(write, template, save_as, self.view.month_url(kind, slug, month),
                              clippings, older, kind=kind, group=group, month=month,
                              months=months)

    def _days_pages(self, prefixes: tuple[str, ...]) -> list[str]:
        if not prefixes or self.previous is None:
            return []
        if not hasattr(self, "_days_index"):
            index: dict[str, list[str]] = {}
            for name in self.previous:
                head, sep, _ = name.partition("/days/")
                if sep:
                    index.setdefault(head + "/days/", []).append(name)
            self._days_index = index
        return [n for p in prefixes for n in self._days_index.get(p, [])]

    def _month_pages(self, write, template, save_as: str, url: str, clippings: list[Clipping],
                     older: str | None, **kwargs) -> None:
        """A month page; a month with more than DIGEST_MONTH_MAX clippings lists its days,
        each on its own page (`.../days/DD/`), so that no page grows past its budget."""
        checked = self.input.checked
        group = kwargs["group"]
        head = [group.name if group else "", older or ""]
        owner = _owner(group.kind, group.slug) if group else ""
        if len(clippings) <= self.cfg["DIGEST_MONTH_MAX"]:
            sig = owner + _sig(head + [f"{c.path}:{checked[c.path].sha256}" for c in clippings])
            write(save_as, template, self.context, sig=sig, url=url,
                  entries=self.view.entries(clippings), template_name="month", **kwargs)
            return
        # Consecutive days, oldest first, packed into pages of at most DIGEST_MONTH_MAX
        # clippings (a busier day gets a page of its own): a page is named by its first day,
        # and a clipping added to the newest day changes only the last page.
        by_day: dict[int, list[Clipping]] = {}
        for c in clippings:  # newest first
            by_day.setdefault(c.day.day, []).append(c)
        ranges: list[list[int]] = []
        size = 0
        for d in sorted(by_day):
            if ranges and size + len(by_day[d]) <= self.cfg["DIGEST_MONTH_MAX"]:
                ranges[-1].append(d)
                size += len(by_day[d])
            else:
                ranges.append([d])
                size = len(by_day[d])
        ranges.reverse()  # listed newest first, as everything else
        folder = save_as.rsplit("/", 1)[0] + "/" if "/" in save_as else ""
        days = []
        for r in ranges:
            label = f"{r[0]}\u2013{r[-1]}" if len(r) > 1 else str(r[0])
            days.append((label, sum(len(by_day[d]) for d in r), f"{url}days/{r[0]:02d}/", r))
        write(save_as, template, self.context,
              sig=owner + _sig(head + [repr([d[:3] for d in days])]), url=url,
              entries=[], days=[d[:3] for d in days], template_name="month", **kwargs)
        for label, _n, page_url, r in days:
            cs = [c for d in reversed(r) for c in by_day[d]]
            sig = owner + _sig(head + [label]
                               + [f"{c.path}:{checked[c.path].sha256}" for c in cs])
            write(f"{folder}days/{r[0]:02d}/index.html", template, self.context, sig=sig,
                  url=page_url, entries=self.view.entries(cs), day=label, month_url=url,
                  template_name="month", **kwargs)

    def _home_and_months(self, write, carry) -> None:
        assert self.index is not None and self.view is not None
        months = list(self.index.by_month.items())
        write("index.html", self.get_template("index"), self.context, url="",
              entries=self.view.entries(self.index.clippings[: self.cfg["DIGEST_HOME_LATEST"]]),
              busiest=self.index.busiest_pairs(self.cfg["DIGEST_HOME_PAIR_DAYS"]),
              months=months, template_name="index", page_name="index")
        if self.cfg.values["MONTH_SAVE_AS"]:
            self._group_months(write, carry, self.get_template("month"), None, None, False,
                               months)
        if self.cfg.values["MONTHS_SAVE_AS"]:
            write(self.cfg.values["MONTHS_SAVE_AS"], self.get_template("months"), self.context,
                  url=self.cfg.values["MONTHS_URL"], months=months, template_name="months")

    # feeds --------------------------------------------------------------------------
    def _feed(self, kind: str | None, group: Group | None) -> None:
        assert self.index is not None and self.view is not None
        slug = group.slug if group else ""
        path = self.view.feed_url(kind, slug)
        if not path:
            return
        site = self.settings.get("SITEURL", "").rstrip("/")
        sitename = self.settings.get("SITENAME", "Digest")
        clippings = (group.clippings if group else self.index.clippings)
        clippings = clippings[: self.cfg["DIGEST_FEED_MAX_ITEMS"]]
        if group:
            title = f"{sitename}: {group.name}"
            link = self.view.listing_url(kind, slug) or ""
        else:
            title, link = sitename, ""
        feed = Atom1Feed(title=title, link=f"{site}/{link}", description="",
                         feed_url=f"{site}/{path}", language=self.settings.get("DEFAULT_LANG", "en"),
                         feed_guid=f"{site}/{path}")
        for c, entry in zip(clippings, self.view.entries(clippings)):
            url = f"{site}/{entry.url}"
            feed.add_item(
                title=c.title, link=url, description=entry.summary,
                unique_id=get_tag_uri(url, c.day) if site else url,
                author_name=c.author or None, pubdate=date_key(c.date), updateddate=date_key(c.date),
                categories=[x.name for x in c.countries] + [r.name for r in c.regions]
                + list(c.topics),
            )
        target = sanitised_join(self.output_path, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        buffer = io.StringIO()
        feed.write(buffer, "utf-8")
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(buffer.getvalue())

    # open data ----------------------------------------------------------------------
    def _data(self) -> dict[str, str]:
        assert self.index is not None and self.view is not None
        folder = self.cfg["DIGEST_DATA_SAVE_AS"]
        if not folder:
            return {}
        site = self.settings.get("SITEURL", "").rstrip("/")
        out = sanitised_join(self.output_path, folder)
        os.makedirs(out, exist_ok=True)
        # Each clipping's record was serialised when it was checked (and is kept with the
        # check): only its address is added here. The rows of clippings unchanged since the
        # last build are that build's, copied from its files a run of rows at a time. The
        # rows are bytes, as the store gives them: 20,000 clippings make 20 MB of text.
        checked, store = self.input.checked, self.input.store
        clippings = self.index.clippings[::-1]  # oldest first
        items = [checked[c.path] for c in clippings]
        keys = [item.sha256 + item.rel for item in items]
        last = _LastData.read(os.path.join(self.input.live, folder), store.data_layout()) \
            if self.input.live is not None and self.previous is not None \
            and store is not None else None
        fresh = [n for n, key in enumerate(keys) if last is None or key not in last.pos]
        wanted = [(items[n].sha256, items[n].rel) for n in fresh if items[n].data is None]
        stored = store.data_rows(wanted if last is not None else None) \
            if wanted and store is not None else {}
        # (json.dumps(x, **options) would make an encoder per call)
        dumps = json.JSONEncoder(ensure_ascii=False).encode

        def row(n: int) -> tuple[bytes, bytes]:
            item = items[n]
            base = stored[(item.sha256, item.rel)] if item.data is None else \
                (item.data[0].encode(), item.data[1].encode())
            url = f"{site}/{self.urls.of(clippings[n])}"
            # An address made of slugs and a pattern (the usual case) needs no quoting.
            if not _NEEDS_QUOTING.search(url):
                link = url.encode()
                return b'%s,"url":"%s"}' % (base[0], link), b"%s,%s\n" % (base[1], link)
            return (b'%s,"url":%s}' % (base[0], dumps(url).encode()),
                    b"%s,%s\n" % (base[1], _csv_cell(url).encode()))

        made = _splice(keys, last, row)
        files = {"clippings.json": _JSON_HEAD + b",".join(made.json) + _JSON_TAIL,
                 "clippings.csv": _CSV_HEAD + b"".join(made.csv)}
        for name, data in files.items():
            with open(os.path.join(out, name), "wb") as fh:
                fh.write(data)
        if store is not None:
            store.save_data_layout({
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
                "keys": "\0".join(keys), "json": made.json_len, "csv": made.csv_len})
        pairs = []
        for group in self.index.pairs_busiest():
            pair: Pair = group.entity
            pairs.append({
                "pair": pair.key, "slug": pair.slug, "name": pair.name,
                "countries": [pair.a.code, pair.b.code],
                "country_names": [pair.a.name, pair.b.name],
                "count": group.count, "first": group.first.day.isoformat(),
                "last": group.last.day.isoformat(),
                "url": _abs(site, self.view.listing_url("pair", pair.slug)),
            })
        _write_json(os.path.join(out, "pairs.json"), {"version": 1, "pairs": pairs})
        countries = []
        for group in self.index.groups["country"]:
            country: Country = group.entity
            countries.append({
                "code": country.code, "name": country.name, "slug": country.slug,
                "count": group.count, "first": group.first.day.isoformat(),
                "last": group.last.day.isoformat(),
                "partners": [{"code": p.b.code if p.a.code == country.code else p.a.code,
                              "count": n} for p, n in self.index.partners(country)],
                "url": _abs(site, self.view.listing_url("country", country.slug)),
            })
        _write_json(os.path.join(out, "countries.json"), {"version": 1, "countries": countries})
        return {f"{folder}{name}": ALWAYS for name in DATA_FILES}
