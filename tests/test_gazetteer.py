"""The gazetteer: every ISO country, canonical names, aliases, demonyms; never a guess."""

from __future__ import annotations

import pycountry
import pytest

from digest.core.gazetteer import load_gazetteer
from digest.core.model import Country, Region

gz = load_gazetteer()


def test_every_iso_country_is_there_with_a_slug():
    codes = {c.alpha_2 for c in pycountry.countries}
    assert codes <= set(gz.by_code)
    assert "XK" in gz.by_code  # Kosovo, user-assigned
    for c in gz.countries:
        assert c.slug and c.slug == c.slug.lower()


@pytest.mark.parametrize("code, name", [
    ("RU", "Russia"), ("KG", "Kyrgyzstan"), ("TR", "Türkiye"), ("IR", "Iran"),
    ("KR", "South Korea"), ("GB", "United Kingdom"), ("XK", "Kosovo"), ("TJ", "Tajikistan"),
])
def test_canonical_names(code, name):
    assert gz.by_code[code].name == name
    assert gz.resolve(name).how == "canonical"


@pytest.mark.parametrize("alias, code", [
    ("Kyrgyz Republic", "KG"), ("Turkey", "TR"), ("Russian Federation", "RU"), ("UK", "GB"),
    ("Kosovo", "XK"), ("kyrgyzstan", "KG"), ("Viet Nam", "VN"),
])
def test_aliases_resolve_exactly(alias, code):
    match = gz.resolve(alias)
    assert match is not None and match.entity.code == code


def test_kosovo_is_never_serbia_and_uk_never_ukraine():
    assert gz.resolve("Kosovo").entity.code == "XK"
    assert gz.resolve("UK").entity.code == "GB"


def test_unknown_names_get_suggestions_not_guesses():
    assert gz.resolve("Kyrgystan") is None
    assert gz.suggest("Kyrgystan")[0] == "Kyrgyzstan"
    assert gz.resolve("Tajikstan") is None
    assert gz.suggest("Tajikstan")[0] == "Tajikistan"
    assert gz.suggest("Defense") == []


def test_codes_are_explained_not_accepted():
    assert gz.resolve("KG").how == "code"
    assert "ISO 3166: Serbia" in gz.code_hint("RS") and "FIPS 10-4: Russia" in gz.code_hint("RS")
    assert "Tajikistan" in gz.code_hint("TI")


def test_demonyms_find_countries_in_headlines():
    found = gz.find_in_text("Work On Water Facility Stops As Kyrgyz-Tajik Border Tensions Rise")
    assert [c.code for c in found] == ["KG", "TJ"]
    found = gz.find_in_text("Sino-Tajik Relations: An Unequal Partnership")
    assert [c.code for c in found] == ["CN", "TJ"]
    assert [c.code for c in gz.find_in_text("Afghan reshuffle in the Kyrgyz Republic")] == ["AF", "KG"]


def test_regions_and_organisations_are_their_own_kind():
    for name in ("Europe", "Central Asia", "EU", "CSTO", "SCO"):
        match = gz.resolve(name)
        assert isinstance(match.entity, Region), name
    assert gz.resolve("European Union").entity.name == "EU"
    assert all(isinstance(c, Country) for c in gz.countries)
