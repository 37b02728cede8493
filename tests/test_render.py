"""The excerpt renderer's shortcut for plain prose gives exactly Markdown's HTML."""

from __future__ import annotations

from pathlib import Path

import markdown
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.content.render import EXTENSIONS, Renderer, prose_html, sanitize

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


# Prose only, with the characters that matter at a line's ends: the shortcut is taken often.
_PROSE = st.sampled_from(list("abc Z19.,)-:=#'\n\u00a0\u2028\u3000") + [" \n", "\n\n", "\n1. "])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PROSE, max_size=60).map("".join))
def test_prose_html_is_markdowns_html_on_prose(body):
    fast = prose_html(body)
    if fast is not None:
        assert fast == markdown_html(body)


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
    assert sum(prose_html(b) is not None for b in bodies) > len(bodies) // 4
