"""The feed inbox: outlets' feeds served on 127.0.0.1, read into drafts, accepted or rejected."""

from __future__ import annotations

import http.server
import re
import threading

import pytest
from typer.testing import CliRunner

from digest.cli import app
from tests.browser import free_port

runner = CliRunner()

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>RFE/RL - Central Asia</title><link>https://www.rferl.org/</link>
<item><title>Kyrgyz, Tajik Border Guards Exchange Fire Near Disputed Enclave</title>
<link>https://www.rferl.org/a/kyrgyz-tajik-border-clash/32001.html</link>
<description><![CDATA[<p>Border guards of Kyrgyzstan and Tajikistan exchanged fire on
Thursday.</p><script>alert(1)</script><img src=x onerror=alert(2)>]]></description>
<pubDate>Thu, 29 Apr 2021 10:00:00 +0000</pubDate></item>
<item><title>CSTO Holds Drills In Central Asia</title>
<link>https://www.rferl.org/a/csto-drills/32002.html</link>
<description>Exercises began on Monday.</description>
<pubDate>Mon, 26 Apr 2021 08:00:00 +0000</pubDate></item>
<item><title>Eurovision Song Contest Final Tonight</title>
<link>https://www.rferl.org/a/eurovision/32003.html</link>
<description>Music and more music.</description>
<pubDate>Sat, 22 May 2021 18:00:00 +0000</pubDate></item>
<item><title>Пограничники Кыргызстана и Таджикистана обменялись огнём</title>
<link>https://rus.azattyk.org/a/31230000.html</link>
<description>Стороны обвиняют друг друга.</description>
<pubDate>Fri, 30 Apr 2021 07:00:00 +0000</pubDate></item>
</channel></rss>"""

BOMB = """<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><title>x</title><item><title>&c; Kyrgyzstan</title>
<link>https://x.org/1</link></item></channel></rss>"""


class FeedHandler(http.server.BaseHTTPRequestHandler):
    feeds: dict[str, bytes] = {}
    agents: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.agents.append(self.headers.get("User-Agent", ""))
        body = self.feeds.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def feeds():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), FeedHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FeedHandler.feeds = {"/rss": RSS.encode(), "/bomb": BOMB.encode(),
                         "/page": b"<html><body>not a feed</body></html>",
                         "/huge": b"<rss>" + b"x" * (6 * 1024 * 1024) + b"</rss>"}
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def run(*args):
    return runner.invoke(app, list(args))


def with_feeds(site, base: str, *paths: str) -> None:
    (site.root / "data").mkdir(exist_ok=True)
    feeds = ", ".join(f"'{base}{p}'" for p in paths)
    (site.root / "data" / "sources.yml").write_text(
        f"- name: RFE/RL\n  domains: [rferl.org, azattyk.org]\n  kind: public broadcaster\n"
        f"  country: US\n  feeds: [{feeds}]\n", encoding="utf-8")


def test_fetch_keeps_what_names_a_place_as_text_and_lists_it_newest_first(site, feeds):
    with_feeds(site, feeds, "/rss")
    result = run("inbox", "fetch")
    assert result.exit_code == 0, result.output
    assert "3 new entries in the inbox; 0 known already, 1 naming no country or region" in \
        result.output
    assert FeedHandler.agents[-1].startswith("digest/")
    listing = run("inbox").output.splitlines()
    assert listing[0].startswith("  1  2021-04-30  RFE/RL  [Kyrgyzstan, Tajikistan]  Пограничники")
    assert listing[1].startswith("  2  2021-04-29  RFE/RL  [Kyrgyzstan, Tajikistan]  Kyrgyz, Tajik")
    assert listing[2].startswith("  3  2021-04-26  RFE/RL  [CSTO, Central Asia]  CSTO Holds")
    stored = "".join(p.read_text() for p in (site.root / "inbox").glob("[!.]*.json"))
    assert "<script" not in stored and "onerror" not in stored and "alert" not in stored
    assert (site.root / "inbox" / ".gitignore").read_text().endswith("*\n")
    again = run("inbox", "fetch")  # (the feed answers 304: nothing read again)
    assert "0 new entries" in again.output and "1 feed unchanged" in again.output


def test_accept_makes_a_clipping_and_reject_forgets_for_good(site, feeds):
    with_feeds(site, feeds, "/rss")
    run("inbox", "fetch")
    accepted = run("inbox", "accept", "2", "--no-input", "--category", "News")
    assert accepted.exit_code == 0, accepted.output
    (path,) = site.project.clippings.rglob("*.md")
    text = path.read_text()
    assert "title: Kyrgyz, Tajik Border Guards Exchange Fire Near Disputed Enclave" in text
    assert "countries: [Kyrgyzstan, Tajikistan]" in text and "source: RFE/RL" in text
    assert "source_url: https://www.rferl.org/a/kyrgyz-tajik-border-clash/32001.html" in text
    assert "date: 2021-04-29T10:00:00+00:00" in text
    assert run("check").exit_code == 0
    assert len(run("inbox").output.splitlines()) == 2
    rejected = run("inbox", "reject", "1")
    assert rejected.exit_code == 0 and "rejected: Пограничники" in rejected.output
    (site.root / "inbox" / ".feeds.json").unlink()  # (read the whole feed again)
    again = run("inbox", "fetch")
    assert "0 new entries in the inbox; 3 known already" in again.output  # clipped, rejected, kept
    assert run("inbox", "accept", "9").exit_code == 2


@pytest.mark.parametrize("path, said", [
    ("/bomb", "declares XML entities"), ("/page", "not an RSS or Atom feed"),
    ("/huge", "larger than 5 MB"), ("/missing", "HTTP 404"),
])
def test_hostile_or_broken_feeds_are_named_and_store_nothing(site, feeds, path, said):
    with_feeds(site, feeds, path)
    result = run("inbox", "fetch")
    assert result.exit_code == 0
    assert re.search(rf"warning: {re.escape(feeds + path)} \(RFE/RL\): .*{said}", result.output), \
        result.output
    assert not [p for p in (site.root / "inbox").glob("*.json") if not p.name.startswith(".")]


def test_no_feeds_says_how_to_add_one(site):
    result = run("inbox", "fetch")
    assert result.exit_code == 2 and "digest source add NAME --domain … --feed URL" in \
        result.output
    assert "the inbox is empty" in run("inbox").output


def test_a_feed_in_another_encoding_than_it_declares_is_read_in_the_one_it_reads_in(site, feeds):
    FeedHandler.feeds["/cp1251"] = RSS.encode("cp1251")  # (declared utf-8)
    with_feeds(site, feeds, "/cp1251")
    result = run("inbox", "fetch")
    assert "document declared as utf-8" in result.output and "read as cp1251" in result.output
    assert "Пограничники Кыргызстана" in run("inbox").output
