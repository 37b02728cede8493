"""Importing a WordPress export (WXR 1.0 to 1.2)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from digest.cli import app
from digest.errors import ContentError
from digest.importers.wxr import WxrImporter, convert_content

runner = CliRunner()


def item(title, *, kind="post", status="publish", date="2021-04-30 10:00:00", name="",
         content="<p>Excerpt.</p>", terms=()):
    cats = "".join(f'<category domain="{d}" nicename="x"><![CDATA[{t}]]></category>' for d, t in terms)
    return f"""
<item>
<title>{title}</title>
<dc:creator><![CDATA[editor]]></dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded>
<wp:post_date_gmt>{date}</wp:post_date_gmt>
<wp:post_name>{name}</wp:post_name>
<wp:status>{status}</wp:status>
<wp:post_type>{kind}</wp:post_type>
{cats}
</item>"""


def wxr(*items, version="1.2"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/{version}/">
<channel><title>Digest</title><wp:wxr_version>{version}</wp:wxr_version>
{''.join(items)}
</channel></rss>""".encode()


EXPORT = wxr(
    item("Kyrgyzstan/Tajikistan – Border talks stall (RFE RL)", name="border-talks",
         terms=[("category", "Analysis"), ("post_tag", "Water")],
         content='<!-- wp:paragraph --><p>Talks <b>stalled</b>.<script>alert(1)</script></p>'
                 '<!-- /wp:paragraph -->[caption id="x"]<img src="https://x.org/a.jpg" alt="map"> A map[/caption]'
                 '[gallery ids="1,2"]<p><a href="https://www.rferl.org/a/2021/talks.html">Talks stall</a></p>'),
    item("A plain title", name="%d0%b3%d1%80%d0%b0%d0%bd%d0%b8%d1%86%d0%b0",
         terms=[("category", "Kazakhstan"), ("category", "News"), ("post_tag", "Central Asia")],
         content="First paragraph.\n\nSecond paragraph.\n\n<a href=\"https://tass.com/x\">https://tass.com/x</a>"),
    item("Kyrgyzstan – Same name (TASS)", name="../../etc/passwd"),
    item("Kyrgyzstan – Same name again (TASS)", name="same"),
    item("Kyrgyzstan – Same name third (TASS)", name="same"),
    item("About us", kind="page"),
    item("logo.png", kind="attachment"),
    item("Menu", kind="nav_menu_item"),
    item("Kyrgyzstan – A draft (TASS)", status="draft"),
    item("Kyrgyzstan – Private (TASS)", status="private"),
    item("Kyrgyzstan – Trashed (TASS)", status="trash"),
    item("Kyrgyzstan – Pending (TASS)", status="pending"),
)


@pytest.mark.parametrize("encode", [
    lambda data: data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    lambda data: data.replace(b"http://wordpress.org/export/", b"https://wordpress.org/export/"),
], ids=["utf-16", "https namespace"])
def test_an_export_in_utf16_or_with_an_https_namespace_is_read(encode):
    """The WXR namespace is found in the parsed tree, not in the file's bytes: an export
    saved as UTF-16, or declaring the namespace with https:// (as WordPress's own theme unit
    test data does), is a WordPress export."""
    drafts, report = WxrImporter().parse(encode(EXPORT), "wp.xml")
    expected, _ = WxrImporter().parse(EXPORT, "wp.xml")
    assert [d.title for d in drafts] == [d.title for d in expected] and len(drafts) == 5


def test_posts_only_and_every_skip_counted():
    drafts, report = WxrImporter().parse(EXPORT, "wp.xml")
    assert len(drafts) == 5
    assert report.skipped_types == {"page": 1, "attachment": 1, "nav_menu_item": 1}
    assert report.skipped_status == {"draft": 1, "private": 1, "trash": 1, "pending": 1}
    assert sum(1 for n in report.notes if "skipped" in n.message) == 4


