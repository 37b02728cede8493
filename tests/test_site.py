"""Building sites: the shipped digest, small fixture sites, failures that publish nothing."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import pytest

from digest.errors import BuildError, UsageError
from digest.project import Project
from digest.build import build
from tests.conftest import REPO, Site, clipping_text

pytestmark = pytest.mark.slow


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: list[str] = []
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key])


def parse_html(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def crawl(output: Path) -> list[str]:
    """Every internal link or asset in every page that does not resolve to a file."""
    broken = []
    for page in output.rglob("*.html"):
        rel = page.relative_to(output).as_posix()
        for link in parse_html(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "#")):
                continue
            target = urlsplit(urljoin("http://x/" + rel, link)).path.lstrip("/")
            path = output / target
            if target == "" or target.endswith("/"):
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{rel} -> {link}")
    return broken


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """The shipped digest, built from a copy of the repository's content."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "theme", root / "theme")
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    report = build(Project(root))
    assert report.clippings == 8
    return root / "output"


def clipping_titles(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    titles = []
    for block in html.split('<ol class="clippings">')[1:]:  # one list, or one a month
        titles += re.findall(r'<li><a href="[^"]+">([^<]+)</a>', block.split("</ol>", 1)[0])
    return titles


def test_shipped_pair_page_lists_exactly_the_clippings_naming_both(shipped):
    from digest.content.check import check_paths

    clippings, _ = check_paths([REPO / "content" / "clippings"], REPO / "content" / "clippings")
    expected = {c.title for c in clippings
                if {"KG", "TJ"} <= {x.code for x in c.countries}}
    import html
    shown = {html.unescape(t) for t in clipping_titles(shipped / "pairs/kyrgyzstan-tajikistan/index.html")}
    assert shown == expected and len(expected) == 5


def test_shipped_site_links_resolve_and_pages_are_sound(shipped):
    assert crawl(shipped) == []
    for page in shipped.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        head = page.read_text(encoding="utf-8").split("<head>", 1)[1].lstrip()
        assert head.startswith('<meta http-equiv="Content-Security-Policy"'), page
        assert "frame-ancestors" not in head.split(">", 1)[0]
        parsed = parse_html(page)
        assert parsed.h1 == 1, page
        assert len(parsed.ids) == len(set(parsed.ids)), page


def test_shipped_output_is_lean(shipped):
    pages = list(shipped.rglob("*.html"))
    css = sum(p.stat().st_size for p in shipped.rglob("*.css") if "pagefind" not in p.parts)
    assert all(p.stat().st_size + css < 100_000 for p in pages)  # HTML and CSS under 100 KB
    assert sum(p.stat().st_size for p in pages) / len(pages) < 8_000
    articles = list(shipped.glob("20*/*/*/index.html"))
    assert len(articles) == 8
    assert max(p.stat().st_size for p in articles) < 100_000


def test_shipped_feeds_parse_and_are_capped(shipped):
    feeds = list(shipped.rglob("*.atom.xml"))
    assert shipped / "feeds/all.atom.xml" in feeds
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for feed in feeds:
        root = ElementTree.parse(feed).getroot()
        entries = root.findall("a:entry", ns)
        assert 1 <= len(entries) <= 50
        for e in entries:
            assert e.find("a:summary", ns).text


def test_data_files_follow_docs(shipped):
    doc = (REPO / "docs" / "data.md").read_text(encoding="utf-8")

    def documented(section: str) -> list[str]:
        part = doc.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
        return re.findall(r"^\| `([a-z_]+)` \|", part, re.M)

    data = json.loads((shipped / "data/clippings.json").read_text())
    assert data["version"] == 1 and len(data["clippings"]) == 8
    for record in data["clippings"]:
        assert list(record) == documented("data/clippings.json")
        assert record["url"].endswith("/") and record["date"][:4] == "2021"
    pairs = json.loads((shipped / "data/pairs.json").read_text())["pairs"]
    assert all(list(p) == documented("data/pairs.json") for p in pairs)
    kg_tj = next(p for p in pairs if p["pair"] == "kg-tj")
    assert kg_tj["count"] == 5 and kg_tj["first"] == "2021-04-30" and kg_tj["last"] == "2021-08-18"
    countries = json.loads((shipped / "data/countries.json").read_text())["countries"]
    assert all(list(c) == documented("data/countries.json") for c in countries)
    import csv
    rows = list(csv.reader((shipped / "data/clippings.csv").open(encoding="utf-8")))
    assert rows[0] == documented("data/clippings.csv") and len(rows) == 9


# -- fixture sites --------------------------------------------------------------------------


def add_many(site: Site) -> None:
    site.add("2021/04/a.md", title="A", date="2021-04-01", countries=("Kyrgyzstan", "Tajikistan"))
    site.add("2021/04/b.md", title="B", date="2021-04-02", countries=("Tajikistan", "Kyrgyzstan", "China"))
    site.add("2021/05/c.md", title="C", date="2021-05-03", countries=("China", "Russia"))
    site.add("2021/06/d.md", title="D", date="2021-06-04", countries=("Kyrgyzstan", "Tajikistan"),
             source="Global Times", category="Global Times")


def test_pairs_threshold_and_order(site):
    add_many(site)
    (site.root / "pelicanconf.py").write_text(
        (site.root / "pelicanconf.py").read_text() + "\nDIGEST_PAIR_MIN_CLIPPINGS = 2\n")
    build(site.project)
    out = site.root / "output"
    assert (out / "pairs/kyrgyzstan-tajikistan/index.html").exists()
    assert not (out / "pairs/china-russia").exists()
    assert clipping_titles(out / "pairs/kyrgyzstan-tajikistan/index.html") == ["D", "B", "A"]
    assert clipping_titles(out / "pairs/kyrgyzstan-tajikistan/2021/04/index.html") == ["B", "A"]
    # the country page still names the partner, but links only pairs that have pages
    html = (out / "countries/china/index.html").read_text()
    assert "China–Russia" not in html and "china-russia" not in html
    assert crawl(out) == []


def test_month_pages_do_not_change_when_newer_clippings_arrive(site):
    add_many(site)
    build(site.project)
    before = (site.root / "output/pairs/kyrgyzstan-tajikistan/2021/04/index.html").read_text()
    article = (site.root / "output/2021/04/b/index.html").read_text()
    site.add("2021/07/e.md", title="E", date="2021-07-05", countries=("Kyrgyzstan", "Tajikistan"))
    build(site.project)
    assert (site.root / "output/pairs/kyrgyzstan-tajikistan/2021/04/index.html").read_text() == before
    assert (site.root / "output/2021/04/b/index.html").read_text() == article
    assert clipping_titles(site.root / "output/pairs/kyrgyzstan-tajikistan/index.html")[0] == "E"


def test_source_and_category_with_the_same_name_do_not_collide(site):
    add_many(site)
    build(site.project)
    out = site.root / "output"
    assert (out / "feeds/sources/global-times.atom.xml").exists()
    assert (out / "feeds/categories/global-times.atom.xml").exists()
    assert (out / "sources/global-times/index.html").exists()
    assert (out / "categories/global-times/index.html").exists()


def test_empty_save_as_turns_a_page_type_off(site):
    add_many(site)
    (site.root / "pelicanconf.py").write_text((site.root / "pelicanconf.py").read_text() +
                                             '\nTOPIC_SAVE_AS = ""\nPAIR_MONTH_SAVE_AS = ""\n')
    site.add("2021/06/t.md", title="T", date="2021-06-09", topics=["Water"])
    build(site.project)
    out = site.root / "output"
    assert not (out / "topics/water").exists()
    assert not (out / "pairs/kyrgyzstan-tajikistan/2021").exists()
    assert crawl(out) == []


def test_bad_settings_are_named(site):
    add_many(site)
    (site.root / "pelicanconf.py").write_text((site.root / "pelicanconf.py").read_text() +
                                             '\nPAIR_SAVE_AS = "../escape/{slug}.html"\n'
                                             'DIGEST_FEED_MAX_ITEMS = 0\n')
    with pytest.raises((UsageError, BuildError)) as info:
        build(site.project)
    text = str(info.value)
    assert "PAIR_SAVE_AS" in text and "DIGEST_FEED_MAX_ITEMS" in text


def test_a_bad_clipping_fails_the_build_and_keeps_the_old_output(site):
    add_many(site)
    build(site.project)
    index = (site.root / "output/index.html").read_text()
    site.add("2021/06/bad.md", clipping_text(date="06/04/2021"))
    with pytest.raises(BuildError) as info:
        build(site.project)
    assert any(p.path.endswith("2021/06/bad.md") and p.line == 3 for p in info.value.problems)
    assert (site.root / "output/index.html").read_text() == index
    assert not (site.root / ".digest-build").exists()


def test_a_plugin_failure_on_one_clipping_names_it(site, monkeypatch):
    add_many(site)
    build(site.project)
    from digest.content import render

    original = render.Renderer.html

    def explode(self, body):
        if "boom" in body:
            raise RuntimeError("renderer exploded")
        return original(self, body)

    monkeypatch.setattr(render.Renderer, "html", explode)
    site.add("2021/06/boom.md", title="Boom", body="boom")
    with pytest.raises(BuildError) as info:
        build(site.project)
    assert "2021/06/boom.md" in str(info.value)
    assert not (site.root / "output/2021/06/boom").exists()


def test_a_deleted_clipping_leaves_no_page(site):
    add_many(site)
    build(site.project)
    assert (site.root / "output/2021/05/c/index.html").exists()
    (site.root / "content/clippings/2021/05/c.md").unlink()
    build(site.project)
    assert not (site.root / "output/2021/05/c").exists()
    assert not (site.root / "output/pairs/china-russia").exists()


def test_a_plugin_that_fails_to_register_fails_the_build(site, monkeypatch):
    add_many(site)
    import digest.plugin

    def broken():
        raise RuntimeError("register failed")

    monkeypatch.setattr(digest.plugin, "register", broken)
    with pytest.raises(BuildError):
        build(site.project)
    assert not (site.root / "output").exists()


def test_html_files_in_content_are_not_published(site):
    add_many(site)
    (site.root / "content/clippings/2021/04/evil.html").write_text("<script>alert(1)</script>")
    build(site.project)
    assert not list((site.root / "output").rglob("evil*"))


def snapshot(output: Path) -> dict:
    # Pagefind writes its filter files in a varying order (a hash map): the one allowlisted
    # exception to byte-identical builds. Its index is checked by the browser tests.
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*")
            if p.is_file() and not p.relative_to(output).as_posix().startswith("pagefind/")}


