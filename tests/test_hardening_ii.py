"""What a hostile contributor, a full disk and odd files still broke: each a class of input,
refused with `path:line` and a way to mend it, never a traceback, never half published."""

from __future__ import annotations

import builtins
import csv
import errno
import io
import json
import os
import stat
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digest.build import build
from digest.build.output import swap
from digest.cli import app
from digest.core.frontmatter import parse
from digest.core.rules import validate
from digest.errors import BuildError, UsageError
from tests.browser import free_port

BASE = ("title: Border talks resume\ndate: 2021-04-30\ncategory: News\n"
        "countries: [Kyrgyzstan, Tajikistan]\nsource: RFE/RL")


def problems(front: str = BASE, body: str = "An excerpt.") -> list[str]:
    text = f"---\n{front}\n---\n\n{body}\n"
    return [str(p) for p in validate(parse(text, "x.md")).problems if p.is_error]


@pytest.mark.parametrize("char", ["\u061c", "\u2066", "\u2067", "\u2068", "\u2069", "\u202e",
                                  "\u200b", "\ufeff", "\U000e0001", "\U000e0041",
                                  "\u00ad", "\u206a"])
@pytest.mark.parametrize("field, line", [("title", 2), ("category", 4), ("source", 6)])
def test_format_characters_are_refused_in_every_field_with_their_code_point(char, field,
                                                                            line):
    old = {"title": "title: Border talks resume", "category": "category: News",
           "source": "source: RFE/RL"}[field]
    found = problems(BASE.replace(old, old[:-2] + char + old[-2:]))
    assert any(p.startswith(f"x.md:{line}:") and f"U+{ord(char):04X}" in p for p in found), found


def test_a_line_separator_in_front_matter_is_an_error_with_its_line():
    from digest.errors import FrontMatterError

    with pytest.raises(FrontMatterError) as caught:
        problems(BASE.replace("category: News", "category: Ne\u2028ws"))
    assert caught.value.problem.line is not None


def test_format_characters_are_refused_in_list_items_too():
    found = problems(BASE + "\ntopics: [Water, Bor\u2067ders]")
    assert any(p.startswith("x.md:7:") and "U+2067" in p for p in found), found


@pytest.mark.parametrize("field, value", [
    ("category", "'<a href=//evil.example style=position:fixed;inset:0>'"),
    ("source", "'<img src=x onerror=alert(1)>'"),
    ("topics", "['<b>Water</b>']"),
    ("author", "'</span><script>alert(1)</script>'"),
])
def test_names_hold_no_markup(field, value):
    front = BASE.replace("category: News", f"category: {value}") if field == "category" else \
        BASE.replace("source: RFE/RL", f"source: {value}") if field == "source" else \
        BASE + f"\n{field}: {value}"
    found = problems(front)
    assert any("names hold no markup" in p and f"'{field}'" in p for p in found), found


def test_names_with_ampersands_and_quotes_are_fine():
    assert problems(BASE.replace("category: News", "category: Peace & Security") +
                    "\nauthor: Dan O'Brien") == []


@pytest.mark.parametrize("body, line, words", [
    ("A line.\n\nBad \x85 char.", 11, "U+0085"),
    ("A line with \x9c in it.", 9, "U+009C"),
    ("Bell \x07 here.", 9, "U+0007"),
    ("Reversed \u202e text.", 9, "U+202E"),
    ("word " + "*" * 2000 + "x" + "*" * 2000, 9, "in a row"),
    ("\n".join("    " * i + "- item" for i in range(500)), 25, "levels deep"),
    (">" * 600 + " quoted", 9, "levels deep"),
])
def test_excerpts_that_cannot_be_rendered_are_refused_with_their_line(site, body, line, words):
    found = problems(body=body)
    assert any(p.startswith(f"x.md:{line}:") and words in p for p in found), found
    site.add("2021/04/bad.md", body=body)
    with pytest.raises(BuildError) as caught:  # never a RecursionError or a ValueError
        build(site.project)
    assert "bad.md" in str(caught.value) and words in str(caught.value)


