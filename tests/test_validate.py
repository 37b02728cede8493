"""The clipping rules, one function shared by `digest check` and the site's reader."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.core.frontmatter import decode, parse
from digest.core.gazetteer import load_gazetteer
from digest.core.model import Clipping
from digest.core.schema import normalise_url, parse_date, to_text
from digest.errors import FrontMatterError
from digest.core.rules import validate
from digest.core.schema import FIELDS
from digest.core.across import corpus_problems
from tests.conftest import clipping_text

REL = PurePosixPath("2021/04/border-talks-resume.md")
PATH = "content/clippings/2021/04/border-talks-resume.md"


def check(text: str, rel=REL, path=PATH, today=None):
    return validate(parse(text, path), rel=rel, today=today)


def messages(text: str, **kw):
    return [(p.line, p.message) for p in check(text, **kw).problems]


def test_a_valid_clipping():
    result = check(clipping_text(regions=["Central Asia"], topics=["Water"], author="A. Writer",
                                 source_url="https://www.rferl.org/a/x.html"))
    assert result.problems == []
    c = result.clipping
    assert c.title == "Border talks resume" and c.date == dt.date(2021, 4, 30)
    assert [x.code for x in c.countries] == ["KG", "TJ"]
    assert [p.slug for p in c.pairs] == ["kyrgyzstan-tajikistan"]
    assert c.regions[0].name == "Central Asia" and c.topics == ("Water",)
    assert c.slug == "border-talks-resume"


@pytest.mark.parametrize("field", ["title", "date", "category", "countries", "source"])
def test_missing_required_field(field):
    text = clipping_text()
    text = "\n".join(line for line in text.split("\n") if not line.startswith(f"{field}:"))
    problems = check(text).problems
    assert any(p.message.startswith(f"'{field}' is missing") for p in problems)
    assert check(text).clipping is None


@pytest.mark.parametrize("value", ["2024-13-45", "2024-02-30", "yesterday", "03.04.2024",
                                   "03/04/2024", "24-05-01", "2024", "2021-04-30T10:00"])
def test_dates_are_iso_only(value):
    msgs = messages(clipping_text(date=value))
    assert any(line == 3 and ("not an ISO date" in m or "no offset" in m) for line, m in msgs)


def test_datetime_with_offset_is_accepted():
    assert parse_date("2021-04-30T10:00+05:00") == dt.datetime.fromisoformat("2021-04-30T10:00+05:00")
    assert check(clipping_text(date="2021-04-30T10:00:00+05:00")).problems == []


def test_future_date_is_an_error_when_today_is_known():
    msgs = messages(clipping_text(date="2021-05-10"), today=dt.date(2021, 5, 1),
                    rel=PurePosixPath("2021/05/border-talks-resume.md"))
    assert any("in the future" in m for _, m in msgs)


def test_yaml_never_coerces():
    result = check(clipping_text(title="Yes", author="NO"))
    assert result.clipping.title == "Yes" and result.clipping.author == "NO"


@pytest.mark.parametrize("name, expected", [
    ("Kyrgystan", "unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)"),
    ("KG", "'KG' is a country code, not a name: write Kyrgyzstan"),
    ("Europe", "'Europe' is a region, not a country: list it under regions"),
    ("Kyrgyz", "'Kyrgyz' is an adjective, not a country's name (did you mean Kyrgyzstan?)"),
])
def test_bad_countries(name, expected):
    msgs = messages(clipping_text(countries=(name, "Tajikistan")))
    assert (5, expected) in msgs


def test_country_twice_and_alias():
    msgs = messages(clipping_text(countries=("Tajikistan", "Tajikistan")))
    assert (5, "Tajikistan is listed twice in countries") in msgs
    result = check(clipping_text(countries=("Kyrgyz Republic", "Tajikistan")))
    assert result.clipping is not None
    assert [p.severity for p in result.problems] == ["warning"]
    assert "another name for Kyrgyzstan" in result.problems[0].message


def test_block_list_item_lines():
    text = ("---\ntitle: T\ndate: 2021-04-30\ncategory: News\ncountries:\n  - Tajikistan\n"
            "  - Kyrgystan\nsource: RFE/RL\n---\n\nx\n")
    assert (7, "unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)") in messages(text)


@pytest.mark.parametrize("key", ["save_as", "url", "template", "lang", "translation", "status",
                                 "catgory"])
def test_unknown_and_reserved_keys(key):
    msgs = messages(clipping_text(**{key: "x"}))
    assert any(line == 7 and f"'{key}'" in m for line, m in msgs)
    if key == "catgory":
        assert any("did you mean category?" in m for _, m in msgs)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", " javascript:x",
                                 "java\tscript:x", "ftp://example.org/x", "/relative/x",
                                 "https://", "example.org/x"])
def test_source_url_must_be_http(url):
    text = clipping_text().replace("source: RFE/RL", f"source: RFE/RL\nsource_url: '{url}'")
    msgs = messages(text)
    assert any(line == 7 and "source_url" in m for line, m in msgs), msgs


@pytest.mark.parametrize("title", ["Border\u202etalks", "Border\u200btalks"])
def test_invisible_characters_rejected(title):
    assert any("invisible" in m for _, m in messages(clipping_text(title=title)))


def test_layout_and_slug_rules():
    msgs = messages(clipping_text(), rel=PurePosixPath("2021/05/border-talks-resume.md"))
    assert any("does not match the folder 2021/05" in m for _, m in msgs)
    msgs = messages(clipping_text(), rel=PurePosixPath("border-talks-resume.md"))
    assert any("must live at content/clippings/YYYY/MM" in m for _, m in msgs)
    msgs = messages(clipping_text(), path="c/2021/04/Border Talks.md",
                    rel=PurePosixPath("2021/04/Border Talks.md"))
    assert any("is not a valid address" in m and "border-talks" in m for _, m in msgs)
    msgs = messages(clipping_text(), path="c/2021/04/index.md", rel=PurePosixPath("2021/04/index.md"))
    assert any("reserved" in m for _, m in msgs)
    msgs = messages(clipping_text(slug="other"))
    assert any("differs from the file name" in m for _, m in msgs)


def test_empty_body_and_bad_links():
    assert any("excerpt is missing" in m for _, m in messages(clipping_text(body="")))
    body = "See ![map](/images/map.png) and [a]({static}../../etc/passwd) and [b](//x.org/y)."
    msgs = messages(clipping_text(body=body))
    assert sum(1 for line, m in msgs if line == 9) == 3


def test_topic_that_is_a_country_or_collides():
    msgs = messages(clipping_text(topics=["Kyrgyzstan"]))
    assert any("list it under countries" in m for _, m in msgs)
    msgs = messages(clipping_text(topics=["C++", "C"]))
    assert any("would share the address" in m for _, m in msgs)


def test_normalised_urls():
    a = normalise_url("https://www.rferl.org/a/x/?utm_source=tw&utm_medium=x")
    assert a == normalise_url("http://rferl.org/a/x") == "rferl.org/a/x"
    assert normalise_url("https://x.org/a?b=1&utm_x=2") == "x.org/a?b=1"


def test_corpus_problems_name_both_files():
    one = check(clipping_text(source_url="https://rferl.org/a/1")).clipping
    two = check(clipping_text(source_url="http://www.rferl.org/a/1/"),
                path="content/clippings/2021/04/other.md",
                rel=PurePosixPath("2021/04/other.md")).clipping
    problems = corpus_problems([one, two], [one.path, two.path])
    same_original = [p for p in problems if "same original" in p.message]
    assert {p.path for p in same_original} == {one.path, two.path}
    assert all((one.path in p.message) or (two.path in p.message) for p in same_original)


def test_topic_spellings_that_share_a_page():
    a = check(clipping_text(topics=["Water"])).clipping
    b = check(clipping_text(topics=["water"]), path="c/2021/04/b.md",
              rel=PurePosixPath("2021/04/b.md")).clipping
    c = check(clipping_text(topics=["Water"]), path="c/2021/04/c.md",
              rel=PurePosixPath("2021/04/c.md")).clipping
    problems = [p for p in corpus_problems([a, b, c], [a.path, b.path, c.path])
                if "would share the page" in p.message]
    assert [p.path for p in problems] == ["c/2021/04/b.md"]
    assert "'water' and 'Water'" in problems[0].message


def test_a_spelling_clash_is_told_at_the_field_of_the_rarer_spelling(site):
    """`check` and `build` put the clash on the file with the less common spelling, at the
    line of its field, and name the file with the other."""
    from digest.build import build
    from digest.content.check import check_paths
    from digest.errors import BuildError

    site.add("2021/04/a.md", title="One", source_url="https://e.org/1")
    site.add("2021/04/b.md", title="Two", source_url="https://e.org/2")
    site.add("2021/04/c.md", title="Three", source_url="https://e.org/3", category="news")
    shown = "content/clippings/2021/04/c.md"
    _, problems = check_paths([site.root / "content/clippings"], site.root / "content/clippings",
                              lambda p: str(p.relative_to(site.root)))
    (clash,) = [p for p in problems if "would share the page" in p.message]
    assert (clash.path, clash.line) == (shown, 4)
    assert "'news' and 'News' (in content/clippings/2021/04/a.md)" in clash.message
    with pytest.raises(BuildError) as info:
        build(site.project)
    (clash,) = [p for p in info.value.problems if "would share the page" in p.message]
    assert (clash.path, clash.line) == (shown, 4)


def test_an_unclosed_list_is_told_where_it_opens():
    with pytest.raises(FrontMatterError) as info:
        parse("---\ntitle: T\ncountries: [Kyrgyzstan, Tajikistan\nsource: RFE/RL\n---\n\nText.\n",
              "x.md")
    assert info.value.problem.line == 3 and "the list opened here is not closed" in str(info.value)
    with pytest.raises(FrontMatterError) as info:
        parse("---\ntitle: T\nsource: {a: b\ndate: 2021-04-30\n---\n\nText.\n", "x.md")
    assert info.value.problem.line == 3 and "end it with '}'" in str(info.value)


# -- the round trip ---------------------------------------------------------------------------

gz = load_gazetteer()
words = st.text(alphabet=st.characters(whitelist_categories=("L", "N", "Zs", "P", "S"),
                                       blacklist_characters="\u00ad<>"),
                min_size=1, max_size=30).map(str.strip).filter(bool)  # (names hold no < or >)


@st.composite
def clippings(draw):
    day = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))
    when = draw(st.one_of(st.just(day), st.builds(
        lambda h, m, off: dt.datetime(day.year, day.month, day.day, h, m,
                                      tzinfo=dt.timezone(dt.timedelta(hours=off))),
        st.integers(0, 23), st.integers(0, 59), st.integers(-11, 12))))
    countries = draw(st.lists(st.sampled_from(gz.countries), min_size=1, max_size=4,
                              unique_by=lambda c: c.code))
    regions = draw(st.lists(st.sampled_from(gz.regions), max_size=2, unique_by=lambda r: r.slug))
    topics = draw(st.lists(st.sampled_from(["Defense", "Water", "Borders", "Energy", "Migration"]),
                           max_size=3, unique=True))
    # (control and bidi characters, and Markdown nested past the limits, are refused in an
    # excerpt: test_hardening_ii.py)
    body = draw(st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                                      blacklist_characters="\u202a\u202b\u202c\u202d\u202e"
                                                           "\u2066\u2067\u2068\u2069\u061c")
                        | st.sampled_from("\n\t"), min_size=1, max_size=300)
                .filter(lambda s: s.strip() and "*" * 41 not in s and "_" * 41 not in s))
    from digest.core.frontmatter import normalise_body
    return Clipping(
        title=draw(words), date=when, category=draw(st.sampled_from(["Analysis", "News"])),
        countries=tuple(countries), regions=tuple(regions), topics=tuple(topics),
        source=draw(st.sampled_from(["RFE/RL", "TASS", "Al Jazeera"])), slug="a-clipping",
        body=normalise_body(body), author=draw(st.none() | words),
        source_url=draw(st.none() | st.just("https://example.org/a?b=1")),
        source_site=draw(st.none() | st.just("example.org")),
        source_title=draw(st.none() | words), path="x",
    )


@settings(max_examples=150, deadline=None)
@given(clippings())
def test_write_then_read_gives_the_same_clipping(c):
    text = to_text(c)
    day = c.day
    rel = PurePosixPath(f"{day.year:04d}/{day.month:02d}/a-clipping.md")
    fm = parse(decode(text.encode(), "x"), f"c/{rel}")
    result = validate(fm, rel=rel)
    assert [p for p in result.problems if p.is_error] == []
    assert result.clipping == c


def test_field_table_is_the_allowlist():
    assert [f.name for f in FIELDS][:5] == ["title", "date", "category", "countries", "regions"]


def test_near_duplicates_of_fresh_clippings_complete_the_earlier_pairs():
    """An incremental build keeps the pairs of unchanged clippings and compares only the
    fresh ones: together they must be exactly what comparing everything finds."""
    import datetime as dt
    import random

    from digest.core.gazetteer import load_gazetteer
    from digest.core.model import Clipping
    from digest.core.across import near_duplicate_pairs

    kg = load_gazetteer().by_code["KG"]
    rng = random.Random(5)
    words = ["border", "talks", "resume", "stall", "water"]
    clippings = [
        Clipping(title=" ".join(rng.choice(words) for _ in range(4)) + rng.choice(["", "s"]),
                 date=dt.date(2021, 4, 1) + dt.timedelta(days=rng.randint(0, 20)),
                 category="News", countries=(kg,), source=rng.choice(["TASS", "AP"]),
                 slug=f"c{i}", path=f"c{i}.md")
        for i in range(80)]
    every = {(a.path, b.path) for a, b in near_duplicate_pairs(clippings)}
    assert every  # the corpus has near-duplicates
    for seed in range(5):
        fresh = {c.path for c in random.Random(seed).sample(clippings, 10)}
        kept = {(a, b) for a, b in every if a not in fresh and b not in fresh}
        new = {(a.path, b.path) for a, b in near_duplicate_pairs(clippings, fresh=fresh)}
        assert kept | new == every


# What the checks of text look for, with the characters near it: the quick looks at a whole
# value or excerpt must find what the character-by-character and line-by-line ones find.
_TRICKY = st.sampled_from(list("ab .*_>\t\n \u00a0\u00ad\u200b\u202e\u2066\u061c\u2028\u3000"
                                "\x00\x07\x0b\x1f\x7f\x85\x9f\ufeff\U000e0041\u0301")
                          + ["*" * 20, "_" * 21, ">" * 9, " " * 8, "\t" * 4, "\n> > "])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TRICKY, max_size=30).map("".join))
def test_the_quick_looks_at_text_find_what_the_slow_ones_find(text):
    import unicodedata

    from digest.core import schema

    assert schema.body_problems(text, 3) == schema._line_problems(text, 3)
    assert schema._text_problem("title", text) == schema._char_problem("title", text)
    url = f"https://example.org/{text}"
    spaced = url != url.strip() or any(ch.isspace() or unicodedata.category(ch) == "Cc"
                                       for ch in url)
    assert (schema.url_problem(url) or "").startswith(f"source_url {url!r} contains") == spaced