def test_builds_are_deterministic(site):
    add_many(site)
    build(site.project)
    first = snapshot(site.root / "output")
    build(site.project)
    assert snapshot(site.root / "output") == first


def test_a_crowded_month_is_split_by_day(site):
    (site.root / "pelicanconf.py").write_text((site.root / "pelicanconf.py").read_text() +
                                             "\nDIGEST_MONTH_MAX = 2\n")
    for i, day in enumerate(("01", "01", "02", "03")):
        site.add(f"2021/04/c{i}.md", title=f"Clipping {i}", date=f"2021-04-{day}",
                 source=("TASS", "RFE/RL", "AP", "AFP")[i])
    build(site.project)
    out = site.root / "output"
    month = (out / "pairs/kyrgyzstan-tajikistan/2021/04/index.html").read_text()
    assert "4 clippings, by day" in month and 'href="days/01/"' in month
    assert clipping_titles(out / "pairs/kyrgyzstan-tajikistan/2021/04/days/01/index.html") == [
        "Clipping 1", "Clipping 0"]
    # days are packed, oldest first, into pages of at most 2: 1 April, then 2–3 April
    assert clipping_titles(out / "2021/04/days/02/index.html") == ["Clipping 3", "Clipping 2"]
    assert "2\u20133 April 2021" in (out / "2021/04/index.html").read_text()
    assert not (out / "2021/04/days/03").exists()
    assert crawl(out) == []