def test_an_excerpt_deeper_than_markdown_can_go_is_an_error_not_a_crash(site):
    # Past the checks' own limits (`[` is not counted): the renderer's failure is the file's.
    site.add("2021/04/deep.md", body="[" * 3000 + "x" + "]" * 3000)
    try:
        build(site.project)
    except BuildError as exc:
        assert "deep.md" in str(exc)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(site):
    site.add("2021/04/f.md", title="'=HYPERLINK(\"https://evil.example\",\"x\")'",
             author="'+cmd|/c calc'", topics=["'@SUM(1)'", "'-2+3'"])
    build(site.project)
    rows = list(csv.DictReader(io.StringIO(site.read("data/clippings.csv"))))
    assert rows[0]["title"] == "'=HYPERLINK(\"https://evil.example\",\"x\")"
    assert rows[0]["author"] == "'+cmd|/c calc"
    assert rows[0]["topics"].startswith("'@SUM(1)")
    data = json.loads(site.read("data/clippings.json"))["clippings"][0]
    assert data["title"] == "=HYPERLINK(\"https://evil.example\",\"x\")"  # exact in JSON
    assert data["topics"] == ["@SUM(1)", "-2+3"]


@pytest.mark.parametrize("siteurl", ['https://example.org/a b', 'https://x.org/"><script>',
                                     "https://x.org/'onmouseover='alert(1)",
                                     "https://x.org?q=<b>", "https://x.org/digest\\n"])
def test_siteurl_must_be_a_bare_https_address(site, siteurl):
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text().replace('SITEURL = ""', f"SITEURL = {siteurl!r}"))
    site.add("2021/04/a.md")
    with pytest.raises(UsageError, match="SITEURL"):
        build(site.project)


def test_published_files_are_readable_whatever_the_umask(site):
    site.add("2021/04/a.md")
    old = os.umask(0o077)
    try:
        build(site.project)
    finally:
        os.umask(old)
    for path in (site.root / "output").rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_a_full_disk_is_one_line_naming_a_folder_and_the_output_is_kept(site, monkeypatch):
    site.add("2021/04/a.md")
    build(site.project)
    before = site.read("index.html")
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text() + "\nDIGEST_JOBS = 1\n")  # (the pages in this process)
    real_open = builtins.open

    def full(file, mode="r", *args, **kwargs):
        if "w" in str(mode) and ".digest-build" in str(file):
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full)
    result = CliRunner().invoke(app, ["build"])
    monkeypatch.setattr(builtins, "open", real_open)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "disk is full" in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ")
    shown = last[len("error: "):].split(":")[0]
    assert (site.root / shown).exists() or Path(shown).exists(), shown
    assert site.read("index.html") == before
    assert not list(site.root.glob(".digest-build/output-*"))


NOBODY = 65534


def _unprivileged(fn) -> str:
    """What `fn()` returns (or its error) in a process that cannot write what it does not
    own: as root (CI runs the tests so, and no permission stops root), a forked process that
    gives up root for the user nobody, every module the build uses imported before (the
    interpreter's own files may be out of nobody's reach)."""
    if os.geteuid() != 0:
        return fn()
    import ctypes  # noqa: F401 - (imported here, for the forked process)

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        out = "the process failed"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            out = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            out = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, out.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        text = fh.read().decode()
    os.waitpid(pid, 0)
    return text


