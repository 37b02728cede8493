"""The weekly issue: a page per ISO week, the index of weeks and the feed of finished weeks."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from bs4 import BeautifulSoup

from digest.build import build
from digest.core.weeks import closes_at, parse_closes, week_days, week_of
from digest.errors import DigestError
from tests.conftest import Site, clipping_text
from tests.test_incremental import CONF, _assert_same_as_cold


def test_iso_weeks_and_when_they_close():
    assert week_of(dt.date(2021, 8, 18)) == "2021-W33"
    assert week_of(dt.date(2021, 1, 3)) == "2020-W53"  # ISO: the week of 3 January 2021
    assert week_days("2021-W33") == (dt.date(2021, 8, 16), dt.date(2021, 8, 22))
    utc = dt.timezone.utc
    assert closes_at("2021-W33", parse_closes("Monday 00:00"), utc) == \
        dt.datetime(2021, 8, 23, tzinfo=utc)
    assert closes_at("2021-W33", parse_closes("tuesday 09:30"), utc) == \
        dt.datetime(2021, 8, 24, 9, 30, tzinfo=utc)
    with pytest.raises(ValueError, match="'Monday 00:00'"):
        parse_closes("Mon")


def _week(site: Site) -> None:
    site.add("2021/08/a.md", clipping_text(title="Border talks", date="2021-08-16",
                                           body="Delegations met in Batken. More follows."))
    site.add("2021/08/b.md", clipping_text(title="Clash at Vorukh", date="2021-08-18",
                                           source_url="https://rferl.org/a/1.html"))
    site.add("2021/08/c.md", clipping_text(title="Water deal", date="2021-08-19",
                                           countries=["Uzbekistan", "Tajikistan", "Kyrgyzstan"]))
    site.add("2021/08/d.md", clipping_text(title="Moscow talks", date="2021-08-20",
                                           countries=["Russia"]))
    site.add("2021/08/e.md", clipping_text(title="Earlier week", date="2021-08-10"))


def test_a_week_page_groups_its_clippings_by_the_busiest_pair(site):
    _week(site)
    build(site.project)
    page = BeautifulSoup(site.read("weekly/2021-W33/index.html"), "html.parser")
    assert page.h1.get_text() == "Week 33 of 2021"
    assert "16 August to 22 August 2021 · 4 clippings" in page.select_one("p.meta").get_text()
    heads = [h.get_text(" ", strip=True) for h in page.select("section.issue-section h2")]
    assert heads == ["Kyrgyzstan–Tajikistan (3)", "Russia (1)"]  # each clipping once
    first = page.select("ul.issue")[0]
    titles = [a.get_text() for a in first.select("li > a")]
    assert titles == ["Water deal", "Clash at Vorukh", "Border talks"]
    assert first.select_one("p.original a")["href"] == "https://rferl.org/a/1.html"
    assert "Delegations met in Batken." in first.get_text()
    assert page.select_one("a[rel=prev]").get_text() == "← week 32"
    index = BeautifulSoup(site.read("weekly/index.html"), "html.parser")
    assert [a.get_text() for a in index.select("ol.weeks a")] == ["Week 33 of 2021",
                                                                 "Week 32 of 2021"]
    home = site.read("index.html")
    assert "The issue of week 33" in home and "weekly/2021-W33/" in home
    assert "The issue of week 32" in site.read("2021/08/index.html")


def test_the_feed_has_finished_weeks_whole_with_absolute_links(tmp_path, monkeypatch):
    site = Site(tmp_path, CONF)
    monkeypatch.chdir(tmp_path)
    _week(site)
    build(site.project, today=dt.date(2021, 8, 21))  # week 33 not over yet
    feed = feedparser.parse(site.read("feeds/weekly.atom.xml"))
    assert not feed.bozo
    assert [e.link for e in feed.entries] == ["https://digest.example.org/weekly/2021-W32/"]
    assert feed.entries[0].title.endswith(", week 32 of 2021")
    page = site.read("weekly/2021-W33/index.html")
    assert "in progress: the issue is final on 23 August at 00:00" in page
    build(site.project, today=dt.date(2021, 8, 23))
    feed = feedparser.parse(site.read("feeds/weekly.atom.xml"))
    assert [e.link for e in feed.entries] == ["https://digest.example.org/weekly/2021-W33/",
                                              "https://digest.example.org/weekly/2021-W32/"]
    content = BeautifulSoup(feed.entries[0].content[0].value, "html.parser")
    links = [a["href"] for a in content.find_all("a")]
    assert links and all(h.startswith("https://") for h in links)
    assert not content.find_all(["script", "img", "iframe", "style"])
    assert "in progress" not in site.read("weekly/2021-W33/index.html")


def _built_weeks(tmp_path, monkeypatch):
    """The two weeks built; the older week's page and its change time, to see it kept."""
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    _week(work)
    build(work.project)
    untouched = work.root / "output/weekly/2021-W32/index.html"
    return work, untouched, untouched.stat().st_mtime_ns