def test_post_fields_html_and_shortcodes():
    drafts, report = WxrImporter().parse(EXPORT, "wp.xml")
    d = drafts[0]
    assert d.problems == []
    assert (d.title, d.countries, d.source, d.category, d.topics) == (
        "Border talks stall", ["Kyrgyzstan", "Tajikistan"], "RFE/RL", "Analysis", ["Water"])
    assert str(d.date) == "2021-04-30 10:00:00+00:00"
    assert d.source_url == "https://www.rferl.org/a/2021/talks.html" and d.source_title == "Talks stall"
    assert "**stalled**" in d.body and "alert" not in d.body and "wp:paragraph" not in d.body
    assert "![map](https://x.org/a.jpg)" in d.body and "A map" in d.body
    assert any("[gallery] removed" in n for n in d.warnings)
    assert any("scripts" in n for n in d.warnings)


def test_terms_titles_and_slugs():
    drafts, report = WxrImporter().parse(EXPORT, "wp.xml")
    plain = drafts[1]
    assert plain.countries == ["Kazakhstan"] and plain.regions == ["Central Asia"]
    assert plain.category == "News" and plain.source == "TASS"
    assert plain.body == "First paragraph.\n\nSecond paragraph."
    assert plain.slug == "granitsa"  # percent-encoded Cyrillic, transliterated
    assert drafts[2].slug == "same-name"  # '../' in post_name: from the title instead
    assert [d.slug for d in drafts[3:]] == ["same", "same-2"]
    assert any("slug 'same' is used by an earlier post" in n for n in drafts[4].warnings)


def test_zero_date_and_near_miss_terms_are_reported():
    export = wxr(item("Kyrgyzstan – Zero (TASS)", date="0000-00-00 00:00:00"),
                 item("Untitled (TASS)", terms=[("category", "Kyrgystan")]), version="1.1")
    drafts, _ = WxrImporter().parse(export, "wp.xml")
    assert "never guessed" in drafts[0].problems[0]
    assert any("did you mean Kyrgyzstan" in p for p in drafts[1].problems)


@pytest.mark.parametrize("data, fragment", [(b"<rss><channel>", "well-formed"),
                                            (b"<html></html>", "not a WordPress export")])
def test_not_a_wxr(data, fragment):
    with pytest.raises(ContentError) as info:
        WxrImporter().parse(data, "x.xml")
    assert fragment in str(info.value)


def test_cli_import_is_idempotent_and_summarised(site):
    export = site.root / "wp.xml"
    export.write_bytes(EXPORT)
    result = runner.invoke(app, ["import", "--format", "wxr", str(export)])
    assert result.exit_code == 0, result.output
    assert re.search(r"written\s*│\s*5\b", result.output)
    assert re.search(r"skipped: draft post\s*│\s*1\b", result.output)
    assert re.search(r"skipped: attachment \(not a post\)\s*│\s*1\b", result.output)
    assert runner.invoke(app, ["check"]).exit_code == 0
    again = runner.invoke(app, ["import", "--format", "wxr", str(export)])
    assert re.search(r"written\s*│\s*0\b", again.output)
    assert re.search(r"already present\s*│\s*5\b", again.output)


def test_cli_problems_write_nothing_unless_skip_invalid(site):
    export = site.root / "wp.xml"
    export.write_bytes(wxr(item("Kyrgyzstan – Good (TASS)"),
                           item("Kyrgyzstan – Zero (TASS)", date="0000-00-00 00:00:00")))
    result = runner.invoke(app, ["import", "--format", "wxr", str(export)])
    assert result.exit_code == 1 and "nothing written" in result.output
    assert not any(site.project.clippings.rglob("*.md"))
    result = runner.invoke(app, ["import", "--format", "wxr", "--skip-invalid", str(export)])
    assert result.exit_code == 1
    assert len(list(site.project.clippings.rglob("*.md"))) == 1


