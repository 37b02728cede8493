"""The web editor end to end: `digest serve --admin` with its local proxy on 127.0.0.1, a
clipping made and one edited through the form in Chromium, and what they saved checked and
built."""

from __future__ import annotations

import os
import threading
import time

import pytest
from typer.testing import CliRunner

from digest.cli import app
from digest.project import Project
from tests.browser import CHROMIUM, CHROMIUM_ARGS, copy_project, free_port, require_chromium
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BUNDLE = REPO / ".admin-bundle"


def require_bundle() -> None:
    """The editor's bundle and proxy come from `make admin-bundle` (npm); in CI, missing
    them is a failure."""
    if not (BUNDLE / "decap-cms-3.16.3" / "manifest.json").is_file() or \
            not (BUNDLE / "server" / "node_modules" / "decap-server").is_dir():
        message = "the web editor's bundle is not fetched: run `make admin-bundle`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    require_chromium()
    require_bundle()
    from digest.serve import serve

    root = copy_project(REPO, tmp_path_factory.mktemp("admin") / "site",
                        'DIGEST_ADMIN_REPO = "example/digest"\n')
    (root / ".admin-bundle").symlink_to(BUNDLE)
    project = Project(root)
    port, builds, stopping = free_port(), [], threading.Event()
    thread = threading.Thread(target=serve, args=(project, port), daemon=True, kwargs=dict(
        on_build=lambda report, error: builds.append((report, error)),
        stop=stopping.is_set, admin=True))
    thread.start()
    deadline = time.monotonic() + 60
    while not builds and time.monotonic() < deadline:
        time.sleep(0.2)
    assert builds and builds[0][1] is None, builds
    yield root, f"http://127.0.0.1:{port}", builds
    stopping.set()
    thread.join(timeout=20)


@pytest.fixture
def page(editor):
    from playwright.sync_api import sync_playwright

    root, base, _ = editor
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(r):
            if r.request.url.startswith("http://127.0.0.1:"):
                return r.continue_()
            errors.append(f"external request: {r.request.url}")
            return r.abort()

        page.route("**/*", route)
        page.errors = errors
        yield page
        browser.close()
    assert errors == []


def _login(page, base: str, where: str) -> None:
    page.goto(f"{base}/admin/#{where}")
    page.get_by_role("button", name="Login").click(timeout=30000)


def _choose(page, name: str, *values: str) -> None:
    box = page.locator(f"input[id^='{name}-field']")
    for value in values:
        box.click()
        box.fill(value)
        page.keyboard.press("Enter")


SHOTS = REPO / "test-output" / "admin"


def _publish(page, name: str) -> None:
    _shot(page, f"{name}-form")
    page.get_by_role("button", name="Publish").first.click()
    page.get_by_text("Publish now").click()


def _shot(page, name: str) -> None:
    """A screenshot for people to look at (the published one once the test has seen the
    file saved and the site built)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, timeout=60000)


def _wait_for(page, predicate, seconds: float = 30):
    """Poll `predicate` while the page goes on: Playwright's sync API serves the page's
    requests (its route handler is Python) only while it is called, so the waiting is the
    page's own, never a sleep that would hold the editor's saving up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        page.wait_for_timeout(300)
    return predicate()


def test_a_clipping_made_in_the_editor_passes_the_check_and_reaches_its_pair(editor, page,
                                                                            monkeypatch):
    root, base, builds = editor
    _login(page, base, "/collections/clippings/new")
    page.locator("input[id^='title-field']").fill("Border guards meet at Vorukh")
    page.locator("input[id^='date-field']").fill("2021-08-20")
    _choose(page, "category", "News")
    _choose(page, "countries", "Kyrgyzstan", "Tajikistan")
    _choose(page, "source", "RFE/RL")
    page.locator("input[id^='source_url-field']").fill(
        "https://www.rferl.org/a/border-guards-vorukh/31400000.html")
    body = page.locator("[contenteditable=true]").first
    body.click()
    page.keyboard.type("Border guards of both countries met at Vorukh on Friday.")
    _publish(page, "new")
    folder = root / "content/clippings/2021/08"
    saved = _wait_for(page, lambda: (folder / "border-guards-meet-at-vorukh.md").is_file()
                      and folder / "border-guards-meet-at-vorukh.md")
    assert saved, sorted(p.name for p in folder.iterdir())
    text = saved.read_text()
    assert "title: Border guards meet at Vorukh" in text and "Kyrgyzstan" in text
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["check", str(saved)])
    assert result.exit_code == 0, result.output + text
    built = _wait_for(page, lambda: "Border guards meet at Vorukh" in (
        root / "output/pairs/kyrgyzstan-tajikistan/index.html").read_text())
    assert built, builds[-1]
    _shot(page, "new-published")


def test_a_clippings_countries_are_edited_in_the_editor(editor, page, monkeypatch):
    root, base, _ = editor
    rel = "2021/08/eu-regrets-violence-on-tajikistan-kyrgyzstan-border"
    path = root / "content/clippings" / f"{rel}.md"
    before = path.read_text()
    _login(page, base, f"/collections/clippings/entries/{rel}")
    _choose(page, "countries", "Uzbekistan")
    _publish(page, "edit")
    after = _wait_for(page, lambda: path.read_text() != before and path.read_text())
    assert after and "Uzbekistan" in after, after
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output + after
    assert _wait_for(page, lambda: "EU" in (root / "output/pairs/tajikistan-uzbekistan/index.html")
                     .read_text() if (root / "output/pairs/tajikistan-uzbekistan/index.html")
                     .is_file() else False)
    _shot(page, "edit-published")
