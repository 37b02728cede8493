"""What a reader is given beyond the clippings themselves: summaries, citation metadata, the
language of the original, titled neighbours and a menu of the sections that have pages."""

from __future__ import annotations

from bs4 import BeautifulSoup

from digest.build import build
from digest.content.render import sentences, summary
from tests.conftest import Site, clipping_text
from tests.test_incremental import CONF, _assert_same_as_cold


def test_a_summary_is_the_first_sentences_that_fit():
    text = ("Kyrgyzstan says 31 people were killed. Mr. Japarov met Gen. Tashiev on Jan. 5. "
            "The U.S. State Department called for calm. " + "More words follow here. " * 20)
    assert sentences(text)[:3] == ["Kyrgyzstan says 31 people were killed.",
                                   "Mr. Japarov met Gen. Tashiev on Jan. 5.",
                                   "The U.S. State Department called for calm."]
    cut = summary(text)
    assert len(cut) <= 280 and cut.endswith(".") and text.startswith(cut)
    assert summary("Short. Text.") == "Short. Text."
    one = "word " * 100  # a single long sentence: cut at a word, with an ellipsis
    assert summary(one).endswith("word\u2026") and len(summary(one)) <= 280


def test_listings_show_summaries_and_an_editors_summary_wins(site):
    site.add("2021/04/a.md", clipping_text(
        title="Border clash", body="Troops exchanged fire near Vorukh. Three were wounded."))
    site.add("2021/04/b.md", clipping_text(
        title="Water talks", date="2021-04-29", summary="Delegations meet on the canal.",
        body="A long excerpt that the summary replaces."))
    build(site.project)
    home = BeautifulSoup(site.read("index.html"), "html.parser")
    summaries = [p.get_text() for p in home.select("ol.clippings p.summary")]
    assert summaries == ["Troops exchanged fire near Vorukh. Three were wounded.",
                         "Delegations meet on the canal."]
    pair = BeautifulSoup(site.read("pairs/kyrgyzstan-tajikistan/index.html"), "html.parser")
    assert len(pair.select("ol.clippings p.summary")) == 2
    feed = site.read("feeds/all.atom.xml")
    assert "Delegations meet on the canal." in feed


def test_a_summary_is_text_never_markup(site):
    site.add("2021/04/a.md", clipping_text(summary='"<img src=x onerror=alert(1)>"'))
    build(site.project)
    home = BeautifulSoup(site.read("index.html"), "html.parser")
    assert home.select("ol.clippings img") == []
    assert home.select_one("p.summary").get_text() == "<img src=x onerror=alert(1)>"


def test_citation_metadata_describes_the_original(site):
    site.add("2021/04/a.md", clipping_text(
        title="Kyrgyzstan says 31 killed", author="Ayzirek Imanaliyeva", lang="ru",
        source_title="Киргизия сообщила о 31 погибшем", topics=["Borders"],
        source_url="https://rus.azattyk.org/a/31.html"))
    build(site.project)
    page = BeautifulSoup(site.read("2021/04/a/index.html"), "html.parser")
    meta = {m["name"]: m["content"] for m in page.select("meta[name^=citation_]")}
    assert meta == {"citation_title": "Киргизия сообщила о 31 погибшем",
                    "citation_author": "Ayzirek Imanaliyeva",
                    "citation_publication_date": "2021/04/30",
                    "citation_journal_title": "RFE/RL", "citation_language": "ru",
                    "citation_public_url": "https://rus.azattyk.org/a/31.html",
                    "citation_keywords": "Borders"}
    assert "Russian original" in page.select_one("p.meta").get_text(" ", strip=True)


def test_a_language_that_is_not_a_code_is_an_error_with_the_code(site):
    from typer.testing import CliRunner

    from digest.cli import app

    site.add("2021/04/a.md", clipping_text(lang="Russian"))
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert "content/clippings/2021/04/a.md:7: 'lang' is 'Russian', not a language code: " \
           "write `lang: ru`" in result.output


