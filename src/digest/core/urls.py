"""A clipping's address from an ARTICLE_URL-style pattern, without Pelican."""

from __future__ import annotations

from digest.core.model import Clipping, slugify

DEFAULT_PATTERN = "{date:%Y}/{date:%m}/{slug}/"


def page_address(pattern: str, slug: str, date, category: str, lang: str = "en") -> str:
    """A clipping page's address by an ARTICLE_URL-style pattern."""
    return pattern.format(slug=slug, date=date, category=slugify(category), lang=lang)


def addresses(pattern: str, lang: str):
    """A function giving a clipping's address by an ARTICLE_URL-style pattern. The pattern is
    formatted once per date and category, with the slug put in afterwards (a date's format
    costs microseconds, and a large digest has tens of thousands of clippings)."""
    marker = "\x00slug\x00"
    cache: dict[tuple, tuple[str, str] | None] = {}

    def address(c: Clipping) -> str:
        key = (c.date, c.category)
        parts = cache.get(key, False)
        if parts is False:
            text = page_address(pattern, marker, c.date, c.category, lang)
            parts = cache[key] = tuple(text.split(marker)) if text.count(marker) == 1 else None
        if parts is None:  # no slug in the pattern, or twice: format it every time
            return page_address(pattern, c.slug, c.date, c.category, lang)
        return parts[0] + c.slug + parts[1]

    return address