def test_convert_content_keeps_text():
    md, url, text, notes = convert_content("<h2>Sub</h2><p>A &amp; B <em>c</em></p>"
                                           "<p><a href=\"https://x.org/y\">Original title</a></p>")
    assert md == "## Sub\n\nA & B *c*" and url == "https://x.org/y" and text == "Original title"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_input_raises_only_our_error(data):
    try:
        WxrImporter().parse(data, "x.xml")
    except ContentError as exc:
        assert exc.problems and exc.problems[0].path == "x.xml"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_export_raises_only_our_error(data):
    i = data.draw(st.integers(0, len(EXPORT)))
    j = data.draw(st.integers(i, min(len(EXPORT), i + 30)))
    mutated = EXPORT[:i] + data.draw(st.binary(max_size=30)) + EXPORT[j:]
    try:
        WxrImporter().parse(mutated, "x.xml")
    except ContentError:
        pass


@pytest.mark.parametrize("depth", [61, 400, 100_000])
def test_a_post_nested_too_deeply_is_refused_by_name_and_the_others_imported(depth):
    """HTML nested past what the converter can take (it recurses per element) refuses that
    post with the depth and what to do, quickly even 100,000 deep (the sanitizer's cost grows
    with the square of the depth, so raw HTML past 1,000 is refused before it)."""
    deep = "<p>a</p>" + "<div>" * depth + "deep" + "</div>" * depth
    fine = "<p>One<p>Two<p>Three" * 300  # (paragraphs left open, as classic posts have them)
    drafts, _ = WxrImporter().parse(wxr(
        item("Kyrgyzstan – Deep (TASS)", name="deep", content=deep),
        item("Kyrgyzstan – Fine (TASS)", name="fine", content=fine)), "wp.xml")
    deep_draft, fine_draft = drafts
    (problem,) = deep_draft.problems
    assert "nests" in problem and "elements deep" in problem and "flatten it" in problem
    assert fine_draft.problems == [] and "Three" in fine_draft.body


def test_a_post_nested_just_within_the_limit_converts():
    from digest.importers.wxr import MAX_DEPTH

    content = "<div>" * MAX_DEPTH + "kept" + "</div>" * MAX_DEPTH
    (draft,), _ = WxrImporter().parse(wxr(item("Kyrgyzstan – Deep (TASS)", name="d",
                                               content=content)), "wp.xml")
    assert "kept" in draft.body and not any("nests" in p for p in draft.problems)


# -- posts as WordPress really stores them (the structures of its theme unit test data) ----

def one(content="<p>Excerpt.</p>", title="Kyrgyzstan – Talks (TASS)", **kw):
    (draft,), report = WxrImporter().parse(wxr(item(title, content=content, **kw)), "wp.xml")
    return draft, report


def rendered(markdown: str) -> str:
    from digest.content.render import Renderer
    return Renderer().html(markdown)


def test_a_classic_post_gets_wordpress_paragraphs():
    """Classic posts mix blank-line paragraphs with markup: WordPress's own rules apply."""
    d, _ = one("First line\nsecond line\n\n<h1>Heading</h1>\nAfter the heading.\n\n"
               "<p>A paragraph in markup.</p>\nThird <b>bold</b>.\n<!--more-->\nLast.")
    html = rendered(d.body)
    assert "<p>First line<br>\nsecond line</p>" in html
    assert '<h2 id="heading">Heading</h2>' in html  # (h1 moves down: the title is the h1)
    assert "<p>After the heading.</p>" in html and "<p>A paragraph in markup.</p>" in html
    assert "<strong>bold</strong>" in html and "<p>Last.</p>" in html.replace("<br>\n", "")


def test_nested_lists_render_as_lists():
    d, _ = one("<ol><li>one<ul><li>two<ol><li>three</li></ol></li></ul></li><li>four</li></ol>"
               "<ul><li>a<ul><li>b</li></ul></li></ul>")
    html = rendered(d.body)
    assert html.count("<ol>") == 2 and html.count("<ul>") == 3
    assert "- " not in html and "three" in html


