"""The excerpt renderer's shortcut for plain prose gives exactly Markdown's HTML."""

from __future__ import annotations

from pathlib import Path

import markdown
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.content.render import EXTENSIONS, Renderer, plain_text, prose_html, sanitize

_md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")


def markdown_html(body: str) -> str:
    _md.reset()
    return _md.convert(body)


# Letters and the punctuation of news prose, with every character Markdown gives a meaning
# to somewhere, and the whitespace that changes blocks.
_ALPHABET = st.sampled_from(list("ab Z19.,;:'\"()?!%$@/-+*_=#>~<&[]{}|`\\^\n\n\t\r\u00a0\u2028"
                                 "\u3000\u00ab\u2014\u2026\x85\x02\x03\ufeff") + [" \n", "\n\n"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
@example("Border talks.\n\nThe ceasefire held.")
@example("1. First\n2. Second")
@example("Line one  \nline two")
@example("Title\n=====")
@example("Term\n: definition")
@example("    code")
@example("a\n \nb")
def test_prose_html_is_markdowns_html(body):
    fast = prose_html(body)
    if fast is not None:
        assert fast == markdown_html(body)
    assert_renders_as_markdown(body)


_renderer = Renderer()


def assert_renders_as_markdown(body: str) -> None:
    """The renderer's HTML and text, whichever way they were made, are the sanitizer's HTML
    of Markdown's and that HTML's plain text."""
    slow = sanitize(markdown_html(body))
    assert _renderer.html_and_text(body) == (slow, plain_text(slow))


# Prose only, with the characters that matter at a line's ends: the shortcut is taken often.
_PROSE = st.sampled_from(list("abc Z19.,)-:=#'\n\u00a0\u2028\u3000") + [" \n", "\n\n", "\n1. "])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PROSE, max_size=60).map("".join))
def test_prose_html_is_markdowns_html_on_prose(body):
    fast = prose_html(body)
    if fast is not None:
        assert fast == markdown_html(body)
    assert_renders_as_markdown(body)


def test_the_sanitizer_changes_prose_only_by_its_no_break_spaces():
    """What `Renderer.html_and_text` relies on to skip the sanitizer for plain prose: every
    character a paragraph of prose may hold, between letters and at a paragraph's ends."""
    chars = [chr(cp) for cp in [*range(0x20, 0x3400), *range(0xa000, 0xd800),
                                *range(0xe000, 0x10000), 0x1f600, 0xe0041, 0x10fffd]
             if prose_html(f"a{chr(cp)}b") is not None]
    assert len(chars) > 30000
    checked = 0
    for i in range(0, len(chars), 150):
        run = "".join(chars[i:i + 150])
        for body in (f"a{run}b", f"x{run[:75]}\n\n{run[75:]}y\n"):
            if prose_html(body) is not None:
                assert_renders_as_markdown(body)
                checked += 1
    assert checked > 400


def test_paragraphs_take_the_shortcut():
    body = ("Kyrgyz and Tajik border guards exchanged fire near Kok-Tash on Thursday, "
            "officials said.\nThe talks resume \u201cnext week\u201d \u2014 in Batken.\n\n\n"
            "A second paragraph (with 3.5 km of road, 40% of it disputed)?")
    assert prose_html(body) is not None
    assert Renderer().html(body) == sanitize(markdown_html(body))


def test_markup_takes_markdown():
    for body in ("A *stressed* word.", "See [the report](https://example.org/r).",
                 "- a list", "> a quote", "AT&T", "a <b>tag</b>", "## Header", "x\ty",
                 "Line  \nbreak", "1. item", "Table | x", "{: #id}", "\\*escaped*"):
        assert prose_html(body) is None, body


def test_real_excerpts_render_alike():
    """Every excerpt of the shipped digest and the test fixtures: the renderer's HTML is
    Markdown's, whichever way it was made."""
    root = Path(__file__).resolve().parents[1]
    bodies = []
    for path in [*root.glob("content/clippings/**/*.md"), *root.glob("tests/fixtures/**/*.md")]:
        text = path.read_text("utf-8", errors="replace")
        if text.startswith("---\n") and "\n---\n" in text[4:]:
            bodies.append(text[4:].split("\n---\n", 1)[1])
    seed = root / "tests" / "fixtures" / "seed.txt"
    bodies.extend(seed.read_text("utf-8").split("\n\n"))
    assert len(bodies) > 20
    renderer = Renderer()
    for body in bodies:
        assert renderer.html(body) == sanitize(markdown_html(body))
        assert_renders_as_markdown(body)
    assert sum(prose_html(b) is not None for b in bodies) > len(bodies) // 4
