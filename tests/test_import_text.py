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