def test_a_clipping_added_to_last_week_renders_its_week_as_a_cold_build_does(tmp_path,
                                                                            monkeypatch):
    work, untouched, before = _built_weeks(tmp_path, monkeypatch)
    work.add("2021/08/f.md", clipping_text(title="Late news", date="2021-08-21"))
    report = build(work.project)
    assert report.incremental
    assert "Late news" in work.read("weekly/2021-W33/index.html")
    assert untouched.stat().st_mtime_ns == before
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)


def test_a_bad_closing_time_is_a_settings_error(tmp_path, monkeypatch):
    site = Site(tmp_path, CONF + 'DIGEST_WEEK_CLOSES = "Someday"\n')
    monkeypatch.chdir(tmp_path)
    site.add("2021/04/a.md", clipping_text())
    with pytest.raises(DigestError, match="DIGEST_WEEK_CLOSES must be a weekday and a time"):
        build(site.project)


INTRO = """---
title: Vorukh again
---

Fighting resumed at [Vorukh](https://rferl.org/a/vorukh.html) on Wednesday.
<script>alert(1)</script>
"""


def _write_intro(site: Site, week: str, text: str) -> None:
    folder = site.root / "content" / "weekly"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{week}.md").write_text(text, encoding="utf-8")


def test_an_editors_introduction_heads_its_issue_page_and_feed_entry(tmp_path, monkeypatch):
    work, untouched, before = _built_weeks(tmp_path, monkeypatch)
    _write_intro(work, "2021-W33", INTRO)
    report = build(work.project)
    assert report.incremental
    page = BeautifulSoup(work.read("weekly/2021-W33/index.html"), "html.parser")
    assert page.h1.get_text() == "Week 33 of 2021: Vorukh again"
    intro = page.select_one("div.intro")
    assert intro.a["href"] == "https://rferl.org/a/vorukh.html"
    assert not page.select("div.intro script") and "alert(1)" not in intro.get_text()
    feed = feedparser.parse(work.read("feeds/weekly.atom.xml"))
    assert feed.entries[0].title.endswith("week 33 of 2021: Vorukh again")
    assert "Fighting resumed at" in feed.entries[0].content[0].value
    assert untouched.stat().st_mtime_ns == before  # one week's introduction, one page
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)
    (work.root / "content/weekly/2021-W33.md").unlink()
    build(work.project)
    assert "Vorukh again" not in work.read("weekly/2021-W33/index.html")


@pytest.mark.parametrize("name, text, message", [
    ("2021-W33.md", "See ![map](https://x.org/m.png).\n",
     "2021-W33.md:1: an issue has no images"),
    ("2021-W33.md", "\n\nSee [the map](/maps/vorukh/).\n",
     "2021-W33.md:3: link '/maps/vorukh/' is not a full address"),
    ("2021-W33.md", "---\ntitle: T\nauthor: Me\n---\nText.\n",
     "2021-W33.md:3: unknown key 'author' in a week's introduction"),
    ("2021-W33.md", "---\ntitle: T\n---\n", "2021-W33.md:3: the introduction is empty"),
    ("2021-W33.md", b"Caf\xe9 talk.\n", "2021-W33.md:1: not UTF-8"),
    ("2021-W54.md", "Text.\n", "2021-W54.md: the weekly folder holds one introduction"),
    ("week-33.md", "Text.\n", "week-33.md: the weekly folder holds one introduction"),
])
def test_a_bad_introduction_is_an_error_with_its_file_and_line(site, name, text, message):
    from typer.testing import CliRunner

    from digest.cli import app

    site.add("2021/08/a.md", clipping_text(date="2021-08-18"))
    folder = site.root / "content" / "weekly"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert f"content/weekly/{message}" in result.output
    with pytest.raises(DigestError):
        build(site.project)
    assert not (site.root / "output" / "weekly").exists()


def test_an_introduction_to_a_week_without_clippings_is_a_warning(site):
    site.add("2021/08/a.md", clipping_text(date="2021-08-18"))
    _write_intro(site, "2021-W40", "Nothing yet.\n")
    report = build(site.project)
    assert [(p.path, p.message[:39]) for p in report.warnings] == [
        ("content/weekly/2021-W40.md", "no clipping is dated in week 40 of 2021")]


