"""The Atom feeds against RFC 4287's rules (what the W3C feed validator checks of Atom),
on the golden site's feeds and on a built site's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree

import pytest

from digest.build import build

ATOM = "{http://www.w3.org/2005/Atom}"
GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "expected" / "feeds"


def rfc3339(text: str) -> bool:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def problems_of(path: Path) -> list[str]:
    """Every breach of the Atom rules the validator checks, in one feed file."""
    out = []
    root = ElementTree.parse(path).getroot()
    if root.tag != f"{ATOM}feed":
        return [f"{path.name}: the root is not an Atom feed"]
    for name in ("id", "title", "updated"):
        if root.find(f"{ATOM}{name}") is None:
            out.append(f"{path.name}: the feed has no {name}")
    if not rfc3339(root.findtext(f"{ATOM}updated", "")):
        out.append(f"{path.name}: the feed's updated is not an RFC 3339 date-time")
    if not any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link")):
        out.append(f"{path.name}: no rel=self link")
    feed_author = root.find(f"{ATOM}author") is not None
    ids = set()
    for entry in root.findall(f"{ATOM}entry"):
        where = f"{path.name}: entry {entry.findtext(f'{ATOM}id')}"
        for name in ("id", "title", "updated"):
            if not (entry.findtext(f"{ATOM}{name}") or "").strip():
                out.append(f"{where}: no {name}")
        if entry.findtext(f"{ATOM}id") in ids:
            out.append(f"{where}: the id is not unique")
        ids.add(entry.findtext(f"{ATOM}id"))
        for name in ("updated", "published"):
            value = entry.findtext(f"{ATOM}{name}")
            if value is not None and not rfc3339(value):
                out.append(f"{where}: {name} is not an RFC 3339 date-time")
        author = entry.find(f"{ATOM}author")
        if not feed_author and (author is None or not (author.findtext(f"{ATOM}name") or
                                                      "").strip()):
            out.append(f"{where}: no author (the feed has none either)")
        links = entry.findall(f"{ATOM}link")
        if not any(link.get("rel", "alternate") == "alternate" for link in links) and \
                entry.find(f"{ATOM}content") is None:
            out.append(f"{where}: neither a rel=alternate link nor content")
        rels = [(link.get("rel", "alternate"), link.get("type"), link.get("hreflang"))
                for link in links]
        if len(rels) != len(set(rels)):
            out.append(f"{where}: two links of the same rel, type and language")
        for tag in ("summary", "content"):
            node = entry.find(f"{ATOM}{tag}")
            if node is not None and node.get("type", "text") not in ("text", "html", "xhtml"):
                out.append(f"{where}: {tag} of type {node.get('type')}")
    return out


def test_the_golden_feeds_keep_the_atom_rules():
    files = sorted(GOLDEN.rglob("*.atom.xml"))
    assert files
    assert [p for f in files for p in problems_of(f)] == []


def test_every_entry_names_an_author_the_outlet_and_links_the_original(site):
    site.add("2021/04/a.md", title="With an author", author="Ann Lee",
             source_url="https://www.rferl.org/a/1.html")
    site.add("2021/04/b.md", title="Without an author", source="TASS")
    build(site.project)
    feed = site.root / "output" / "feeds" / "all.atom.xml"
    assert problems_of(feed) == []
    entries = {e.findtext(f"{ATOM}title"): e
               for e in ElementTree.parse(feed).getroot().findall(f"{ATOM}entry")}
    with_author, without = entries["With an author"], entries["Without an author"]
    assert with_author.findtext(f"{ATOM}author/{ATOM}name") == "Ann Lee"
    assert without.findtext(f"{ATOM}author/{ATOM}name") == "TASS"  # (the outlet)
    related = [link.get("href") for link in with_author.findall(f"{ATOM}link")
               if link.get("rel") == "related"]
    assert related == ["https://www.rferl.org/a/1.html"]
    content = with_author.findtext(f"{ATOM}content")
    assert 'RFE/RL: <a href="https://www.rferl.org/a/1.html" rel="related">' in content


@pytest.mark.parametrize("title", ["<script>alert(1)</script> & co", 'He said "no" <b>'])
def test_hostile_text_stays_text_in_a_feed(site, title):
    site.add("2021/04/a.md", title=f"'{title}'" if '"' in title else title,
             source_url="https://www.rferl.org/a/1.html")
    build(site.project)
    feed = site.root / "output" / "feeds" / "all.atom.xml"
    assert problems_of(feed) == []
    content = ElementTree.parse(feed).getroot().find(f"{ATOM}entry/{ATOM}content").text
    assert "<script" not in content and "<b>" not in content