def test_a_short_listing_shows_every_clipping_by_month_and_has_no_month_pages(site):
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text().replace("DIGEST_LISTING_ALL = 0", "DIGEST_LISTING_ALL = 3"))
    for i, date in enumerate(["2021-04-02", "2021-04-09", "2021-06-01"]):
        site.add(f"{date[:4]}/{date[5:7]}/k{i}.md", title=f"K{i}", date=date)
    site.add("2021/06/r.md", title="R", date="2021-06-03", countries=("Russia", "China"))
    site.add("2021/05/r2.md", title="R2", date="2021-05-03", countries=("Russia", "China"))
    site.add("2021/04/r3.md", title="R3", date="2021-04-03", countries=("Russia", "Kazakhstan"))
    site.add("2021/04/r4.md", title="R4", date="2021-04-04", countries=("Russia", "Kazakhstan"))
    build(site.project)
    out = site.root / "output"
    pair = (out / "pairs/kyrgyzstan-tajikistan/index.html").read_text()
    assert clipping_titles(out / "pairs/kyrgyzstan-tajikistan/index.html") == ["K2", "K1", "K0"]
    assert '<h3 id="2021-06">June 2021</h3>' in pair and '<h3 id="2021-04">April 2021</h3>' in pair
    assert 'href="#2021-04"' in pair  # timeline and months
    assert not (out / "pairs/kyrgyzstan-tajikistan/2021").exists()
    # Russia has 4 clippings: latest 20 and month pages, as every longer listing
    assert (out / "countries/russia/2021/04/index.html").is_file()
    assert crawl(out) == []