@pytest.mark.parametrize("locked", [".digest-cache", "output", "output/2021/04", "output/sources"])
def test_a_folder_that_cannot_be_written_is_one_line_naming_it_and_the_output_is_kept(
        monkeypatch, locked):
    import shutil
    import tempfile

    from digest.errors import DigestError
    from tests.conftest import Site

    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        base.chmod(0o755)
        site = Site(base / "site")
        monkeypatch.chdir(site.root)
        site.add("2021/04/a.md")
        build(site.project)  # (as the test's user: every module the build needs is loaded)
        before = sorted(p.relative_to(site.root).as_posix()
                        for p in (site.root / "output").rglob("*"))
        index = site.read("index.html")
        site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
        (site.root / ".digest-build").mkdir(exist_ok=True)
        folder = site.root / locked
        for path in [base, *base.rglob("*")]:
            inside = path == folder or folder in path.parents
            if os.geteuid() == 0:
                if not inside:
                    os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
            elif inside and path.is_dir():
                path.chmod(0o555)

        def attempt() -> str:
            try:
                build(site.project)
            except DigestError as exc:
                return f"error: {exc}"
            return "built"

        result = _unprivileged(attempt)
        if os.geteuid() != 0:
            for path in [folder, *folder.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
        assert result.startswith("error: ") and "\n" not in result, result
        assert "Traceback" not in result and "writable" in result, result
        shown = result[len("error: "):].split(":")[0]
        assert (site.root / shown).exists(), shown
        assert (site.root / shown).resolve() == folder.resolve() or \
            folder.resolve() in (site.root / shown).resolve().parents, shown
        after = sorted(p.relative_to(site.root).as_posix()
                       for p in (site.root / "output").rglob("*"))
        assert after == before and site.read("index.html") == index
        if locked != ".digest-cache":  # (the files moved in before the failure moved back)
            assert build(site.project).incremental
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_full_swap_leaves_no_moment_without_output(tmp_path):
    new, out = tmp_path / "new", tmp_path / "output"
    new.mkdir()
    out.mkdir()
    (new / "index.html").write_text("new")
    (out / "index.html").write_text("old")
    swap(new, out)
    assert (out / "index.html").read_text() == "new" and not new.exists()


def _serve(output: Path):
    import functools
    import http.server

    from digest.serve import PreviewHandler

    port = free_port()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(PreviewHandler, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


def test_serve_answers_odd_addresses_without_a_traceback(site, capsys):
    site.add("2021/04/a.md")
    build(site.project)
    server, base = _serve(site.root / "output")
    try:
        for path, status in (("/%00", 400), ("/a%00b/", 400), ("/missing/page/", 404),
                             ("/" + "x" * 5000, 404)):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + path, timeout=5)
            assert caught.value.code == status, path
            if status == 404:  # the site's own page
                assert "Page not found" in caught.value.read().decode()
        assert urllib.request.urlopen(base + "/", timeout=5).status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capsys.readouterr().err


def test_pages_are_checked_like_clippings(site):
    pages = site.root / "content/pages"
    (pages / "links.md").write_text("---\ntitle: Links\ncolour: red\n---\n\n[x](/abs/path)\n")
    (pages / "about.md").write_text("---\ntitle: About\nslug: team\n---\n\nUs.\n")
    (pages / "team.md").write_text("---\ntitle: Team\n---\n\nThem.\n")
    site.add("2021/04/a.md")
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert "content/pages/links.md:3: unknown key 'colour'" in result.output
    assert "content/pages/links.md:6: root-relative link" in result.output
    assert "content/pages/team.md: page address 'team' is content/pages/about.md's too" \
        in result.output
    with pytest.raises(BuildError) as caught:
        build(site.project)
    assert "content/pages/links.md:3" in str(caught.value)


def test_a_digest_with_no_clippings_builds_a_site_that_says_so(tmp_path, monkeypatch):
    from tests.conftest import Site
    from tests.test_incremental import CONF

    site = Site(tmp_path, CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True"))
    monkeypatch.chdir(tmp_path)
    report = build(site.project)
    assert report.clippings == 0
    assert "No clippings yet." in site.read("index.html")


def test_an_import_writes_only_what_check_accepts(site, tmp_path):
    from digest.importers import Draft, plan_import

    future = Draft(line=3, title="From the future", category="News",
                   countries=["Kyrgyzstan"], source="TASS", body="An excerpt.")
    import datetime as dt

    future.date = dt.date.today() + dt.timedelta(days=400)
    plan = plan_import([future], site.project.clippings, [], "content/clippings", "export.xml")
    (item,) = plan.items
    assert item.path is None and any("future" in p.message for p in item.problems)


@pytest.mark.parametrize("name, candidates", [
    ("Congo", ["Republic of the Congo", "DR Congo"]), ("Korea", ["North Korea", "South Korea"]),
    ("Macedonia", ["North Macedonia", "Greece"]), ("Virgin Islands", ["British Virgin Islands"]),
])
def test_names_that_fit_several_countries_are_an_error_listing_them(site, name, candidates):
    found = problems(BASE.replace("[Kyrgyzstan, Tajikistan]", f"[{name}, Tajikistan]"))
    assert any(p.startswith("x.md:5:") and all(c in p for c in candidates) for p in found), found
    path = site.add("2021/04/a.md", countries=[name, "Tajikistan"])
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["check", "--fix"])
    assert result.exit_code == 1 and path.read_bytes() == before  # never rewritten


def test_a_country_that_is_its_own_name_stays_accepted():
    for name in ("Guinea", "Sudan", "Micronesia", "Republic of the Congo", "DR Congo"):
        assert problems(BASE.replace("[Kyrgyzstan, Tajikistan]", f"[{name}]")) == [], name


def test_a_clipping_naming_many_countries_is_a_warning():
    names = ("Kyrgyzstan, Tajikistan, Uzbekistan, Kazakhstan, Turkmenistan, Afghanistan, "
             "Russia, China, Iran, Pakistan, India, Mongolia, Azerbaijan")
    text = f"---\n{BASE.replace('Kyrgyzstan, Tajikistan', names)}\n---\n\nAn excerpt.\n"
    found = [p for p in validate(parse(text, "x.md")).problems]
    assert any(p.severity == "warning" and "78 pairs" in p.message and p.line == 5
               for p in found), found


def test_a_site_past_the_pages_limit_fails_naming_what_costs_most(site, monkeypatch):
    import digest.build.output as output

    site.add("2021/04/a.md")
    monkeypatch.setattr(output, "WARN_BYTES", 1000)
    monkeypatch.setattr(output, "MAX_BYTES", 10 ** 9)
    report = build(site.project)
    assert any("half of what GitHub Pages publishes" in p.message for p in report.warnings)
    monkeypatch.setattr(output, "MAX_BYTES", 2000)
    with pytest.raises(BuildError) as caught:
        build(site.project, full=True)
    assert "more than GitHub Pages publishes" in str(caught.value)
    assert "/ " in str(caught.value) and "MB" in str(caught.value)  # the largest folders
    assert (site.root / "output/index.html").is_file()  # the last good site stays


def test_the_site_limit_is_a_setting_for_hosts_other_than_github_pages(tmp_path, monkeypatch):
    """DIGEST_SITE_LIMIT_MB: a lower limit refuses a site past it (naming the setting), 0
    publishes any size; a limit that is not a whole number is refused before anything."""
    import digest.build.output as output
    from digest.errors import UsageError
    from tests.conftest import PELICANCONF, Site

    monkeypatch.setattr(output, "MAX_BYTES", 2000)  # (GitHub's limit, were it in force)
    site = Site(tmp_path / "s", PELICANCONF + "\nDIGEST_SITE_LIMIT_MB = 0\n")
    monkeypatch.chdir(site.root)
    site.add("2021/04/a.md")
    report = build(site.project)
    assert not [p for p in report.warnings if "GB" in p.message or "MB" in p.message]
    conf = site.root / "pelicanconf.py"
    conf.write_text(conf.read_text().replace("DIGEST_SITE_LIMIT_MB = 0",
                                             "DIGEST_SITE_LIMIT_MB = 1"))
    for k in range(40):
        site.add(f"2021/04/b{k}.md", title=f"Long {k}", source_url=f"https://e.org/b{k}",
                 body=f"A long excerpt {k}. " * 300)
    with pytest.raises(BuildError, match="too large to publish") as caught:
        build(site.project)
    assert "DIGEST_SITE_LIMIT_MB allows (1 MB)" in str(caught.value.problems)
    conf.write_text(conf.read_text().replace("DIGEST_SITE_LIMIT_MB = 1",
                                             "DIGEST_SITE_LIMIT_MB = -5"))
    with pytest.raises(UsageError, match="DIGEST_SITE_LIMIT_MB must be a whole number"):
        build(site.project)


@pytest.mark.parametrize("search", [False, True])
def test_incremental_builds_count_the_sites_size_as_they_change_it(tmp_path, monkeypatch,
                                                                   search):
    """An incremental build knows the site's size from the last build's and the bytes of the
    files it writes and removes (search bundles included): the count stays the real one over
    adds, edits and removals, warns past 500 MB and refuses past 1 GB before output/ changes."""
    import json

    import digest.build.output as output
    from digest.build.output import folder_sizes
    from digest.incremental.store import read_only
    from tests.conftest import PELICANCONF, Site

    site = Site(tmp_path / "s", PELICANCONF + f"\nDIGEST_SEARCH = {search}\n")
    monkeypatch.chdir(site.root)

    def recorded() -> dict:
        db = read_only(site.root / ".digest-cache/build.sqlite")
        try:
            return json.loads(db.execute("SELECT value FROM meta WHERE key = 'sizes'")
                              .fetchone()[0])
        finally:
            db.close()

    for k in range(3):
        site.add(f"2021/04/c{k}.md", title=f"Clipping {k}", source_url=f"https://e.org/{k}")
    build(site.project)
    steps = [lambda: site.add("2021/05/d.md", title="Later", date="2021-05-02",
                              source_url="https://e.org/d", body="A much longer excerpt. " * 40),
             lambda: (site.root / "content/clippings/2021/04/c1.md").unlink(),
             lambda: site.add("2021/04/c0.md", title="Clipping 0, edited",
                              source_url="https://e.org/0")]
    for step in steps:
        step()
        assert build(site.project).incremental
        real = {top: n for top, n in folder_sizes(site.root / "output").items() if n}
        assert {top: n for top, n in recorded().items() if n} == real
    total = sum(recorded().values())
    monkeypatch.setattr(output, "WARN_BYTES", total // 2)
    site.add("2021/05/e.md", title="Warned", date="2021-05-03", source_url="https://e.org/e")
    report = build(site.project)
    assert report.incremental and any("half of what GitHub Pages publishes" in p.message
                                      for p in report.warnings)
    monkeypatch.setattr(output, "MAX_BYTES", total + 10)
    site.add("2021/05/f.md", title="Too much", date="2021-05-04",
             source_url="https://e.org/f", body="A very long excerpt indeed. " * 400)
    with pytest.raises(BuildError, match="too large to publish"):
        build(site.project)
    assert not (site.root / "output/2021/05/f").exists()  # output/ as it was
    assert (site.root / "output/2021/05/e/index.html").is_file()


def test_an_import_on_a_full_disk_writes_nothing_and_says_so(site, monkeypatch):
    from tests.conftest import SEED

    real_open = builtins.open
    calls = {"n": 0}

    def full(file, mode="r", *args, **kwargs):
        if "x" in str(mode) and "clippings" in str(file):
            calls["n"] += 1
            if calls["n"] == 3:  # two files written, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full)
    result = CliRunner().invoke(app, ["import", str(SEED), "--date", "2021-08-18"])
    monkeypatch.setattr(builtins, "open", real_open)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "No space left on device" in result.output and "nothing was imported" in result.output
    assert "wrote " not in result.output
    assert not list((site.root / "content/clippings").rglob("*"))  # no file, no folder
    again = CliRunner().invoke(app, ["import", str(SEED), "--date", "2021-08-18"])
    assert again.exit_code == 0, again.output
    names = sorted(p.name for p in (site.root / "content/clippings").rglob("*.md"))
    assert not any(n.endswith("-2.md") for n in names) and len(names) == 8


SEARCH_PAYLOADS = [  # what the rules let through into names: entities, ampersands, quotes
    "&lt;img src=x onerror=alert(1)&gt;", "R&D &amp; Co", "&#60;b&#62;bold&#60;/b&#62;",
    "Tom's \"Review\"",
]


@pytest.mark.browser
def test_search_filters_show_names_as_text_in_chromium(tmp_path, monkeypatch):
    """Pagefind gives filter values and metadata with their entities decoded once more than
    the page had them: what a reader sees of each is the name as written, and no element
    comes of it."""
    from tests.browser import (CHROMIUM, CHROMIUM_ARGS, Server, free_port, guard_page,
                               require_chromium)
    from tests.conftest import Site, clipping_text
    from tests.test_incremental import CONF

    require_chromium()
    site = Site(tmp_path, CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True"))
    monkeypatch.chdir(tmp_path)
    for i, name in enumerate(SEARCH_PAYLOADS):
        quoted = name.replace('"', '\\"')
        site.add(f"2021/04/p{i}.md", clipping_text(
            title=f"Border talks resume {i}", category=f'"{quoted}"',
            source=f'"Outlet {quoted}"', body=f"Border talks resume, part {i}: {name}."))
    build(site.project)
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with Server(site.root / "output", free_port()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        guard_page(page, server.base, errors)
        page.goto(server.base + "search/")
        page.get_by_placeholder("Search clippings").fill("border")
        page.locator("#search-results li > a").first.wait_for(timeout=15000)
        panel = page.locator("#search-filters")
        if not panel.evaluate("d => d.open"):
            panel.locator("summary").click()
        page.wait_for_timeout(500)
        text = panel.inner_text()
        for name in SEARCH_PAYLOADS:
            assert name in text, (name, text)
        results = page.locator("#search-results").inner_text()
        for i, name in enumerate(SEARCH_PAYLOADS):  # a result names its outlet as written
            assert f"Outlet {name}" in results, (name, results)
        assert page.locator("#search-results").locator("img, b, a:not(li > a)").count() == 0
        assert panel.locator("img, b, a").count() == 0  # no element made of a name
        browser.close()
    assert errors == []
