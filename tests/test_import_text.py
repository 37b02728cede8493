"""Importing the digest's plain-text export."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import ContentError, UsageError
from digest.importers.encoding import decode_export
from digest.importers.text import TextImporter

imp = TextImporter()

SEED_EXPECTED = [
    dict(line=4, category="Uncategorized", countries=["Kyrgyzstan", "Tajikistan"], regions=[],
         topics=[], title="Work On Water Facility Stops As Kyrgyz-Tajik Border Tensions Rise",
         source="RFE/RL", author="", author_role="", source_url="", source_site="rferl.org",
         source_title="", date=None, body_start="Border officials for Kyrgyzstan", paragraphs=1),
    dict(line=13, category="Analysis", countries=["China", "Tajikistan", "Afghanistan"],
         regions=[], topics=[],
         title="China, Tajikistan conduct joint anti-terrorism drill amid regional changes after Afghan political reshuffle",
         source="Global Times", author="", author_role="", source_url="", source_site="",
         source_title="", date=None, body_start="China and Tajikistan started", paragraphs=1),
    dict(line=22, category="Analysis", countries=["China", "Tajikistan"], regions=[], topics=[],
         title="Sino-Tajik Relations: An Unequal Partnership", source="VIF",
         author="Dr Pravesh Kumar Gupta", author_role="Research Associate", source_url="",
         source_site="vifindia.org", source_title="", date=None,
         body_start="The narrative about the ‘peaceful Rise of China’", paragraphs=1),
    dict(line=33, category="Analysis", countries=["Russia", "Kyrgyzstan", "Tajikistan", "Afghanistan"],
         regions=[], topics=["Defense"],
         title="Russia redeploys attack aircraft from Kyrgyzstan to Tajikistan for drills on Afghan border",
         source="TASS", author="", author_role="", source_url="", source_site="", source_title="",
         date=None, body_start="TASS writes: A wing of Russian Su-25", paragraphs=1),
    dict(line=40, category="Analysis", countries=["Kyrgyzstan", "Tajikistan"], regions=[], topics=[],
         title="Border Conflict Compels Kyrgyzstan and Tajikistan to Look for Foreign Weapons",
         source="The Jamestown Foundation", author="Fozil Mashrab", author_role="", source_url="",
         source_site="", source_title="", date=None,
         body_start="Neighboring Kyrgyzstan and Tajikistan came close", paragraphs=14),
    dict(line=73, category="Analysis", countries=["Kyrgyzstan", "Tajikistan"], regions=[], topics=[],
         title="Kyrgyzstan says 31 killed in clashes at Tajikistan border", source="Al Jazeera",
         author="", author_role="",
         source_url="https://www.aljazeera.com/news/2021/4/30/kyrgyzstan-says-31-killed-in-clashes-at-tajikistan-border",
         source_site="", source_title="", date=dt.date(2021, 4, 30),
         body_start="Meanwhile, Tajikistan has yet", paragraphs=1),
    dict(line=82, category="Analysis", countries=["Tajikistan", "Kyrgyzstan"], regions=["Europe"],
         topics=[], title="EU ‘regrets’ violence on Tajikistan-Kyrgyzstan border", source="Euractiv",
         author="Georgi Gotev", author_role="", source_url="", source_site="", source_title="",
         date=None, body_start="The EU on Friday (30 April)", paragraphs=1),
    dict(line=93, category="Analysis", countries=["Tajikistan", "Afghanistan", "China"], regions=[],
         topics=[],
         title="Porosity of Tajik-Afghan Border Making Beijing’s Involvement in Region More Ominous",
         source="The Jamestown Foundation", author="", author_role="",
         source_url="https://jamestown.org/program/porosity-of-tajik-afghan-border-making-beijings-involvement-in-region-more-ominous/",
         source_site="", source_title="", date=None,
         body_start="In most parts of the world", paragraphs=1),
]


def test_seed_every_field_of_every_entry(seed_text):
    drafts, stray = imp.parse(seed_text)
    assert stray == [] and len(drafts) == 8
    for draft, exp in zip(drafts, SEED_EXPECTED):
        assert draft.problems == []
        for key in ("line", "category", "countries", "regions", "topics", "title", "source",
                    "author", "author_role", "source_url", "source_site", "source_title", "date"):
            assert getattr(draft, key) == exp[key], (exp["title"], key)
        assert draft.body.startswith(exp["body_start"])
        assert len(draft.body.split("\n\n")) == exp["paragraphs"]
        # nothing of the excerpt is lost, and no byline or link line leaked into it
        assert "rferl.org)" not in draft.body and "| EURACTIV" not in draft.body


def test_default_date_fills_entries_without_one(seed_text):
    drafts, _ = imp.parse(seed_text, dt.date(2021, 8, 18))
    assert [d.date for d in drafts].count(dt.date(2021, 8, 18)) == 7


def entry(headline, *paras, category="News"):
    return "\n\n".join(["Categorie\n" + category, headline, *paras]) + "\n"


@pytest.mark.parametrize("headline, title, countries, source, author", [
    ("Kyrgyzstan/Tajikistan – Talks (RFE/RL)", "Talks", ["Kyrgyzstan", "Tajikistan"], "RFE/RL", ""),
    ("Kyrgyzstan/Tajikistan — Talks (RFE/RL)", "Talks", ["Kyrgyzstan", "Tajikistan"], "RFE/RL", ""),
    ("Kyrgyzstan/Tajikistan - Talks - again (TASS)", "Talks - again", ["Kyrgyzstan", "Tajikistan"], "TASS", ""),
    ("(Kyrgyzstan/Tajikistan) Talks (RFE RL)", "Talks", ["Kyrgyzstan", "Tajikistan"], "RFE/RL", ""),
    ("Kyrgyz Republic/Turkey – Visit (Ann Lee, Eurasianet)", "Visit", ["Kyrgyzstan", "Türkiye"], "Eurasianet", "Ann Lee"),
    ("Guinea-Bissau/Kosovo – X (Reuters)", "X", ["Guinea-Bissau", "Kosovo"], "Reuters", ""),
])
def test_headline_variations(headline, title, countries, source, author):
    drafts, _ = imp.parse(entry(headline, "Excerpt text."))
    d = drafts[0]
    assert d.problems == []
    assert (d.title, d.countries, d.source, d.author) == (title, countries, source, author)


@pytest.mark.parametrize("link, url, site, source_title", [
    ("https://rferl.org/a/2021/05/03/x.html", "https://rferl.org/a/2021/05/03/x.html", "", ""),
    ("Talks (rferl.org)", "", "rferl.org", ""),
    ("Talks on water – RFE/RL", "", "", "Talks on water"),
    ("Other title | Radio Free Europe (www.rferl.org)", "", "rferl.org", "Other title"),
    ("Talks", "", "", ""),
])
def test_link_line_variations(link, url, site, source_title):
    drafts, _ = imp.parse(entry("Kyrgyzstan/Tajikistan – Talks (RFE/RL)", "Excerpt.", link))
    d = drafts[0]
    assert d.problems == [] and d.body == "Excerpt."
    assert (d.source_url, d.source_site, d.source_title) == (url, site, source_title)
    if url:
        assert d.date == dt.date(2021, 5, 3)


def test_byline_variations():
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "Ivan Petrov, Correspondent, TASS", "Excerpt."))[0][0]
    assert (d.author, d.author_role, d.body) == ("Ivan Petrov", "Correspondent", "Excerpt.")
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "Ivan Petrov | TASS", "Excerpt."))[0][0]
    assert (d.author, d.body) == ("Ivan Petrov", "Excerpt.")
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "Not a byline, just text, here.", "Excerpt."))[0][0]
    assert d.author == "" and d.body.startswith("Not a byline")


def test_no_link_line_keeps_the_last_paragraph():
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "First.", "Second and last paragraph."))[0][0]
    assert d.body == "First.\n\nSecond and last paragraph."


@pytest.mark.parametrize("headline, fragment", [
    ("Kyrgystan/Tajikistan – Talks (RFE/RL)", "unknown label 'Kyrgystan' (did you mean Kyrgyzstan?)"),
    ("Kyrgyzstan/Tajikistan – Talks", "does not end with the outlet"),
    ("Talks without labels (RFE/RL)", "has no labels"),
    ("Kyrgyzstan/Tajikistan – Talks ()", "are empty"),
    ("Defense/Water – Talks (RFE/RL)", "is a country"),
    ("RS/TI – Talks (RFE/RL)", "FIPS"),
])
def test_broken_headlines(headline, fragment):
    d = imp.parse(entry(headline, "Excerpt."))[0][0]
    assert any(fragment in p for p in d.problems), d.problems


def test_entry_without_excerpt_and_stray_text():
    drafts, stray = imp.parse("Preamble\n\n" + entry("Kyrgyzstan – Talks (TASS)"))
    assert stray and stray[0].startswith("1:")
    assert "no excerpt" in drafts[0].problems[0]
    drafts, _ = imp.parse("Categorie\n\n")
    assert "not followed by a category" in drafts[0].problems[0]


def test_markdown_in_plain_text_is_escaped():
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "# not a heading *not emphasis* <b>x</b> [x](y)"))[0][0]
    from digest.content.render import Renderer
    html = Renderer().html(d.body)
    assert "<h1" not in html and "<em>" not in html and "<b>" not in html and "<a" not in html
    assert "# not a heading" in html and "&lt;b&gt;" in html


def test_legacy_encodings():
    text = entry("Kyrgyzstan - Граница (TASS)", "Пограничники обсудили ситуацию.")
    assert decode_export(text.encode("cp1251"), "x", "cp1251") == text
    assert decode_export(text.encode("cp866"), "x", "cp866") == text
    with pytest.raises(ContentError) as info:
        decode_export(text.encode("cp1251"), "x.txt", None)
    assert "--encoding" in str(info.value)
    with pytest.raises(ContentError):
        decode_export(text.encode("utf-8"), "x.txt", "cp1251")  # mojibake, not a guess
    with pytest.raises(UsageError, match="--encoding no-such-codec: not an encoding"):
        decode_export(b"x", "x.txt", "no-such-codec")


RUSSIAN = entry("Kyrgyzstan - Пограничный конфликт у села Кок-Таш (Азаттык)",
                "Стороны обменялись обвинениями: по данным пограничной службы, погибли "
                "военнослужащие, эвакуированы жители приграничных сёл.")
FRENCH = entry("Kyrgyzstan - Négociations à Genève (AFP)",
               "Les négociateurs kirghizes et tadjiks ont échoué à s'entendre sur le tracé "
               "de la frontière ; « aucune percée », a déclaré un diplomate à l'AFP.")


@pytest.mark.parametrize("text, written, given", [
    (RUSSIAN, "cp866", "cp1251"), (RUSSIAN, "cp866", "koi8-r"), (RUSSIAN, "cp1251", "cp866"),
    (RUSSIAN, "koi8-r", "cp1251"), (RUSSIAN, "cp1251", "cp1252"), (FRENCH, "cp1252", "cp1251"),
    (FRENCH, "cp1252", "cp866"),
])
def test_a_code_page_that_gives_implausible_text_is_refused_with_the_likely_one(
        text, written, given):
    """Every byte decodes in a single-byte code page, so the wrong one gives nonsense without
    an error: it is refused, and the code page the text reads well in is named."""
    with pytest.raises(ContentError) as info:
        decode_export(text.encode(written), "x.txt", given)
    (problem,) = info.value.problems
    assert problem.path == "x.txt" and f"decoding as {given} gives unreadable text" in \
        problem.message
    likely = problem.message.rsplit("--encoding ", 1)[1]
    assert text.encode(written).decode(likely) == text  # (cp1125 for cp866 would do too)


@pytest.mark.parametrize("text, written", [
    (RUSSIAN, "cp1251"), (RUSSIAN, "cp866"), (RUSSIAN, "koi8-r"), (RUSSIAN, "iso8859-5"),
    (FRENCH, "cp1252"), (FRENCH, "latin-1"),
])
def test_the_right_code_page_is_read(text, written):
    assert decode_export(text.encode(written), "x.txt", written) == text


def test_an_export_that_is_not_utf8_names_the_code_page_it_reads_in():
    with pytest.raises(ContentError) as info:
        decode_export(RUSSIAN.encode("cp866"), "x.txt", None)
    assert info.value.problems[0].message.endswith("import it with --encoding cp866")
    with pytest.raises(ContentError) as info:
        decode_export(RUSSIAN.encode("utf-16"), "x.txt", None)
    assert "it is UTF-16" in info.value.problems[0].message
    assert decode_export(RUSSIAN.encode("utf-16"), "x.txt", "utf-16") == RUSSIAN


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["cp1251", "cp866", "koi8-r", "cp1252",
                                                  "latin-1", None]))
def test_any_bytes_in_any_code_page_are_read_or_refused(data, encoding):
    try:
        assert isinstance(decode_export(data, "x.txt", encoding), str)
    except ContentError as exc:
        assert exc.problems and all(p.path == "x.txt" for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    drafts, stray = imp.parse(text)
    for d in drafts:
        assert isinstance(d.problems, list)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_seed_never_crashes(seed_text, data):
    lines = seed_text.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    lines[i] = data.draw(st.text(max_size=60))
    imp.parse("\n".join(lines))


# -- the export as editors really write it ------------------------------------------------

TWO = entry("Kyrgyzstan/Tajikistan – Work On Water Facility Stops (RFE RL)",
            "Border officials for Kyrgyzstan and Tajikistan have discussed the latest "
            "developments.", "https://www.rferl.org/a/2021/08/02/water.html")
THREE = entry("China/Tajikistan – China, Tajikistan conduct joint drill (Global Times)",
              "China and Tajikistan started a two-day joint anti-terrorism drill.",
              "https://www.globaltimes.cn/page/202108/1230561.shtml", category="Analysis")


def titles(drafts):
    return [d.title for d in drafts]


def lines_of(text: str, needle: str) -> int:
    return text.split("\n").index(needle) + 1


def test_an_entry_without_its_category_block_is_an_entry_and_an_error_on_its_line():
    middle = THREE.split("\n\n", 1)[1]  # (its headline onwards)
    text = TWO + "\n" + middle + "\n" + TWO.replace("Work On Water", "Second")
    drafts, stray = imp.parse(text)
    assert stray == []
    assert titles(drafts) == ["Work On Water Facility Stops",
                              "China, Tajikistan conduct joint drill", "Second Facility Stops"]
    first, second, third = drafts
    assert first.problems == [] and first.source_url.endswith("water.html")
    assert "China and Tajikistan" not in first.body
    line = lines_of(text, "China/Tajikistan – China, Tajikistan conduct joint drill (Global Times)")
    assert second.line == line
    assert second.problems == [("no category block above this headline: add 'Categorie' and "
                                "the category on the lines above it")]
    assert third.problems == []


@pytest.mark.parametrize("block, category", [
    ("Категория\nАнализ", "Анализ"), ("Category\nAnalysis", "Analysis"),
    ("Catégorie\nAnalyse", "Analyse"), ("Kategorie\nAnalyse", "Analyse"),
    ("Categorie: Analysis", "Analysis"), ("Category: News", "News"),
    ("CATEGORIE\n\nAnalysis", "Analysis"), ("Категория:\nНовости", "Новости"),
])
def test_category_blocks_in_every_language_and_on_one_line(block, category):
    text = TWO + "\n" + THREE.replace("Categorie\nAnalysis", block)
    drafts, stray = imp.parse(text)
    assert stray == [] and len(drafts) == 2
    assert drafts[1].category == category and drafts[1].problems == []
    assert drafts[1].title == "China, Tajikistan conduct joint drill"
    assert drafts[0].body == "Border officials for Kyrgyzstan and Tajikistan have discussed " \
                             "the latest developments."


def test_a_category_block_in_unknown_words_is_reported_not_merged():
    text = TWO + "\n" + THREE.replace("Categorie\nAnalysis", "Kategória\nElemzés")
    drafts, _ = imp.parse(text)
    assert len(drafts) == 2 and drafts[0].problems == []
    assert "Kategória" not in drafts[0].body
    line = lines_of(text, "Kategória")
    assert drafts[1].line == line + 3  # (its headline's)
    assert drafts[1].problems[0].startswith(f"'Kategória' (line {line}) is not a category "
                                            "block this import knows")


def test_the_category_and_headline_in_one_paragraph():
    text = "Categorie\nAnalysis\nKyrgyzstan – Talks (TASS)\n\nExcerpt.\n"
    (d,), _ = imp.parse(text)
    assert (d.category, d.title, d.body, d.problems) == ("Analysis", "Talks", "Excerpt.", [])


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009", "  ", "\t"])
@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "-", "\u2212"])
def test_every_dash_and_space_around_the_separator(space, dash):
    d = imp.parse(entry(f"Kyrgyzstan/Tajikistan{space}{dash}{space}Talks (TASS)", "Text."))[0][0]
    assert (d.problems, d.countries, d.title) == ([], ["Kyrgyzstan", "Tajikistan"], "Talks")


@pytest.mark.parametrize("dash", ["\u2013", "\u2014"])
def test_a_dash_without_spaces(dash):
    d = imp.parse(entry(f"Kyrgyzstan/Tajikistan{dash}Talks (TASS)", "Text."))[0][0]
    assert (d.problems, d.title) == ([], "Talks")


@pytest.mark.parametrize("block, url, warned", [
    ("https://rferl.org/a/2021/05/03/x.html.", "https://rferl.org/a/2021/05/03/x.html", 0),
    ("<https://rferl.org/a/x.html>;", "https://rferl.org/a/x.html", 0),
    ("(https://rferl.org/a/x.html)", "https://rferl.org/a/x.html", 0),
    ("https://en.wikipedia.org/wiki/Batken_(region).", "https://en.wikipedia.org/wiki/Batken_(region)", 0),
    ("Source: https://rferl.org/a/x.html", "https://rferl.org/a/x.html", 0),
    ("Источник: https://rferl.org/a/x.html", "https://rferl.org/a/x.html", 0),
    ("Read more at https://rferl.org/a/x.html", "https://rferl.org/a/x.html", 0),
    ("https://rferl.org/a/x.html\nhttps://rferl.org/a/y.html", "https://rferl.org/a/x.html", 1),
    ("https://rferl.org/a/x.html https://rferl.org/a/y.html", "https://rferl.org/a/x.html", 1),
    ("https://rferl.org/a/x.html\n\nhttps://rferl.org/a/y.html", "https://rferl.org/a/x.html", 1),
    ("Talks (rferl.org)\n\nhttps://rferl.org/a/x.html", "https://rferl.org/a/x.html", 0),
    ("\b\nhttps://rferl.org/a/x.html", "https://rferl.org/a/x.html", 0),  # (no blank line)
    ("https://rferl.org/a/x.html\n\nTalks (rferl.org)\n\nOther talks | RFE/RL", "https://rferl.org/a/x.html", 1),
])
def test_the_link_block_gives_the_first_address_and_reports_the_rest(block, url, warned):
    text = entry("Kyrgyzstan/Tajikistan – Talks (RFE/RL)", "Excerpt.", block)
    d = imp.parse(text.replace("\n\n\b", ""))[0][0]
    assert d.problems == [] and d.body == "Excerpt."
    assert d.source_url == url
    assert len(d.warnings) == warned, d.warnings
    if warned:
        assert "was left out" in d.warnings[0] and "line " in d.warnings[0]


def test_an_address_inside_the_excerpt_stays_there():
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "See https://tass.com/x for more.",
                        "Second."))[0][0]
    assert d.source_url == "" and "https://tass.com/x" in d.body


@pytest.mark.parametrize("byline, author, role", [
    ("By Ivan Petrov", "Ivan Petrov", ""),
    ("By Ivan Petrov, TASS", "Ivan Petrov", ""),
    ("By Ivan Petrov, Moscow correspondent", "Ivan Petrov", "Moscow correspondent"),
    ("BY IVAN PETROV | TASS", "IVAN PETROV", ""),
    ("Автор: Иван Петров", "Иван Петров", ""),
    ("Ivan Petrov | TASS", "Ivan Petrov", ""),
    ("Ivan Petrov, Correspondent, TASS", "Ivan Petrov", "Correspondent"),
])
def test_bylines_become_author_and_role(byline, author, role):
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", byline, "Excerpt."))[0][0]
    assert (d.author, d.author_role, d.body) == (author, role, "Excerpt.")


@pytest.mark.parametrize("first", ["By the end of the week, talks had failed.",
                                   "by then it was over", "By 2021 the border was closed"])
def test_a_sentence_that_starts_with_by_is_excerpt(first):
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", first, "Excerpt."))[0][0]
    assert d.author == "" and d.body.startswith(first[:10])


def test_an_entry_cut_short_at_the_end_of_the_file_is_flagged():
    text = entry("Kyrgyzstan – Talks (TASS)", "The talks began on Monday and the two sides")
    (d,), _ = imp.parse(text.rstrip("\n"))
    assert d.problems == [] and d.warnings and "cut short" in d.warnings[0]
    (d,), _ = imp.parse(text)  # (a file that ends with its line break ended where it meant to)
    assert d.warnings == []
    (d,), _ = imp.parse(text.rstrip("\n") + ".")
    assert d.warnings == []
    drafts, _ = imp.parse(TWO + "\nCategorie\nNews\n")
    assert drafts[-1].problems == ["the category block is not followed by a headline"]
    drafts, _ = imp.parse(TWO + "\nCategorie\nNews\n\nKyrgyzstan – Talks (TASS)\n")
    assert drafts[-1].problems == ["the entry has no excerpt"]


def test_russian_names_of_countries_and_outlets():
    d = imp.parse(entry("Кыргызстан/Таджикистан/ОДКБ – Пограничный конфликт (Азаттык)",
                        "Стороны обменялись обвинениями."))[0][0]
    assert d.problems == []
    assert (d.countries, d.regions, d.source) == (["Kyrgyzstan", "Tajikistan"], ["CSTO"],
                                                 "RFE/RL")
    d = imp.parse(entry("Россия/Китай – Учения (ТАСС)", "Текст."))[0][0]
    assert (d.countries, d.source) == (["Russia", "China"], "TASS")


def test_windows_line_ends_and_a_byte_order_mark():
    text = "\ufeff" + (TWO + "\n" + THREE).replace("\n", "\r\n")
    drafts, stray = imp.parse(text)
    assert stray == [] and titles(drafts) == ["Work On Water Facility Stops",
                                              "China, Tajikistan conduct joint drill"]
    assert all(d.problems == [] and "\r" not in d.body for d in drafts)


def test_the_seed_in_pieces_never_merges_entries(seed_text):
    """Each entry of the seed without its category block: still eight entries, each
    headline its own, the one without its block an error on its headline's line."""
    blocks = seed_text.split("Categorie\n")
    for n in range(2, len(blocks)):
        cut = "Categorie\n".join(blocks[:n]) + "\n".join(blocks[n].split("\n")[1:]) + \
            "".join("Categorie\n" + b for b in blocks[n + 1:])
        drafts, _ = imp.parse(cut)
        assert len(drafts) == 8, n
        assert [d.title for d in drafts] == [e["title"] for e in SEED_EXPECTED]
        assert [bool(d.problems) for d in drafts] == [i == n - 1 for i in range(8)]


