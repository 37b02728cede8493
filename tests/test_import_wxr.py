"""Importing a WordPress export (WXR 1.1 and 1.2)."""

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
    assert any("[gallery] removed" in n.message for n in report.notes)
    assert any("scripts" in n.message for n in report.notes)


def test_terms_titles_and_slugs():
    drafts, report = WxrImporter().parse(EXPORT, "wp.xml")
    plain = drafts[1]
    assert plain.countries == ["Kazakhstan"] and plain.regions == ["Central Asia"]
    assert plain.category == "News" and plain.source == "TASS"
    assert plain.body == "First paragraph.\n\nSecond paragraph."
    assert plain.slug == "granitsa"  # percent-encoded Cyrillic, transliterated
    assert drafts[2].slug == "same-name"  # '../' in post_name: from the title instead
    assert [d.slug for d in drafts[3:]] == ["same", "same-2"]
    assert any("slug 'same' is used by an earlier post" in n.message for n in report.notes)


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
