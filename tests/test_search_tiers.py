"""The search index's tiers in Chromium: after incremental builds that add, edit, move and
delete clippings (so that `recent` grows, its base pages die, and the quarters are merged
again past its limit), a reader's searches find what a cold build's find, newest first."""

from __future__ import annotations

import random
import re
import shutil

import pytest

import digest.build.search_tiers as tiers
from digest.build import build
from tests.browser import (CHROMIUM, CHROMIUM_ARGS, Server, free_port, guard_page,
                           require_chromium)
from tests.conftest import Site, clipping_text
from tests.test_incremental import CONF

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEARCH_CONF = CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True")
MONTHS = ["2021/03", "2021/05", "2021/08", "2021/11"]
QUERIES = ["search/?q=clipping", "search/?q=talks", "search/?q=summit", "search/?q=excerpt",
           "search/?country=Kyrgyzstan", "search/?q=clipping&country=Tajikistan",
           "search/?q=water&sort=relevance", "search/?q=clipping&from=2021-05&to=2021-08"]


def _clipping(rng: random.Random, n: int, word: str | None = None) -> tuple[str, str]:
    month = rng.choice(MONTHS)
    day = rng.randint(1, 3)
    word = word or rng.choice(["talks", "clash", "water"])
    return f"{month}/c{n}.md", clipping_text(
        title=f"Clipping {n} {word}", date=f"{month.replace('/', '-')}-{day:02d}",
        countries=rng.sample(["Kyrgyzstan", "Tajikistan", "Uzbekistan", "Russia"], 2),
        body=f"Excerpt {n} about {word}.")


def _seen(page, base: str, query: str) -> tuple[str, list[str], list[str], dict[str, str]]:
    """What a reader sees of a search: the status, the results (address and day), the counts
    beside the filters."""
    page.goto(base + query)
    page.wait_for_function(
        "() => !/Searching|Loading|Type words/.test(document.getElementById('search-status')"
        ".textContent) && document.getElementById('search-status').textContent.trim()",
        timeout=15000)
    status = page.locator("#search-status").inner_text()
    links = page.locator("#search-results li > a")
    hrefs = [a.get_attribute("href") for a in links.all()]
    days = [s for s in page.locator("#search-results li small").all_inner_texts()]
    panel = page.locator("#search-filters")
    if not panel.evaluate("d => d.open"):
        panel.locator("summary").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#search-filters .facet .count').length && "
        "Array.from(document.querySelectorAll('#search-filters .facet .count'))"
        ".every(c => c.textContent)", timeout=15000)
    counts = dict(page.evaluate(
        "() => Array.from(document.querySelectorAll('#search-filters .facet li')).map(li => ["
        "li.closest('fieldset').querySelector('legend').textContent + ': ' +"
        " li.getAttribute('data-value'), li.querySelector('.count').textContent])"))
    return status, hrefs, days, counts


def test_searches_after_incremental_builds_find_what_a_cold_builds_find(tmp_path, monkeypatch):
    require_chromium()
    monkeypatch.setattr(tiers, "RECENT_LIMIT", 5)
    rng = random.Random(11)
    work = Site(tmp_path / "work", SEARCH_CONF)
    monkeypatch.chdir(work.root)
    files: dict[str, str] = {}
    for n in range(8):
        rel, text = _clipping(rng, n)
        files[rel] = text
        work.add(rel, text)
    build(work.project)
    for step in range(12):
        op = ["add", "edit", "delete", "move"][step % 4]
        if op == "add":
            rel, text = _clipping(rng, 100 + step)
            files[rel] = text
        elif op == "edit":  # new words: the old ones must no longer find it
            rel = rng.choice(sorted(files))
            text = files[rel] = re.sub(r"talks|clash|water", "summit", files[rel])
        elif op == "delete":
            rel = rng.choice(sorted(files))
            del files[rel]
            (work.root / "content/clippings" / rel).unlink()
            rel = None
        else:  # to another quarter: its page moves
            old = rng.choice(sorted(files))
            text = files.pop(old)
            (work.root / "content/clippings" / old).unlink()
            month = rng.choice([m for m in MONTHS if not old.startswith(m)])
            text = re.sub(r"date: \S+", f"date: {month.replace('/', '-')}-02", text)
            rel = f"{month}/{old.split('/')[-1]}"
            files[rel] = text
        if rel is not None:
            work.add(rel, text)
        assert build(work.project).incremental
    listed = (work.root / "output/pagefind/bundles.json").read_text()
    assert '"recent"' in listed and '"dead":{"' in listed  # (the tiers are in use)
    cold = Site(tmp_path / "cold", SEARCH_CONF)
    shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
    monkeypatch.chdir(cold.root)
    build(cold.project)
    assert '"recent"' not in (cold.root / "output/pagefind/bundles.json").read_text()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with Server(work.root / "output", free_port()) as a, \
            Server(cold.root / "output", free_port()) as b, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for server in (a, b):
            pages.append(browser.new_page())
            guard_page(pages[-1], server.base, errors)
        for query in QUERIES:
            status, hrefs, days, counts = _seen(pages[0], a.base, query)
            want = _seen(pages[1], b.base, query)
            assert (status, sorted(hrefs), counts) == (want[0], sorted(want[1]), want[3]), query
            if "relevance" not in query:  # newest first (a day's clippings in any order)
                assert [d.split(" \u00b7 ")[0] for d in days] == \
                    [d.split(" \u00b7 ")[0] for d in want[2]], query
            assert hrefs or "No clipping" in status
        browser.close()
    assert errors == []