@pytest.mark.parametrize("line, day", [
    ("2021-04-30", dt.date(2021, 4, 30)), ("30 April 2021", dt.date(2021, 4, 30)),
    ("April 30, 2021", dt.date(2021, 4, 30)), ("Published: 30.04.2021", dt.date(2021, 4, 30)),
    ("30 апреля 2021 г.", dt.date(2021, 4, 30)), ("Date: Apr. 30, 2021", dt.date(2021, 4, 30)),
])
def test_a_date_line_after_the_headline_or_byline(line, day):
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", line, "Excerpt."))[0][0]
    assert (d.date, d.body) == (day, "Excerpt.")
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", "By Ivan Petrov", line, "Excerpt.",
                        "https://tass.com/2020/01/02/x"))[0][0]
    assert (d.date, d.author, d.body) == (day, "Ivan Petrov", "Excerpt.")


@pytest.mark.parametrize("line", ["31 April 2021", "04/30/2021", "Spring 2021", "2021"])
def test_what_is_not_a_date_line_stays_in_the_excerpt(line):
    d = imp.parse(entry("Kyrgyzstan – Talks (TASS)", line, "Excerpt."))[0][0]
    assert d.date is None and d.body.startswith(line[:4])


def test_labels_separated_by_commas():
    d = imp.parse(entry("Kyrgyzstan, Tajikistan – Talks (TASS)", "Excerpt."))[0][0]
    assert (d.problems, d.countries) == ([], ["Kyrgyzstan", "Tajikistan"])
    d = imp.parse(entry("Iran, Islamic Republic of – Talks (TASS)", "Excerpt."))[0][0]
    assert (d.problems, d.countries) == ([], ["Iran"])
