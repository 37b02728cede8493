"""The languages of originals: ISO 639-1 codes and their English names (from pycountry)."""

from __future__ import annotations

from functools import lru_cache

# The names a reader knows, where ISO 639's differ (pycountry gives ISO's).
_USUAL = {"ky": "Kyrgyz", "ps": "Pashto", "ug": "Uyghur", "el": "Greek", "dv": "Dhivehi",
          "pa": "Punjabi", "ny": "Chichewa", "gd": "Scottish Gaelic", "ht": "Haitian Creole"}


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import pycountry  # (its table of languages is read on first use: only clippings with one)

    out = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if code:  # "Nepali (macrolanguage)" → Nepali
            out[code] = _USUAL.get(code) or lang.name.split(" (")[0].split(";")[0]
    return out


def language_name(code: str) -> str | None:
    """The English name of an ISO 639-1 code (`ru` → Russian), None for any other text."""
    return _names().get(code)


def close_codes(text: str) -> list[str]:
    """Codes a mistaken value may have meant: the code of a language named in English
    (`Russian` → ru), else none."""
    folded = text.strip().casefold()
    return [code for code, name in _names().items() if name.casefold() == folded]