def test_a_table_footer_is_its_last_rows_and_a_caption_its_own_line():
    d, _ = one('<!-- wp:table --><figure class="wp-block-table"><table><thead><tr><th>Side</th>'
               '<th>Killed</th></tr></thead><tbody><tr><td>Kyrgyz</td><td>36</td></tr></tbody>'
               '<tfoot><tr><td>Total</td><td>55</td></tr></tfoot></table><figcaption>Toll'
               '</figcaption></figure><!-- /wp:table -->')
    html = rendered(d.body)
    assert "<th>Side</th>" in html and "<td>Total</td>" in html and "---" not in html
    assert "<p>Toll</p>" in html


def test_embeds_become_a_link_on_their_own_line():
    d, _ = one('<!-- wp:paragraph --><p>Before.</p><!-- /wp:paragraph --><!-- wp:embed -->'
               '<figure class="wp-block-embed is-type-video"><div class="wp-block-embed__wrapper">'
               '\nhttps://www.youtube.com/watch?v=SQEQr7c0-dw\n</div><figcaption>Talks on video'
               '</figcaption></figure><!-- /wp:embed --><p>After.</p>')
    assert d.body == ("Before.\n\n<https://www.youtube.com/watch?v=SQEQr7c0-dw>\n\n"
                      "Talks on video\n\nAfter.")
    d, _ = one("Classic text.\n\nhttps://twitter.com/nacin/status/319508408669708289\n\n"
               "More text.")
    assert "\n\n<https://twitter.com/nacin/status/319508408669708289>\n\n" in d.body
    d, _ = one('<p>Text.</p><iframe src="https://player.vimeo.com/video/1"></iframe><p>End.</p>')
    assert "<https://player.vimeo.com/video/1>" in d.body
    assert any("became a link" in w for w in d.warnings)


def test_footnotes_of_the_footnotes_block():
    export = wxr(item("Kyrgyzstan – Talks (TASS)", content=(
        '<!-- wp:paragraph --><p>Claim<sup data-fn="a1" class="fn"><a href="#a1" id="a1-link">'
        '1</a></sup> and another<sup data-fn="b2" class="fn"><a href="#b2" id="b2-link">2</a>'
        '</sup>.</p><!-- /wp:paragraph --><!-- wp:footnotes /-->')).replace(
        "</item>", '<wp:postmeta><wp:meta_key>footnotes</wp:meta_key><wp:meta_value><![CDATA['
        '[{"content":"Source <em>one</em>.","id":"a1"},{"content":"Source two.","id":"b2"}]'
        ']]></wp:meta_value></wp:postmeta></item>'))
    (d,), _ = WxrImporter().parse(export, "wp.xml")
    assert d.body == "Claim[^1] and another[^2].\n\n[^1]: Source *one*.\n[^2]: Source two."
    html = rendered(d.body)
    assert 'href="#fn:1"' in html and "Source <em>one</em>." in html


@pytest.mark.parametrize("raw, title", [
    ("Media &amp; Text", "Media & Text"), ("Media &amp;amp; Text", "Media &amp; Text"),
    ("Markup: Title <em>With</em> <b>Markup</b>", "Markup: Title With Markup"),
    ("Quotes &#8220;curly&#8221;", "Quotes \u201ccurly\u201d"),
])
def test_titles_are_decoded_once_and_lose_their_markup(raw, title):
    """A title in WXR is HTML (WordPress escapes it): decoded once, its tags removed."""
    d, _ = one(title=f"<![CDATA[{raw}]]>", terms=[("post_tag", "Kyrgyzstan")],
               content='<p>Text.</p><p><a href="https://tass.com/x">x</a></p>')
    assert d.title == title


def test_ordinary_tags_are_topics_never_mistyped_countries():
    d, _ = one(title="Post Format: Chat", terms=[("post_format", "Chat"), ("post_tag", "chat"),
                                                 ("post_tag", "standard"), ("post_tag", "Fun"),
                                                 ("post_tag", "Kyrgyzstan"),
                                                 ("category", "Post Formats")],
               content='<p>Text.</p><p><a href="https://tass.com/x">x</a></p>')
    assert d.problems == []
    assert (d.countries, d.category, d.topics) == (["Kyrgyzstan"], "Post Formats",
                                                   ["chat", "standard", "Fun"])


