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