def _publish(site: Site) -> None:
    import ghp_import

    ghp_import.ghp_import(str(site.root / "output"), branch="gh-pages", push=False,
                          mesg="Publish the digest")


def test_a_finished_issue_that_changes_says_it_was_updated(tmp_path, monkeypatch):
    from tests.test_release import GIT_ENV, git

    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    git("init", "-q", cwd=work.root)
    _week(work)
    build(work.project, today=dt.date(2021, 8, 24))  # weeks 32 and 33 are final
    assert "Updated" not in work.read("weekly/2021-W33/index.html")
    _publish(work)
    work.add("2021/08/f.md", clipping_text(title="Late news", date="2021-08-21"))
    untouched = work.root / "output/weekly/2021-W32/index.html"
    before = untouched.stat().st_mtime_ns
    assert build(work.project, today=dt.date(2021, 8, 25)).incremental
    page = BeautifulSoup(work.read("weekly/2021-W33/index.html"), "html.parser")
    assert page.select_one("p.updated").get_text(" ", strip=True) == (
        "Updated on 25 August 2021: clippings were added or removed after the issue was "
        "final on 23 August, when it had 4.")
    assert untouched.stat().st_mtime_ns == before  # nothing else changes
    feed = feedparser.parse(work.read("feeds/weekly.atom.xml"))
    assert feed.entries[0].updated.startswith("2021-08-25")
    import json

    record = json.loads(work.read("data/weeks.json"))["weeks"]
    assert [(r["week"], r["count"], r["final_count"], r["updated"]) for r in record] == [
        ("2021-W33", 5, 4, "2021-08-25"), ("2021-W32", 1, 1, None)]
    _publish(work)  # the mark keeps its date in later builds
    build(work.project, today=dt.date(2021, 8, 30))
    assert "Updated on 25 August 2021" in work.read("weekly/2021-W33/index.html")
    # A cold build of the same repository (and its last publish) on the same day agrees.
    cold = tmp_path / "cold"
    import shutil

    shutil.copytree(work.root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
    monkeypatch.chdir(cold)
    from digest.project import Project

    build(Project.find(cold), today=dt.date(2021, 8, 30))
    from tests.test_incremental import _assert_same

    _assert_same(work.root / "output", cold / "output")


def test_each_country_has_a_weekly_feed_of_its_clippings(tmp_path, monkeypatch):
    from pathlib import Path

    from tests.test_feeds import problems_of

    site = Site(tmp_path, CONF)
    monkeypatch.chdir(tmp_path)
    _week(site)
    build(site.project, today=dt.date(2021, 8, 24))
    russia = feedparser.parse(site.read("feeds/weekly/russia.atom.xml"))
    assert [e.title for e in russia.entries] == ["Test Digest, week 33 of 2021, Russia"]
    assert "Moscow talks" in russia.entries[0].content[0].value
    assert "Water deal" not in russia.entries[0].content[0].value
    kg = feedparser.parse(site.read("feeds/weekly/kyrgyzstan.atom.xml"))
    assert [e.link for e in kg.entries] == ["https://digest.example.org/weekly/2021-W33/",
                                            "https://digest.example.org/weekly/2021-W32/"]
    assert "Moscow talks" not in kg.entries[0].content[0].value
    assert kg.entries[0].summary.startswith("3 clippings, 16 August to 22 August 2021")
    for name in ("weekly.atom.xml", "weekly/russia.atom.xml", "weekly/kyrgyzstan.atom.xml"):
        path = Path(site.root / "output/feeds" / name)
        assert problems_of(path) == []
        ids = [e.id for e in feedparser.parse(path.read_text()).entries]
        assert ids and all(i.startswith("https://") for i in ids)  # full IRIs
    index = BeautifulSoup(site.read("weekly/index.html"), "html.parser")
    assert any(a["href"].endswith("/feeds/weekly/russia.atom.xml")
               for a in index.select("ul.country-feeds a"))
    # A clipping on Russia changes Russia's feed, not Kyrgyzstan's.
    kept = site.root / "output/feeds/weekly/kyrgyzstan.atom.xml"
    before = kept.stat().st_mtime_ns
    site.add("2021/08/g.md", clipping_text(title="Moscow again", date="2021-08-19",
                                           countries=["Russia"]))
    assert build(site.project, today=dt.date(2021, 8, 24)).incremental
    assert "Moscow again" in site.read("feeds/weekly/russia.atom.xml")
    assert kept.stat().st_mtime_ns == before
