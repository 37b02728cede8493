"""The strict front-matter parser and writer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import FrontMatterError
from digest.core.frontmatter import decode, dump, parse


def test_scalars_stay_strings():
    fm = parse("---\ntitle: Yes\nauthor: NO\nx: On\ndate: 2021-04-30\nn: 1.0\nz: ~\n---\nbody\n", "f.md")
    assert fm.fields == {"title": "Yes", "author": "NO", "x": "On", "date": "2021-04-30",
                         "n": "1.0", "z": "~"}


def test_block_and_flow_lists_with_lines():
    text = "---\ncountries:\n  - Kyrgyzstan\n  - Tajikistan\ntopics: [Water, Defense]\n---\n\nExcerpt\n"
    fm = parse(text, "f.md")
    assert fm.fields["countries"] == ["Kyrgyzstan", "Tajikistan"]
    assert fm.item_lines["countries"] == (3, 4)
    assert fm.fields["topics"] == ["Water", "Defense"]
    assert fm.lines == {"countries": 2, "topics": 5}
    assert fm.body == "Excerpt" and fm.body_line == 8


def test_bom_and_crlf_give_the_same_result():
    plain = "---\ntitle: A\n---\n\nBody\n"
    variants = [plain.encode(), b"\xef\xbb\xbf" + plain.encode(),
                plain.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode()]
    results = {repr(parse(decode(v, "f.md"), "f.md")) for v in variants}
    assert len(results) == 1


@pytest.mark.parametrize("text, line, fragment", [
    ("", None, "empty file"),
    ("\ufeff", None, "empty file"),
    ("   \n\n", None, "empty file"),
    ("title: x\n", 1, "first line must be '---'"),
    ("---\ntitle: x\n", 1, "never closed"),
    ("---\n---\nbody", 1, "front matter is empty"),
    ("---\ntitle: Border: talks\n---\n", 2, 'must be quoted'),
    ("---\ntitle: a\ntitle: b\n---\n", 3, "given twice (first on line 2)"),
    ("---\n- a\n- b\n---\n", 2, "'key: value' lines"),
    ("---\na: !!python/object:os.system x\n---\n", 2, "YAML tags"),
    ("---\na:\n  b: c\n---\n", 3, "not a mapping"),
    ("---\na: [[x]]\n---\n", 2, "each item must be plain text"),
    ("---\ntitle: \"unterminated\n---\n", None, "invalid YAML"),
])
def test_errors_name_the_line(text, line, fragment):
    with pytest.raises(FrontMatterError) as info:
        parse(decode(text.encode(), "f.md"), "f.md")
    problem = info.value.problem
    assert problem.path == "f.md"
    if line is not None:
        assert problem.line == line
    assert fragment in problem.message


@pytest.mark.parametrize("data, encoding", [
    ("---\ntitle: Граница\n---\n".encode("cp1251"), "cp1251"),
    ("---\ntitle: Café déjà\n---\n".encode("latin-1"), "latin-1"),
    ("---\ntitle: x\n---\n".encode("utf-16"), "UTF-16"),
])
def test_non_utf8_names_the_encoding(data, encoding):
    with pytest.raises(FrontMatterError) as info:
        decode(data, "f.md")
    assert "not UTF-8" in str(info.value) and encoding in str(info.value)
    assert str(info.value).startswith("f.md:")


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(
    st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True),
    st.one_of(text_values, st.lists(text_values, min_size=1, max_size=4)), max_size=6),
    body=st.text(max_size=200))
def test_dump_then_parse_is_identity(fields, body):
    text = dump(fields, body)
    fm = parse(decode(text.encode("utf-8"), "f.md"), "f.md")
    expected = {k: v for k, v in fields.items() if v not in ("", [])}
    assert fm.fields == expected
    from digest.core.frontmatter import normalise_body
    assert fm.body == normalise_body(body.replace("\r\n", "\n").replace("\r", "\n"))


def test_dump_refuses_line_breaks_inside_values():
    with pytest.raises(ValueError):
        dump({"title": "a\u2028b"}, "")