def test_a_post_without_a_country_names_its_terms_and_a_close_misspelling():
    d, _ = one(title="Plain title", terms=[("post_tag", "standard"), ("post_tag", "Kyrgystan")],
               content='<p>Text.</p><p><a href="https://tass.com/x">x</a></p>')
    (problem,) = d.problems
    assert problem.startswith("no country: none of its terms (standard, Kyrgystan) is a "
                              "country's name (did you mean Kyrgyzstan for 'Kyrgystan'?)")
    assert "Spain" not in problem


def test_a_country_taxonomy_gives_the_countries_and_its_unknown_terms_are_errors():
    d, _ = one(title="Plain title", terms=[("country", "Kyrgyzstan"), ("country", "Narnia"),
                                           ("post_tag", "Russia")],
               content='<p>Text.</p><p><a href="https://tass.com/x">x</a></p>')
    assert d.countries == ["Kyrgyzstan", "Russia"]
    assert d.problems == ["'Narnia' in the country taxonomy is not a country or region the "
                          "gazetteer knows"]


def test_reserved_slugs_are_renamed_and_password_posts_skipped():
    export = wxr(item("Kyrgyzstan – Archives (TASS)", name="archives"),
                 item("Kyrgyzstan – Search (TASS)", name="search"),
                 item("Kyrgyzstan – Secret (TASS)").replace(
                     "</item>", "<wp:post_password>enter</wp:post_password></item>"))
    drafts, report = WxrImporter().parse(export, "wp.xml")
    assert [d.slug for d in drafts] == ["archives-post", "search-post"]
    assert "written as 'archives-post'" in drafts[0].warnings[0]
    assert report.skipped_status == {"password-protected": 1}
    assert "protected by a password" in report.notes[0].message


def test_every_problem_names_the_post_and_every_failing_check_is_shown(site):
    export = site.root / "wp.xml"
    export.write_bytes(wxr(item("Untitled", terms=[("post_tag", "standard")]).replace(
        "<title>", "<wp:post_id>42</wp:post_id><title>"),
        item("Kyrgyzstan – Fine (TASS)", name="fine")))
    result = runner.invoke(app, ["import", "--format", "wxr", str(export)])
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if "post 42 'Untitled'" in x]
    assert any("no outlet" in x for x in lines) and any("no country" in x for x in lines)
    assert re.search(r"refused: problems above\s*│\s*1\b", result.output)
    assert re.search(r"ready, not written: others were refused\s*│\s*1\b", result.output)


def test_spellings_of_one_topic_become_one(site):
    export = site.root / "wp.xml"
    export.write_bytes(wxr(item("Kyrgyzstan – One (TASS)", name="one",
                                terms=[("post_tag", "Water Security")]),
                           item("Kyrgyzstan – Two (TASS)", name="two",
                                terms=[("post_tag", "water security")])))
    result = runner.invoke(app, ["import", "--format", "wxr", str(export)])
    assert result.exit_code == 0, result.output
    assert "topic 'water security' written as 'Water Security'" in result.output
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_the_country_taxonomy_can_be_named(site):
    export = site.root / "wp.xml"
    export.write_bytes(wxr(item("Plain title", name="plain", terms=[
        ("where", "Kyrgyzstan"), ("where", "Kyrgystan")],
        content='<p>Text.</p><p><a href="https://tass.com/x">x</a></p>')))
    result = runner.invoke(app, ["import", "--format", "wxr", str(export),
                                 "--country-taxonomy", "where"])
    assert result.exit_code == 1
    assert "'Kyrgystan' in the where taxonomy is not a country or region the gazetteer " \
           "knows (did you mean Kyrgyzstan?)" in result.output
