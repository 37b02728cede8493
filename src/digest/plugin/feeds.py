"""Atom feeds: the whole digest's and one per listing (country, pair, region, ...)."""

from __future__ import annotations

import io
import os
from typing import Any, Mapping

from feedgenerator import Atom1Feed, get_tag_uri
from pelican.utils import sanitised_join

from digest.core.index import DigestIndex, Group
from digest.core.model import date_key
from digest.plugin.view import SiteView


def write_feed(output_path: str, settings: Mapping[str, Any], view: SiteView,
               index: DigestIndex, kind: str | None, group: Group | None) -> None:
    """Write the feed of a listing (`kind`, `group`), or of the whole digest (None, None)."""
    slug = group.slug if group else ""
    path = view.feed_url(kind, slug)
    if not path:
        return
    site = settings.get("SITEURL", "").rstrip("/")
    sitename = settings.get("SITENAME", "Digest")
    clippings = (group.clippings if group else index.clippings)
    clippings = clippings[: view.cfg["DIGEST_FEED_MAX_ITEMS"]]
    if group:
        title = f"{sitename}: {group.name}"
        link = view.listing_url(kind, slug) or ""
    else:
        title, link = sitename, ""
    feed = Atom1Feed(title=title, link=f"{site}/{link}", description="",
                     feed_url=f"{site}/{path}", language=settings.get("DEFAULT_LANG", "en"),
                     feed_guid=f"{site}/{path}")
    for c, entry in zip(clippings, view.entries(clippings)):
        url = f"{site}/{entry.url}"
        feed.add_item(
            title=c.title, link=url, description=entry.summary,
            unique_id=get_tag_uri(url, c.day) if site else url,
            author_name=c.author or None, pubdate=date_key(c.date),
            updateddate=date_key(c.date),
            categories=[x.name for x in c.countries] + [r.name for r in c.regions]
            + list(c.topics),
        )
    target = sanitised_join(output_path, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    buffer = io.StringIO()
    feed.write(buffer, "utf-8")
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(buffer.getvalue())
