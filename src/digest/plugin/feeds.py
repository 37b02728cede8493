"""Atom feeds: the whole digest's and one per listing (country, pair, region, ...)."""

from __future__ import annotations

import html
import io
import os
from typing import Any, Mapping

from feedgenerator import Atom1Feed, get_tag_uri
from pelican.utils import sanitised_join

from digest.core.index import DigestIndex, Group
from digest.core.model import date_key
from digest.plugin.view import SiteView


class DigestAtom(Atom1Feed):
    """Atom 1.0 with each entry's original as a `rel="related"` link."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("related"):
            handler.addQuickElement("link", "", {"href": item["related"], "rel": "related"})


def entry_content(summary: str, source: str, source_url: str, title: str) -> str:
    """An entry's HTML: the summary (HTML already: its text escaped), then the outlet and a
    link to the original, escaped here (the feed says type="html")."""
    text = f"<p>{summary}</p>" if summary else ""
    if source_url:
        return (f'{text}<p>{html.escape(source)}: <a href="{html.escape(source_url)}" '
                f'rel="related">{html.escape(title)}</a></p>')
    return f"{text}<p>{html.escape(source)}</p>"


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
    feed = DigestAtom(title=title, link=f"{site}/{link}", description="",
                     feed_url=f"{site}/{path}", language=settings.get("DEFAULT_LANG", "en"),
                     feed_guid=f"{site}/{path}")
    for c, entry in zip(clippings, view.entries(clippings)):
        url = f"{site}/{entry.url}"
        feed.add_item(
            title=c.title, link=url, description=entry.summary,
            content=entry_content(entry.summary, c.source, c.source_url or "", c.title),
            related=c.source_url or None,
            unique_id=get_tag_uri(url, c.day) if site else url,
            # (RFC 4287: every entry of a feed without an author of its own has one)
            author_name=c.author or c.source, pubdate=date_key(c.date),
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
