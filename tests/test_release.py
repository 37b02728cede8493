"""A published clipping keeps its address: renaming or re-dating it is an error (checklist 23)
unless `redirect_from` names the old address, which then gets a page sending readers on."""

from __future__ import annotations

import os
import subprocess

import ghp_import
import pytest
from typer.testing import CliRunner

from digest.cli import app
from digest.errors import BuildError
from digest.build import build

from conftest import clipping_text
from test_site import crawl

runner = CliRunner()
URL = "https://www.rferl.org/a/border-talks/1.html"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def published(site, monkeypatch):
    """A digest whose clippings were published (the output committed to gh-pages)."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    git("init", "-q", cwd=site.root)
    site.add("2021/04/border-talks.md", title="Border talks", date="2021-04-20",
             source_url=URL)
    site.add("2021/04/no-original.md", title="No original", date="2021-04-21")
    build(site.project)
    ghp_import.ghp_import(str(site.root / "output"), branch="gh-pages", push=False,
                          mesg="Publish the digest")
    return site


def _move(site, old: str, new: str, **fields) -> None:
    (site.root / "content/clippings" / old).unlink()
    site.add(new, title="Border talks", source_url=URL, **fields)


def test_a_renamed_published_clipping_fails_check_and_build(published):
    _move(published, "2021/04/border-talks.md", "2021/04/border-talks-resume.md",
          date="2021-04-20")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "border-talks-resume.md" in result.output
    assert "published at 2021/04/border-talks/" in result.output
    assert "redirect_from: [2021/04/border-talks/]" in result.output
    with pytest.raises(BuildError) as err:
        build(published.project)
    assert any("published at 2021/04/border-talks/" in p.message for p in err.value.problems)
    # the published site is untouched
    assert (published.root / "output/2021/04/border-talks/index.html").is_file()


def test_a_redirect_keeps_the_old_address_working(published):
    _move(published, "2021/04/border-talks.md", "2021/05/border-talks-resume.md",
          date="2021-05-02", redirect_from=["2021/04/border-talks/"])
    assert runner.invoke(app, ["check"]).exit_code == 0
    build(published.project)
    out = published.root / "output"
    old = (out / "2021/04/border-talks/index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../../05/border-talks-resume/">' in old
    assert 'name="robots" content="noindex"' in old and "<script" not in old
    assert (out / "2021/05/border-talks-resume/index.html").is_file()
    assert crawl(out) == []
    # incremental builds keep it, and so does a cold one
    published.add("2021/04/other.md", title="Other", date="2021-04-22")
    assert build(published.project).incremental
    assert (out / "2021/04/border-talks/index.html").read_text() == old


def test_a_date_change_within_the_month_keeps_the_address(published):
    _move(published, "2021/04/border-talks.md", "2021/04/border-talks.md", date="2021-04-25")
    assert runner.invoke(app, ["check"]).exit_code == 0
    build(published.project)


def test_a_clipping_without_an_original_cannot_be_followed(published):
    (published.root / "content/clippings/2021/04/no-original.md").unlink()
    published.add("2021/04/renamed.md", title="No original", date="2021-04-21")
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_nothing_published_nothing_compared(site):
    site.add("2021/04/a.md", title="A", source_url=URL)
    assert runner.invoke(app, ["check"]).exit_code == 0  # no git repository at all
    git("init", "-q", cwd=site.root)
    assert runner.invoke(app, ["check"]).exit_code == 0  # no gh-pages branch


@pytest.mark.parametrize("value, message", [
    ("https://example.org/2021/04/x/", "not an address below the site"),
    ("/2021/04/x/", "not an address below the site"),
    ("2021/04/../x/", "not an address below the site"),
    ("2021/04/x", "not an address below the site"),
    ("2021/04/X/", "not an address below the site"),
])
def test_redirect_from_must_be_a_page_address(site, value, message):
    site.root.joinpath("content/clippings/2021/04").mkdir(parents=True)
    site.root.joinpath("content/clippings/2021/04/a.md").write_text(
        clipping_text(title="A", redirect_from=f"['{value}']"))
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and message in result.output
    assert "a.md:7:" in result.output  # the line of the item


def test_redirect_to_an_address_another_page_has_is_refused(site):
    site.add("2021/04/a.md", title="A")
    site.add("2021/04/b.md", title="B", redirect_from=["2021/04/a/"])
    with pytest.raises(Exception) as err:
        build(site.project)
    assert "2021/04/a/index.html" in str(err.value)


def test_builds_after_a_passed_check_compare_only_changed_clippings(published, monkeypatch):
    """Once a build has passed the comparison with a publish, the next ones compare only the
    clippings added or edited since; a rename is still caught."""
    import digest.content.release as release

    build(published.project)  # compares every clipping with the publish, and passes
    seen: list[list[str]] = []
    real = release.moved_problems

    def moved_problems(clippings, *args, **kwargs):
        seen.append(sorted(c.path.rsplit("/", 1)[-1] for c in clippings))
        return real(clippings, *args, **kwargs)

    monkeypatch.setattr(release, "moved_problems", moved_problems)
    published.add("2021/04/other.md", title="Other", date="2021-04-22")
    assert build(published.project).incremental
    assert seen == [["other.md"]]
    _move(published, "2021/04/border-talks.md", "2021/04/border-talks-resume.md",
          date="2021-04-20")
    with pytest.raises(BuildError) as err:
        build(published.project)
    assert seen[-1] == ["border-talks-resume.md"]
    assert any("published at 2021/04/border-talks/" in p.message for p in err.value.problems)
    # a new publish: every clipping is compared with it again
    (published.root / "content/clippings/2021/04/border-talks-resume.md").unlink()
    published.add("2021/04/border-talks.md", title="Border talks", date="2021-04-20",
                  source_url=URL)
    build(published.project)
    ghp_import.ghp_import(str(published.root / "output"), branch="gh-pages", push=False,
                          mesg="Publish again")
    build(published.project)
    assert seen[-1] == ["border-talks.md", "no-original.md", "other.md"]