def test_same_pair_neighbours_are_named(site):
    site.add("2021/04/a.md", clipping_text(title="First clash", date="2021-04-28"))
    site.add("2021/04/b.md", clipping_text(title="Second clash", date="2021-04-29"))
    site.add("2021/04/c.md", clipping_text(title="Third clash", date="2021-04-30"))
    build(site.project)
    page = BeautifulSoup(site.read("2021/04/b/index.html"), "html.parser")
    nav = page.select_one("nav.pair-nav")
    assert nav.select_one("a[rel=prev]").get_text() == "First clash"
    assert nav.select_one("a[rel=next]").get_text() == "Third clash"


def test_the_menu_offers_sections_with_pages_and_learns_of_new_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    work.add("2021/04/a.md", clipping_text())
    build(work.project)

    def menu(rel: str) -> list[str]:
        page = BeautifulSoup(work.read(rel), "html.parser")
        return [a.get_text() for a in page.select("header.site nav a")]

    assert "Regions" not in menu("index.html") and "Topics" not in menu("2021/04/a/index.html")
    assert "Countries" in menu("index.html")
    work.add("2021/04/b.md", clipping_text(title="Water", regions=["Central Asia"]))
    report = build(work.project)
    assert not report.incremental  # every page's menu changes
    assert "Regions" in menu("2021/04/a/index.html")
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)


def test_every_page_has_a_search_form_that_works_without_script(site):
    site.add("2021/04/a.md", clipping_text())
    build(site.project)
    page = BeautifulSoup(site.read("2021/04/a/index.html"), "html.parser")
    form = page.select_one("header.site form[role=search]")
    assert form["method"] == "get" and form["action"].endswith("search/")
    assert form.select_one("input")["name"] == "q"
    assert form.select_one("label")["for"] == form.select_one("input")["id"]


def _rising_site(site: Site) -> None:
    """Kyrgyzstan–Tajikistan: one clipping a month from January to March 2021, six in April."""
    for month in (1, 2, 3):
        site.add(f"2021/{month:02d}/m{month}.md", clipping_text(
            title=f"Month {month}", date=f"2021-{month:02d}-10"))
    for day in range(1, 7):
        site.add(f"2021/04/a{day}.md", clipping_text(title=f"April {day}", date=f"2021-04-{day:02d}"))
    site.add("2021/04/ru.md", clipping_text(title="Russia once", date="2021-04-02",
                                            countries=["Russia"]))


def test_trend_tables_compare_each_month_with_the_three_before(site):
    _rising_site(site)
    build(site.project)
    page = BeautifulSoup(site.read("countries/kyrgyzstan/index.html"), "html.parser")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
            for tr in page.select("section.trend tbody tr")]
    assert len(rows) == 12
    assert rows[0] == ["April 2021", "6", "↑ more (average 1)"]
    assert rows[1] == ["March 2021", "1", "→ about the same (average 0.7)"]
    assert rows[4] == ["December 2020", "0", "→ about the same (average 0)"]
    assert page.select_one("section.trend tbody tr a")["href"] == "2021/04/"  # its month page
    home = BeautifulSoup(site.read("index.html"), "html.parser")
    rises = [li.get_text(" ", strip=True) for li in home.select("ul.rises li")]
    assert rises == ["Kyrgyzstan : ↑ 6 clippings, against 1 a month",  # countries first
                     "Tajikistan : ↑ 6 clippings, against 1 a month",
                     "Kyrgyzstan–Tajikistan : ↑ 6 clippings, against 1 a month"]


def test_notes_are_shown_on_their_listing_month_and_home(site):
    _rising_site(site)
    notes = site.root / "content/notes"
    notes.mkdir()
    (notes / "2021-04.yml").write_text(
        'Kyrgyzstan: "Clashes at the Golovnoi water intake"\n'
        'Kyrgyzstan–Tajikistan: "Ceasefire agreed on 1 May"\n', encoding="utf-8")
    build(site.project)
    page = BeautifulSoup(site.read("countries/kyrgyzstan/index.html"), "html.parser")
    first, note = page.select("section.trend tbody tr")[:2]
    assert first.th["rowspan"] == "2" and first.th.get_text() == "April 2021"
    assert note.get_text(" ", strip=True) == "Note: Clashes at the Golovnoi water intake"
    month = BeautifulSoup(site.read("2021/04/index.html"), "html.parser")
    assert [li.get_text(" ", strip=True) for li in month.select("section.notes li")] == [
        "Kyrgyzstan : Clashes at the Golovnoi water intake",
        "Kyrgyzstan–Tajikistan : Ceasefire agreed on 1 May"]
    assert month.select_one("section.notes a")["href"].endswith("countries/kyrgyzstan/")
    home = BeautifulSoup(site.read("index.html"), "html.parser")
    assert "Ceasefire agreed on 1 May" in home.select_one("ul.rises").get_text()


