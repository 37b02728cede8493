"""`digest serve`: builds, serves on 127.0.0.1 and rebuilds on change."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from digest.serve import serve

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_serve_rebuilds_on_change_and_keeps_serving_after_a_failure(site):
    site.add("2021/04/talks.md", title="First title")
    port = free_port()
    stop = threading.Event()
    events = []
    thread = threading.Thread(target=serve, args=(site.project, port),
                              kwargs={"on_build": lambda r, e: events.append((r, e)),
                                      "stop": stop.is_set}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        assert wait_for(lambda: "First title" in fetch(base + "2021/04/talks/"))
        site.add("2021/04/talks.md", title="Second title")
        assert wait_for(lambda: "Second title" in fetch(base + "2021/04/talks/"))
        site.add("2021/04/talks.md", title="Third", date="not a date")
        assert wait_for(lambda: any(e is not None for _, e in events))
        assert "Second title" in fetch(base + "2021/04/talks/")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def status(base: str) -> dict:
    import json

    return json.loads(fetch(base + "__digest/status"))


class _Served:
    """`serve` in a thread for one test."""

    def __init__(self, site):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve, args=(site.project, self.port),
                                       kwargs={"stop": self.stop.is_set}, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert wait_for(lambda: status(self.base)["id"] >= 1)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def test_the_preview_reports_each_build_and_adds_its_script_to_pages_only_when_served(site):
    site.add("2021/04/talks.md", title="First title", source="Asia Times")
    with _Served(site) as served:
        first = status(served.base)
        assert first["ok"] and first["summary"].startswith("built 1 clippings")
        assert any("outlet 'Asia Times' is not in the registry" in w for w in first["warnings"])
        page = fetch(served.base + "2021/04/talks/")
        assert '<script src="/__digest/reload.js" defer></script></body>' in page
        assert "reload.js" not in site.read("2021/04/talks/index.html")  # (never in output/)
        assert "location.reload()" in fetch(served.base + "__digest/reload.js")
        try:
            fetch(served.base + "no/such/page/")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and b"reload.js" in exc.read()
        site.add("2021/04/talks.md", title="Broken", date="30.04.2021")
        assert wait_for(lambda: not status(served.base)["ok"])
        failed = status(served.base)
        assert failed["id"] > first["id"]
        assert any(p.startswith("content/clippings/2021/04/talks.md:3:") for p in
                   failed["problems"]), failed
        assert "First title" in fetch(served.base + "2021/04/talks/")  # (the last good site)
        # the project's data files are watched, even when data/ appears while serving
        site.add("2021/04/talks.md", title="Mended", source="Asia Times")
        assert wait_for(lambda: status(served.base)["ok"])
        (site.root / "data").mkdir()
        (site.root / "data" / "sources.yml").write_text(
            "- name: Asia Times\n  domains: [asiatimes.com]\n")
        assert wait_for(lambda: status(served.base)["ok"] and not status(served.base)["warnings"])


@pytest.mark.browser
def test_an_open_page_reloads_after_a_good_build_and_shows_a_failed_one(site):
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    site.add("2021/04/talks.md", title="First title")
    with _Served(site) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(served.base + "2021/04/talks/")
        assert page.locator("h1").first.inner_text() == "First title"
        site.add("2021/04/talks.md", title="Second title")
        expect(page.locator("h1").first).to_have_text("Second title", timeout=20000)
        hostile = "<img src=x onerror=document.title=1>"  # (quoted by the date's problem)
        site.add("2021/04/talks.md", title="Third", date=hostile)
        panel = page.locator("aside[role=alert]")
        panel.wait_for(timeout=20000)
        text = panel.inner_text()
        assert "build failed" in text and "content/clippings/2021/04/talks.md:3:" in text
        assert hostile in text  # (as text: never markup)
        assert page.locator("aside[role=alert] img").count() == 0 and page.title() != "1"
        assert page.locator("h1").first.inner_text() == "Second title"  # (the last good page)
        browser.close()
