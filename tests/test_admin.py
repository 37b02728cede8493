"""The web editor's configuration: made from the schema, gazetteer and registry, so that
whatever its form can save passes `digest check`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.core.cmsconfig import cms_config
from digest.core.frontmatter import dump, parse
from digest.core.gazetteer import load_gazetteer
from digest.core.registry import load_registry
from digest.core.rules import validate
from digest.core.schema import FIELD_NAMES

TODAY = dt.date(2026, 12, 2)
GZ, REG = load_gazetteer(), load_registry()
CONFIG = cms_config(GZ, REG, ["Analysis", "News", "Opinion"], "owner/digest", "main",
                    "https://owner.github.io/digest", TODAY)
FIELDS = {f["name"]: f for f in CONFIG["collections"][0]["fields"]}


def _js_free(pattern: str) -> str:
    """A JavaScript pattern of the config as Python reads it (the same syntax here)."""
    return pattern


def _pattern(name: str) -> str:
    return _js_free(FIELDS[name]["pattern"][0])


def _value(field: dict) -> st.SearchStrategy:
    """What the CMS's widget for `field` can save."""
    widget = field["widget"]
    if widget == "select":
        options = [o["value"] if isinstance(o, dict) else o for o in field["options"]]
        if field.get("multiple"):
            return st.lists(st.sampled_from(options), min_size=field.get("min", 0),
                            max_size=4, unique=True)
        return st.sampled_from(options)
    if widget == "list":
        return st.lists(st.from_regex(field["field"]["pattern"][0], fullmatch=True),
                        max_size=3, unique_by=lambda t: re.sub(r"[^a-z0-9]+", "-", t.lower()))
    if widget == "datetime":
        return st.dates(dt.date(1990, 1, 1), TODAY).map(dt.date.isoformat)
    return st.from_regex(field["pattern"][0], fullmatch=True)


@st.composite
def saved_clipping(draw) -> dict:
    values = {}
    for name, field in FIELDS.items():
        if name == "body":
            continue
        if field.get("required") or draw(st.booleans()):
            values[name] = draw(_value(field))
    return values


def test_every_field_of_the_schema_is_in_the_form_with_its_rules():
    names = [f["name"] for f in CONFIG["collections"][0]["fields"]]
    assert names[:-1] == [n for n in FIELD_NAMES if n in names]  # the schema's order
    assert names[-1] == "body"
    assert set(FIELD_NAMES) - set(names) == {"source_site", "slug", "redirect_from"}
    assert FIELDS["countries"]["options"] == [c.name for c in GZ.countries]
    assert "Kyrgyzstan" in FIELDS["countries"]["options"]
    assert {s.name for s in REG.sources} == set(FIELDS["source"]["options"])
    assert FIELDS["title"]["required"] and not FIELDS["author"]["required"]
    assert FIELDS["date"]["format"] == "YYYY-MM-DD"
    assert "the headline" in FIELDS["title"]["hint"].lower()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(saved_clipping())
def test_whatever_the_form_saves_passes_the_check(values):
    text = dump({k: v for k, v in values.items()}, "The excerpt, as the editor wrote it.")
    day = dt.date.fromisoformat(values["date"])
    rel = PurePosixPath(f"{day.year:04d}/{day.month:02d}/saved-clipping.md")
    fm = parse(text, str(rel))
    result = validate(fm, gazetteer=GZ, registry=REG, rel=rel, today=TODAY)
    assert result.errors == [], (values, result.errors)


def test_a_pattern_refuses_what_the_check_refuses():
    assert not re.match(_pattern("source_url"), "javascript:alert(1)")
    assert not re.match(_pattern("source_url"), "https://localhost/x")
    assert not re.match(_pattern("title"), "Two\nlines")
    assert not re.match(_pattern("title"), "x" * 301)
    assert not re.match(_pattern("author"), "<b>Me</b>")
    assert not re.match(_pattern("date"), "2027-01-01")  # after this year
    assert re.match(_pattern("source_url"), "https://www.rferl.org/a/31234567.html")
