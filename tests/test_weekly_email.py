"""`digest weekly`: a week's issue as an email, HTML (inlined, 600 px, under 100 KB, no
request anywhere) and plain text (72 columns, links numbered)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from digest.cli import app
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.conftest import REPO, Site, clipping_text
from tests.test_incremental import CONF
from tests.test_weekly import INTRO, _week, _write_intro

runner = CliRunner()
PUBLISH = ("from pelicanconf import *  # noqa\nSITEURL = 'https://digest.example.org'\n"
           "RELATIVE_URLS = False\n")
SHOTS = REPO / "test-output" / "email"


@pytest.fixture
def digest(tmp_path, monkeypatch) -> Site:
    site = Site(tmp_path, CONF)
    (tmp_path / "publishconf.py").write_text(PUBLISH)
    monkeypatch.chdir(tmp_path)
    _week(site)
    _write_intro(site, "2021-W33", INTRO)
    return site


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _check_html(html: str) -> Tags:
    assert len(html.encode()) < 100_000
    tags = Tags()
    tags.feed(html)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "img", "link", "iframe", "form", "object", "embed", "svg"}
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    for tag, attrs in tags.tags:
        if tag == "a":
            assert re.match(r"https://|mailto:", attrs["href"]), attrs["href"]
    assert "@import" not in html and "@font-face" not in html and "url(" not in html
    return tags


def _check_text(text: str) -> None:
    lines = text.split("\n")
    links = lines.index("Links:")
    assert all(len(line) <= 72 for line in lines[:links]), \
        [line for line in lines[:links] if len(line) > 72]
    listed = [re.match(r"\[(\d+)\] (https?://\S+)$", line) for line in lines[links + 2:-1]]
    assert all(listed)
    numbers = [int(m.group(1)) for m in listed]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", "\n".join(lines[:links]))}
    assert cited == set(numbers)  # every link numbered is cited, and none is missing


def test_the_last_finished_week_as_email_html_and_text(digest):
    result = runner.invoke(app, ["weekly"])
    assert result.exit_code == 0, result.output
    assert "wrote email/2021-W33.html" in result.output and "4 clippings" in result.output
    html = (digest.root / "email/2021-W33.html").read_text()
    tags = _check_html(html)
    assert "<title>Test Digest, week 33 of 2021: Vorukh again</title>" in html
    assert "prefers-color-scheme: dark" in html  # kept as a media query
    assert sum(1 for t, a in tags.tags if "style" in a) > 20  # the stylesheet, inlined
    assert "alert(1)" not in html
    text = (digest.root / "email/2021-W33.txt").read_text()
    _check_text(text)
    assert text.startswith("Test Digest, week 33 of 2021: Vorukh again\n")
    assert "Fighting resumed at Vorukh [2] on Wednesday." in text
    assert "[2] https://rferl.org/a/vorukh.html" in text
    assert "KYRGYZSTAN–TAJIKISTAN (3)" in text
    assert not (digest.root / "output").exists()  # the email builds no site


def test_a_week_is_named_or_refused(digest):
    result = runner.invoke(app, ["weekly", "--week", "2021-W32", "--out", "mail"])
    assert result.exit_code == 0, result.output
    assert (digest.root / "mail/2021-W32.txt").is_file()
    result = runner.invoke(app, ["weekly", "--week", "2021-W35"])
    assert result.exit_code == 1
    assert "week 35 of 2021 (30 August to 5 September 2021) has no clippings: there is no " \
           "issue to send; the nearest weeks with clippings: 2021-W32, 2021-W33" in result.output
    result = runner.invoke(app, ["weekly", "--week", "33"])
    assert result.exit_code == 2 and "write it as 2021-W33" in result.output
    assert "Traceback" not in result.output


def test_a_week_in_progress_is_written_with_a_warning(digest):
    digest.add("2026/12/now.md", clipping_text(title="This week", date="2026-12-01"))
    import datetime as dt

    from digest.build.weekly import weekly_email

    made = weekly_email(digest.project, "2026-W49", today=dt.date(2026, 12, 2))
    assert not made.ended
    assert "in progress: the issue is final on 7 December at 00:00" in \
        " ".join(made.text.read_text().split())


def test_without_a_published_address_the_email_is_refused(digest):
    (digest.root / "publishconf.py").write_text("from pelicanconf import *  # noqa\n"
                                                "SITEURL = ''\nRELATIVE_URLS = False\n")
    result = runner.invoke(app, ["weekly"])
    assert result.exit_code == 2 and "SITEURL" in result.output


def test_a_bad_clipping_stops_the_email(digest):
    digest.add("2021/08/bad.md", clipping_text(date="2021-08-17", countries=["Kyrgystan"]))
    result = runner.invoke(app, ["weekly"])
    assert result.exit_code == 1 and "did you mean Kyrgyzstan" in result.output
    assert not (digest.root / "email").exists()


def test_a_huge_week_is_cut_to_stay_under_100_kb(digest):
    long = ("The commission met again in Batken to discuss the disputed sections. " * 4).strip()
    for n in range(400):
        digest.add(f"2021/08/big{n}.md", clipping_text(
            title=f"Border commission session {n} on the Vorukh and Kok-Tash sections",
            date="2021-08-17", body=long, source_url=f"https://rferl.org/a/big-{n}.html"))
    result = runner.invoke(app, ["weekly", "--week", "2021-W33"])
    assert result.exit_code == 0, result.output
    assert "the issue has 404 clippings; the email shows" in result.output
    html = (digest.root / "email/2021-W33.html").read_text()
    _check_html(html)
    shown = int(re.search(r"shows (\d+) of them", result.output).group(1))
    assert 50 < shown < 404
    assert f"{404 - shown} more clippings in the issue on the web" in html
    _check_text((digest.root / "email/2021-W33.txt").read_text())


@pytest.mark.browser
@pytest.mark.parametrize("width", [600, 375])
def test_the_email_in_chromium_fits_and_fetches_nothing(digest, width):
    require_chromium()
    from playwright.sync_api import sync_playwright

    assert runner.invoke(app, ["weekly"]).exit_code == 0
    path = digest.root / "email/2021-W33.html"
    SHOTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          color_scheme=scheme)
            page = context.new_page()
            page.route("**/*", lambda r: (requests.append(r.request.url), r.continue_())
                       if r.request.url.startswith("file://") else
                       (requests.append("external " + r.request.url), r.abort()))
            page.goto(path.as_uri())
            assert not page.evaluate(
                "document.documentElement.scrollWidth > window.innerWidth + 1"), \
                f"the email scrolls sideways at {width} px"
            card = page.evaluate("getComputedStyle(document.querySelector('.card'))"
                                 ".backgroundColor")
            text = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
            assert (card, text) == (("rgb(255, 255, 255)", "rgb(27, 27, 27)") if scheme ==
                                    "light" else ("rgb(29, 29, 29)", "rgb(230, 230, 230)"))
            page.screenshot(path=str(SHOTS / f"email-{width}-{scheme}.png"), full_page=True)
            context.close()
        browser.close()
    assert requests == [path.as_uri()] * 2  # the document itself, nothing else


def test_hostile_text_stays_text_in_the_email(digest):
    digest.add("2021/08/x.md", clipping_text(
        title="<img src=x onerror=alert(1)> & <script>alert(2)</script>", date="2021-08-19",
        summary="<b onmouseover=alert(3)>bold</b>", source_url="https://rferl.org/a/x.html"))
    assert runner.invoke(app, ["weekly"]).exit_code == 0
    html = (digest.root / "email/2021-W33.html").read_text()
    _check_html(html)  # no img, no script, no handler
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;" in html
    text = (digest.root / "email/2021-W33.txt").read_text()
    assert "<img src=x onerror=alert(1)> & <script>alert(2)</script>" in text  # as written
    assert "<b onmouseover=alert(3)>bold</b>" in text


def test_without_weekly_pages_the_email_links_the_site(digest):
    with open(digest.root / "pelicanconf.py", "a") as fh:
        fh.write('WEEK_SAVE_AS = ""\n')
    assert runner.invoke(app, ["weekly"]).exit_code == 0
    text = (digest.root / "email/2021-W33.txt").read_text()
    assert "[1] https://digest.example.org/\n" in text and "/weekly/" not in text
    assert "weekly.atom.xml" not in (digest.root / "email/2021-W33.html").read_text()


def test_which_week_is_sent():
    from digest.build.weekly import pick_week
    from digest.errors import DigestError, UsageError

    weeks = {"2021-W32": True, "2021-W33": True, "2021-W34": False}
    assert pick_week(weeks, None) == "2021-W33"  # the last that has ended
    assert pick_week(weeks, "2021-w34") == "2021-W34"  # (in progress, when asked for)
    with pytest.raises(DigestError, match="the digest has no clippings yet"):
        pick_week({}, None)
    with pytest.raises(DigestError, match="for example --week 2021-W34"):
        pick_week({"2021-W34": False}, None)
    with pytest.raises(UsageError, match="write it as 2021-W33"):
        pick_week(weeks, "2021-W60")