def test_data_files_quote_an_address_that_needs_it(site):
    """Addresses are written as they are only when nothing in them needs quoting."""
    site.add("2021/04/a.md", title="A", date="2021-04-01")
    site.add("2021/05/b.md", title="B", date="2021-05-02")
    conf = site.root / "pelicanconf.py"
    # (a comma needs quoting in CSV; quotes and spaces are refused in SITEURL altogether)
    conf.write_text(conf.read_text().replace('SITEURL = ""', 'SITEURL = "https://x.org/a,b"'))
    build(site.project)
    import csv

    records = json.loads(site.read("data/clippings.json"))["clippings"]
    assert [r["url"] for r in records] == ['https://x.org/a,b/2021/04/a/',
                                           'https://x.org/a,b/2021/05/b/']
    rows = list(csv.DictReader(site.read("data/clippings.csv").splitlines()))
    assert [r["url"] for r in rows] == [r["url"] for r in records]
    assert [r["slug"] for r in rows] == ["a", "b"]


def test_listing_entries_do_not_repeat_what_the_listing_is_about(site):
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text().replace("DIGEST_LISTING_ALL = 0", "DIGEST_LISTING_ALL = 150"))
    site.add("2021/04/a.md", title="Alpha", date="2021-04-02", source="TASS")
    site.add("2021/04/b.md", title="Beta", date="2021-04-03", source="TASS",
             countries=("Kyrgyzstan", "Tajikistan", "Russia"))
    build(site.project)
    out = site.root / "output"

    def metas(rel: str) -> list[str]:
        return re.findall(r"<small>(.*?)</small>", (out / rel).read_text())

    # under a month's heading the day says the date; the pair's countries are not repeated
    assert metas("pairs/kyrgyzstan-tajikistan/index.html") == ["3 Apr · TASS · also Russia",
                                                               "2 Apr · TASS"]
    assert metas("countries/russia/index.html") == ["3 Apr · TASS · also Kyrgyzstan, Tajikistan"]
    assert metas("sources/tass/index.html") == ["3 Apr · Kyrgyzstan, Tajikistan, Russia",
                                                "2 Apr · Kyrgyzstan, Tajikistan"]
    # a category's listing names them all; the home page, across months, gives full dates
    assert metas("categories/news/index.html")[0] == "3 Apr · TASS · Kyrgyzstan, Tajikistan, Russia"
    assert metas("index.html")[0] == "<time>2021-04-03</time> · TASS · Kyrgyzstan, Tajikistan, Russia"


def test_related_clippings_leave_out_the_same_pair_neighbours(site):
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text() + "\nDIGEST_RELATED = 2\n")
    for i in range(5):
        site.add(f"2021/04/k{i}.md", title=f"K{i}", date=f"2021-04-0{i + 1}")
    build(site.project)
    page = (site.root / "output/2021/04/k4/index.html").read_text()
    nav = page.split('<nav class="pair-nav"', 1)[1].split("</nav>", 1)[0]
    related = page.split('<aside class="related"', 1)[1].split("</aside>", 1)[0]
    assert 'rel="prev" href="../k3/"' in nav
    # K3 is linked as the older neighbour already: the two related are the next most recent
    assert re.findall(r'href="\.\./(k\d)/"', related) == ["k2", "k1"]


def test_older_counts_the_same_searched_or_listed():
    """`index._AscendingKeys.older` searches a group as it is when asked about it a few times
    and keeps a list of its keys after: both give `bisect`'s answer, ties included."""
    import bisect
    import datetime as dt
    import random

    from digest.core.gazetteer import load_gazetteer
    from digest.core.index import DigestIndex, _AscendingKeys
    from digest.core.model import Clipping

    g = load_gazetteer()
    rng = random.Random(5)
    kg, tj = g.by_code["KG"], g.by_code["TJ"]
    clippings = [Clipping(title=f"T {i}", date=dt.date(2021, 4, rng.randint(1, 9)),
                          category="News", countries=(kg, tj), source="TASS",
                          slug=f"s{rng.randint(0, 30)}-{i}", path=f"{i}.md") for i in range(60)]
    index = DigestIndex(clippings)
    keys = sorted(c.sort_key for c in clippings)
    probes = [c.sort_key for c in clippings] + [(keys[0][0], "a"), (keys[-1][0], "zz")]
    for inclusive in (False, True):
        fresh = _AscendingKeys(index._by_key["country"], index.all_pairs)
        for n, probe in enumerate(probes * 2):  # past SEARCHED: from the list
            expected = (bisect.bisect_right if inclusive else bisect.bisect_left)(keys, probe)
            assert fresh.older(kg, probe, inclusive) == expected, (n, inclusive)
        assert kg in fresh


