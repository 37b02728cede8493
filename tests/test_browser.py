"""The shipped digest in headless Chromium, served on 127.0.0.1 under /digest/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.project import Project
from digest.build import build
from tests.browser import (CHROMIUM, CHROMIUM_ARGS, Server, copy_project, free_port,
                           guard_page, require_chromium)
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = REPO / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()
    port = free_port()
    root = copy_project(REPO, tmp_path_factory.mktemp("site") / "site",
                        f'SITEURL = "http://127.0.0.1:{port}/digest"\nRELATIVE_URLS = False\n')
    build(Project(root))
    with Server(root / "output", port) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    guard_page(page, served.base, page.errors)
    yield page
    context.close()


def test_reader_clicks_from_home_to_the_original(page, served):
    page.goto(served.base)
    page.get_by_role("link", name="Countries").first.click()
    page.get_by_role("link", name="Kyrgyzstan", exact=True).first.click()
    assert page.url == served.base + "countries/kyrgyzstan/"
    page.get_by_role("link", name="Kyrgyzstan–Tajikistan").first.click()
    assert page.url == served.base + "pairs/kyrgyzstan-tajikistan/"
    page.get_by_role("link", name="Kyrgyzstan says 31 killed in clashes at Tajikistan border").click()
    assert page.locator("h1").inner_text() == "Kyrgyzstan says 31 killed in clashes at Tajikistan border"
    original = page.get_by_role("link", name=re.compile("Read the original"))
    assert original.get_attribute("href") == ("https://www.aljazeera.com/news/2021/4/30/"
                                              "kyrgyzstan-says-31-killed-in-clashes-at-tajikistan-border")
    assert page.errors == []


def test_matrix_cell_leads_to_the_pair(page, served):
    page.goto(served.base + "countries/")
    matrix = page.locator(".matrix-table")
    row = matrix.locator("tr", has=page.locator("th[scope=row]", has_text="Kyrgyzstan"))
    cells = row.locator("td")
    headers = matrix.locator("thead th").all_inner_texts()
    cells.nth(headers.index("Tajikistan")).locator("a").click()
    assert page.url == served.base + "pairs/kyrgyzstan-tajikistan/"
    assert page.errors == []


RESULT = "#search-results li > a"


def test_search_finds_a_headline_and_filters_by_country(page, served):
    page.goto(served.base + "search/")
    box = page.get_by_placeholder("Search clippings")
    box.fill("Porosity")
    result = page.locator(RESULT).first
    result.wait_for(timeout=15000)
    assert "Porosity of Tajik-Afghan Border" in result.inner_text()
    assert result.get_attribute("href").startswith("/digest/2021/08/porosity")
    # The index is one bundle per quarter, each loaded as a module and searched together:
    # April's clipping is in the bundle of 2021-q2, August's in that of 2021-q3.
    box.fill("killed")
    killed = page.locator(RESULT, has_text="31 killed")
    killed.first.wait_for(timeout=15000)
    assert killed.first.get_attribute("href").startswith("/digest/2021/04/kyrgyzstan-says-31")
    # a result names its date, outlet and countries
    meta = page.locator("#search-results li", has_text="31 killed").first.locator("small").inner_text()
    assert meta == "30 April 2021 · Al Jazeera · Kyrgyzstan, Tajikistan"
    box.fill("border")
    page.wait_for_timeout(800)
    before = page.locator(RESULT).count()
    # newest quarter first: no April clipping before an August one
    hrefs = [a.get_attribute("href") for a in page.locator(RESULT).all()]
    months = [h.split("/")[3] for h in hrefs]
    assert months == sorted(months, reverse=True) and "08" in months
    filters = page.locator("#search-filters")
    if not filters.evaluate("d => d.open"):
        filters.locator("summary").click()
    filters.get_by_label(re.compile(r"^Russia \(")).check()
    page.wait_for_timeout(1000)
    titles = page.locator(RESULT).all_inner_texts()
    assert 0 < len(titles) < before
    assert titles == ["Russia redeploys attack aircraft from Kyrgyzstan to Tajikistan for drills on Afghan border"]
    # the search is in the address, and the address gives the search back
    assert page.url == served.base + "search/?q=border&country=Russia"
    page.goto(served.base + "search/?q=border&country=Russia")
    page.locator(RESULT).first.wait_for(timeout=15000)
    assert page.locator(RESULT).all_inner_texts() == titles
    assert box.input_value() == "border"
    assert filters.get_by_label(re.compile(r"^Russia \(")).is_checked()
    assert page.errors == []


def test_a_search_link_with_dates_and_pages_is_restored_and_goes_back(page, served):
    page.goto(served.base + "search/?q=border&from=2021-08&to=2021-08")
    page.locator(RESULT).first.wait_for(timeout=15000)
    page.wait_for_timeout(300)
    hrefs = [a.get_attribute("href") for a in page.locator(RESULT).all()]
    assert hrefs and all("/2021/08/" in h for h in hrefs)
    assert page.locator("#search-from").input_value() == "2021-08"
    page.select_option("#search-from", "")
    page.wait_for_timeout(800)
    assert page.url == served.base + "search/?q=border&to=2021-08"
    assert page.locator(RESULT).count() > len(hrefs)
    page.goto(served.base + "search/?country=Kyrgyzstan")  # filters alone, no words
    page.locator(RESULT).first.wait_for(timeout=15000)
    assert "clipping" in page.locator("#search-status").inner_text()
    assert page.errors == []


def test_on_a_phone_the_filters_fold_away_and_results_come_first(browser, served):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    guard_page(page, served.base, errors)
    page.goto(served.base + "search/?q=border&region=Europe")
    first = page.locator(RESULT).first
    first.wait_for(timeout=15000)
    assert not page.locator("#search-filters").evaluate("d => d.open")
    assert first.bounding_box()["y"] < 800  # on the first screen
    assert "(1 chosen)" in page.locator("#search-filters summary").inner_text()
    page.locator("#search-filters summary").click()
    page.get_by_label(re.compile(r"^Europe \(")).wait_for(timeout=15000)
    assert page.get_by_label(re.compile(r"^Europe \(")).is_checked()
    context.close()
    assert errors == []


def test_the_search_box_of_any_page_leads_to_the_search(page, served):
    page.goto(served.base + "countries/")
    page.locator("header.site input[name=q]").fill("Porosity")
    page.locator("header.site button").click()
    page.locator(RESULT).first.wait_for(timeout=15000)
    assert page.url == served.base + "search/?q=Porosity"
    assert "Porosity" in page.locator(RESULT).first.inner_text()
    assert page.errors == []


def test_404_works_at_any_depth(page, served):
    response = page.goto(served.base + "a/b/c/missing")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    color = page.evaluate("getComputedStyle(document.querySelector('.skip')).position")
    assert color == "absolute"  # the stylesheet loaded
    page.get_by_role("link", name="Browse by country").click()
    assert page.url == served.base + "countries/"


PAGES = {
    "home": "",
    "clipping": "2021/08/eu-regrets-violence-on-tajikistan-kyrgyzstan-border/",
    "country": "countries/tajikistan/",
    "pair": "pairs/kyrgyzstan-tajikistan/",
    "countries": "countries/",
    "search": "search/",
    "404": "no/such/page/",
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(page, served, name):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(served.base + PAGES[name])
    if name == "search":
        page.get_by_placeholder("Search clippings").fill("border")
        page.locator(RESULT).first.wait_for(timeout=15000)
    results = Axe().run(page)
    bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == []
    if name == "404":  # the page itself answers 404, which Chromium logs
        page.errors[:] = [e for e in page.errors if "status of 404" not in e]
    assert page.errors == []


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_screenshots_for_people_to_look_at(browser, served, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for name in ("home", "clipping", "pair", "countries", "country"):
        page.goto(served.base + PAGES[name])
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not overflow, f"{name} scrolls sideways at {width} px"
    context.close()
