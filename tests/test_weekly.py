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


def test_a_clipping_added_to_last_week_renders_its_week_as_a_cold_build_does(tmp_path,
                                                                            monkeypatch):
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    _week(work)
    build(work.project)
    untouched = work.root / "output/weekly/2021-W32/index.html"
    before = untouched.stat().st_mtime_ns
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