def test_search_bundles_are_quarters_of_dated_pages_or_one():
    from digest.build.search import search_bundles

    dated = "{date:%Y}/{date:%m}/{slug}/index.html"
    assert search_bundles(dated, ["2021/04/a/index.html", "2021/06/b/index.html",
                                  "2021/07/c/index.html", "2021/12/d/index.html"]) == {
        "2021-q2": "2021/{04,05,06}/*/index.html", "2021-q3": "2021/{07,08,09}/*/index.html",
        "2021-q4": "2021/{10,11,12}/*/index.html"}
    # pages not saved under their year and month: one bundle of them all
    assert search_bundles("{category}/{slug}.html", ["news/a.html"]) == {"all": "*/*.html"}
    assert search_bundles(dated, []) == {"all": "*/*/*/index.html"}
    # a quarter of more than `most` pages: a bundle per month it has pages in
    pages = ["2021/04/a/index.html", "2021/04/b/index.html", "2021/06/c/index.html",
             "2021/07/d/index.html", "2021/13/x/index.html", "news/y/index.html"]
    assert search_bundles(dated, pages, most=2) == {
        "2021-04": "2021/04/*/index.html", "2021-06": "2021/06/*/index.html",
        "2021-q3": "2021/{07,08,09}/*/index.html"}
    assert search_bundles(dated, pages, most=3) == {
        "2021-q2": "2021/{04,05,06}/*/index.html", "2021-q3": "2021/{07,08,09}/*/index.html"}


def test_the_search_tiers_parts(tmp_path):
    """A page written again only for its links to other clippings is the same page for the
    indexer (not where those parts hold what the indexer reads); the day table; the
    addresses; the quarters merged first are those holding most of `recent` and the dead."""
    from digest.build.search_tiers import Tiers, day_table, page_url, same_for_search

    body = ('<article data-pagefind-body><h1>A</h1><p>Text</p>'
            '<nav class="pair-nav" data-pagefind-ignore><a href="../b/">B</a></nav>'
            '<aside class="related" data-pagefind-ignore><a href="../c/">C</a></aside></article>')
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    old.write_text(body)
    new.write_text(body.replace("../b/\">B", "../d/\">D").replace(">C<", ">E<"))
    assert same_for_search(old, new)
    new.write_text(body.replace("<p>Text", "<p>Other text"))
    assert not same_for_search(old, new)
    sneaky = body.replace('<a href="../b/">B</a>', '<span data-pagefind-filter="country">X</span>')
    old.write_text(sneaky)
    new.write_text(sneaky.replace(">X<", ">Y<"))
    assert not same_for_search(old, new)
    assert not same_for_search(tmp_path / "missing.html", new)
    assert day_table(["2021-04-02", "2021-04-01", "2021-04-02"]) == [["2021-04-01", 1],
                                                                     ["2021-04-02", 2]]
    assert page_url("2021/04/a/index.html") == "/2021/04/a/"
    assert page_url("news/a.html") == "/news/a.html"
    tiers = Tiers({"base": {"2021-q1": {"days": []}, "2021-q2": {"days": []}},
                   "recent": {"2021/05/a/index.html": "2021-05-01",
                              "2021/05/b/index.html": "2021-05-02",
                              "2021/05/e/index.html": "2021-05-03",
                              "2021/02/c/index.html": "2021-02-01"},
                   "dead": {"2021-q1": {"2021/01/d/index.html": ["en_1", {}]}}})

    def quarter(page: str) -> str:
        return "2021-q2" if page.startswith("2021/05") else "2021-q1"

    assert tiers.to_merge(quarter, 0) == {"2021-q2", "2021-q1"}
    assert tiers.to_merge(quarter, 1) == tiers.to_merge(quarter, 2) == {"2021-q2"}
    assert tiers.to_merge(quarter, 4) == set()
    assert tiers.live_count() == 4 - 1


def test_a_pair_page_links_both_countries_and_every_page_has_its_icon(site):
    from digest.build import build

    site.add("2021/04/talks.md")
    build(site.project)
    pair = site.read("pairs/kyrgyzstan-tajikistan/index.html")
    assert '<a href="../../countries/kyrgyzstan/">Kyrgyzstan</a> · ' \
           '<a href="../../countries/tajikistan/">Tajikistan</a>' in pair
    icon = '<link rel="icon" type="image/svg+xml" href="../../theme/favicon.svg">'
    assert icon in pair
    assert (site.root / "output" / "theme" / "favicon.svg").read_text().startswith("<svg")
