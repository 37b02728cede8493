"""`digest new --from-html` on real saved article pages (tests/fixtures/articles): the facts
read from each page against what a reader finds in it (truth.json), field by field."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from digest.importers.html import extract

PAGES = Path(__file__).parent / "fixtures" / "articles"
TRUTH = json.loads((PAGES / "truth.json").read_text(encoding="utf-8"))
FIELDS = ("title", "date", "author", "source", "source_url", "excerpt", "countries")
# The share of pages each field must be right on. Measured: see docs/importing.md.
FLOOR = {"title": 0.95, "date": 0.9, "author": 0.95, "source": 0.95, "source_url": 0.95,
         "excerpt": 0.95, "countries": 0.9}


def _key(text: str) -> str:
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u2032": "'",
                                         "\u201c": '"', "\u201d": '"'}))
    return " ".join(text.casefold().split())


def _outlet(name: str) -> str:
    name = _key(name)
    name = re.sub(r"^the ", "", name)
    return re.sub(r"\.com$", "", name)


def _date_right(found: str, truth: str) -> bool:
    """The day given, or a moment that falls on that day somewhere (UTC-12 to UTC+14)."""
    if found[:10] == truth:
        return True
    if "T" not in found:
        return False
    moment = dt.datetime.fromisoformat(found)
    day = dt.date.fromisoformat(truth)
    start = dt.datetime.combine(day, dt.time(), dt.timezone(dt.timedelta(hours=14)))
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                              dt.timezone(dt.timedelta(hours=-12)))
    return start <= moment < end


def right(field: str, facts, truth: dict) -> bool:
    want = truth[field]
    if field == "title":
        return any(_key(facts.title) == _key(t) for t in (want if isinstance(want, list)
                                                          else [want]))
    if field == "date":
        return bool(facts.date) and _date_right(facts.date, want)
    if field == "author":
        names = lambda s: {_key(n) for n in s.split(",") if n.strip()}  # noqa: E731
        return names(facts.author) == names(want)
    if field == "source":
        return any(_outlet(facts.source) == _outlet(w) for w in want)
    if field == "source_url":
        return facts.source_url.rstrip("/") == want.rstrip("/")
    if field == "excerpt":
        return any(_key(facts.excerpt).startswith(_key(w)) for w in want)
    return set(facts.countries) == set(want)


@lru_cache(maxsize=None)
def facts_of(name: str):
    return extract((PAGES / f"{name}.html").read_bytes())


def test_there_are_at_least_fifteen_pages_from_as_many_outlets():
    assert len(TRUTH) >= 15
    assert len({t["source"][0] for t in TRUTH.values()}) >= 15
    assert all((PAGES / f"{name}.html").exists() for name in TRUTH)


def test_per_field_accuracy(capsys):
    wrong: dict[str, list[str]] = {f: [] for f in FIELDS}
    for name, truth in sorted(TRUTH.items()):
        facts = facts_of(name)
        for field in FIELDS:
            if not right(field, facts, truth):
                wrong[field].append(f"{name}: {getattr(facts, field)!r}")
    report = {f: 1 - len(wrong[f]) / len(TRUTH) for f in FIELDS}
    with capsys.disabled():
        print("\n--from-html on", len(TRUTH), "pages:",
              ", ".join(f"{f} {report[f]:.0%}" for f in FIELDS))
    for field in FIELDS:
        assert report[field] >= FLOOR[field], (field, wrong[field])


@pytest.mark.parametrize("name", ["dw.com.colonial", "dw.com.uncork"])
def test_the_headline_not_the_social_title_and_people_not_the_publisher(name):
    """DW's social title adds '| DW | 19.01.2020', its meta author is 'Deutsche Welle
    (www.dw.com)': the headline and the byline are the page's."""
    facts = facts_of(name)
    assert "| DW |" not in facts.title and "Deutsche Welle" not in facts.author
    assert facts.source == "DW"


def test_the_publication_date_not_the_update():
    # (Reuters: published 2020-01-19 12:25 UTC, updated the next day; National Geographic:
    # published 3 January, modified 6 January)
    assert facts_of("reuters.com.parasite").date.startswith("2020-01-19")
    assert facts_of("nationalgeographic.co.uk.goats").date.startswith("2020-01-03")


def test_json_ld_entities_are_decoded():
    page = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": "O&#039;Donnell&#8217;s talks in Bishkek", "author": {"@type": '
            '"Person", "name": "Ann O&#039;Neill"}, "datePublished": "2022-03-01T10:00:00Z"}'
            '</script></head><body><p>Text of the article, long enough to be its first '
            'paragraph of running text here.</p></body></html>')
    facts = extract(page)
    assert facts.title == "O'Donnell\u2019s talks in Bishkek" and facts.author == "Ann O'Neill"
    assert facts.countries == ["Kyrgyzstan"] or facts.countries == []  # (Bishkek: a city)


@pytest.mark.parametrize("text, countries", [
    ("UK and US envoys meet in the DRC", ["United Kingdom", "United States",
                                          "DR Congo"]),
    ("Пограничники Кыргызстана и Таджикистана обменялись огнём", ["Kyrgyzstan", "Tajikistan"]),
    ("Kazakh and Uzbek leaders met Russian officials", ["Kazakhstan", "Uzbekistan", "Russia"]),
])
def test_countries_from_abbreviations_demonyms_and_russian(text, countries):
    page = (f"<html><head><title>{text}</title><meta property='og:title' content='{text}'>"
            "</head><body><h1>" + text + "</h1><p>A paragraph of the article that says "
            "nothing of any country, long enough to be running text.</p></body></html>")
    assert extract(page).countries == countries