def test_a_bad_notes_file_names_each_line_and_fails_the_build(site):
    from typer.testing import CliRunner

    from digest.cli import app
    from digest.errors import DigestError

    site.add("2021/04/a.md", clipping_text())
    notes = site.root / "content/notes"
    notes.mkdir()
    (notes / "2021-04.yml").write_text(
        'Kyrgystan: "A typo"\nCentral Asia: "A region"\nTajikistan: "<b>bold</b>"\n'
        'Kyrgyzstan-Tajikistan: "Hyphen, not a dash"\n', encoding="utf-8")
    (notes / "April.yml").write_text('Kyrgyzstan: "x"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    out = result.output
    assert "content/notes/2021-04.yml:1: unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)" in out
    assert "content/notes/2021-04.yml:2: 'Central Asia' is a region: notes are on countries and pairs" in out
    assert "content/notes/2021-04.yml:3: the note on Tajikistan holds '<' or '>'" in out
    assert ("content/notes/2021-04.yml:4: warning: 'Kyrgyzstan-Tajikistan' is written "
            "Kyrgyzstan–Tajikistan in the digest") in out
    assert "content/notes/April.yml: a notes file is named for its month, as 2021-04.yml" in out
    try:
        build(site.project)
    except DigestError as exc:
        assert "content/notes/2021-04.yml:1" in str(exc) or any(
            "2021-04.yml" in str(p) for p in getattr(exc, "problems", []))
    else:
        raise AssertionError("the build should fail")


def test_notes_and_new_months_rebuild_what_shows_them(tmp_path, monkeypatch):
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    _rising_site(work)
    notes = work.root / "content/notes"
    notes.mkdir()
    (notes / "2021-03.yml").write_text('Kyrgyzstan: "Quiet month"\n', encoding="utf-8")
    build(work.project)
    clipping = work.root / "output/2021/01/m1/index.html"
    kept = clipping.stat().st_mtime_ns
    steps = [
        lambda: (notes / "2021-03.yml").write_text('Kyrgyzstan: "A quiet month"\n'
                                                   'Russia: "Talks in Moscow"\n', encoding="utf-8"),
        lambda: (notes / "2021-04.yml").write_text('Kyrgyzstan–Tajikistan: "Clashes"\n',
                                                   encoding="utf-8"),
        lambda: (notes / "2021-03.yml").unlink(),
        lambda: work.add("2021/05/may.md", clipping_text(title="May", date="2021-05-03",
                                                         countries=["Russia"])),
        lambda: (work.root / "content/clippings/2021/05/may.md").unlink(),
    ]
    for i, step in enumerate(steps):
        step()
        report = build(work.project)
        assert report.incremental
        _assert_same_as_cold(work, tmp_path / f"cold-{i}", monkeypatch)
    assert clipping.stat().st_mtime_ns == kept  # a note is not on any clipping's page
    month = BeautifulSoup(work.read("2021/03/index.html"), "html.parser")
    assert month.select_one("a[rel=next]").get_text() == "April 2021 →"
    assert month.select_one("a[rel=prev]").get_text() == "← February 2021"


def test_the_map_shades_the_countries_present_and_links_them(site):
    from digest.core.worldmap import choropleth, load_shapes

    shapes = load_shapes()
    codes = {s.code for s in shapes}
    assert {"KG", "TJ", "UZ", "KZ", "AF", "RU", "CN", "XK"} <= codes  # Kosovo by name
    site.add("2021/04/a.md", clipping_text())
    site.add("2021/04/b.md", clipping_text(title="Afghan border", countries=["Tajikistan",
                                                                           "Afghanistan"]))
    build(site.project)
    page = BeautifulSoup(site.read("countries/index.html"), "html.parser")
    svg = page.select_one("section.world-map svg")
    assert svg["aria-hidden"] == "true" and svg.title.get_text() == "Clippings by country"
    linked = {a["href"]: a.path.title.get_text() for a in svg.select("a")}
    assert linked == {"../countries/afghanistan/": "Afghanistan: 1 clipping",
                      "../countries/kyrgyzstan/": "Kyrgyzstan: 1 clipping",
                      "../countries/tajikistan/": "Tajikistan: 2 clippings"}
    assert all(a["tabindex"] == "-1" for a in svg.select("a"))  # the table is for keys
    assert len(svg.select("path.land")) > 3  # the neighbours, for context
    caption = page.select_one("section.world-map figcaption").get_text()
    assert "de facto" in caption and "Natural Earth" in caption
    rows = [tr.get_text(" ", strip=True) for tr in page.select(".map-table tbody tr")]
    assert rows == ["Tajikistan 2", "Afghanistan 1", "Kyrgyzstan 1"]
    # cropped to the countries present: Central Asia, not the world
    wide = choropleth({"KG": 1, "TJ": 2, "AF": 1}, lambda n: n)
    assert {s["code"] for s in wide["shapes"]} >= {"KG", "TJ", "AF", "UZ", "IR", "PK"}
    assert not {"US", "BR", "AU", "GB"} & {s["code"] for s in wide["shapes"]}


def test_every_matrix_cell_reads_at_4_5_to_1():
    import re

    from tests.conftest import REPO

    css = (REPO / "theme/static/css/digest.css").read_text()

    def luminance(hex_colour: str) -> float:
        h = hex_colour.lstrip("#")
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    found = re.findall(r"\.(s[1-5])\{background:(#[0-9a-f]{3,6});color:(#[0-9a-f]{3,6})", css)
    assert len(found) == 10  # five shades, light and dark
    for _name, bg, fg in found:
        a, b = sorted((luminance(bg), luminance(fg)), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 4.5, (bg, fg)


def test_the_matrix_has_every_country_with_a_pair(site):
    countries = ["Kyrgyzstan", "Tajikistan", "Uzbekistan", "Kazakhstan", "Turkmenistan",
                 "Afghanistan", "Russia", "China", "Iran", "Pakistan", "India", "Turkey",
                 "Azerbaijan", "Armenia", "Georgia", "Ukraine", "Belarus", "Mongolia",
                 "Japan", "France", "Germany", "Poland", "Latvia"]
    for i in range(len(countries) - 1):
        site.add(f"2021/04/c{i}.md", clipping_text(title=f"Clipping {i}",
                                                   countries=countries[i:i + 2]))
    build(site.project)
    page = BeautifulSoup(site.read("countries/index.html"), "html.parser")
    heads = [th.get_text() for th in page.select(".matrix-table thead th")]
    assert len(heads) == len(countries)
    assert page.select_one(".matrix-table")["tabindex"] == "0"  # it scrolls: keys reach it
    items = page.select("#matrix-pairs li")
    assert len(items) == len(countries) - 1


def test_the_language_of_the_original_is_a_search_filter(site):
    site.add("2021/04/a.md", clipping_text(lang="ky"))
    site.add("2021/04/b.md", clipping_text(title="English", date="2021-04-29"))
    build(site.project)
    a = BeautifulSoup(site.read("2021/04/a/index.html"), "html.parser")
    assert a.select_one("[data-pagefind-filter=language]").get_text() == "Kyrgyz"
    b = BeautifulSoup(site.read("2021/04/b/index.html"), "html.parser")
    assert b.select_one("[data-pagefind-filter=language]") is None
    import json

    data = json.loads(site.read("data/clippings.json"))
    assert {r["slug"]: r["lang"] for r in data["clippings"]} == {"a": "ky", "b": None}
