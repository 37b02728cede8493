"""The command line: exit codes, messages, help; `check`, `--fix` and `import`."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from digest import __version__
from digest.cli import app
from tests.conftest import SEED, clipping_text

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_version_and_help():
    assert run("--version").output.strip() == f"digest {__version__}"
    out = run("--help").output
    for command in ("check", "import", "build"):
        assert command in out
    for command in ("check", "import", "build"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage: digest " + command in result.output


def test_check_clean(site):
    site.add("2021/04/border-talks-resume.md")
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "1 file checked: 0 errors, 0 warnings" in result.output


def test_check_reports_every_problem_with_file_and_line(site):
    site.add("2021/04/a.md", clipping_text(countries=("Kyrgystan", "Tajikistan"), date="03.04.2024"))
    site.add("2021/04/b.md", clipping_text(title="Other", source="RFE/RL", catgory="x"))
    result = run("check")
    assert result.exit_code == 1
    out = result.output
    assert "content/clippings/2021/04/a.md:3: date '03.04.2024' is not an ISO date" in out
    assert "content/clippings/2021/04/a.md:5: unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)" in out
    assert "content/clippings/2021/04/b.md:7: unknown key 'catgory' (did you mean category?)" in out
    assert "2 files checked: 3 errors" in out


def test_check_duplicates_name_both_files(site):
    site.add("2021/04/a.md", source_url="https://www.rferl.org/a/1/")
    site.add("2021/04/b.md", source_url="http://rferl.org/a/1?utm_source=x")
    site.add("2021/05/a.md", date="2021-05-01")
    out = run("check").output
    assert re.search(r"2021/04/a\.md: the same original \(source_url\) as content/clippings/2021/04/b\.md", out)
    assert re.search(r"2021/04/b\.md: the same original \(source_url\) as content/clippings/2021/04/a\.md", out)
    assert "2021/04/a.md: the same slug as content/clippings/2021/05/a.md" in out


def test_check_bad_files(site):
    site.add("2021/04/empty.md", "")
    site.add("2021/04/bom-only.md", b"\xef\xbb\xbf")
    site.add("2021/04/latin.md", clipping_text(title="Café").encode("cp1252"))
    site.add("2021/04/no-body.md", clipping_text(body=""))
    site.add("misplaced.md")
    out = run("check").output
    assert "2021/04/empty.md: empty file" in out
    assert "2021/04/bom-only.md: empty file" in out
    assert re.search(r"2021/04/latin\.md:2: not UTF-8 .*latin-1", out)
    assert "2021/04/no-body.md:7: the excerpt is missing" in out
    assert "misplaced.md: a clipping must live at content/clippings/YYYY/MM/<slug>.md" in out


def test_check_case_only_difference(site):
    site.add("2021/04/clash.md")
    site.add("2021/04/Clash.md", title="Other")
    out = run("check").output
    assert "differing only in case" in out


def test_check_given_paths_and_usage_errors(site):
    site.add("2021/04/a.md")
    bad = site.add("2021/04/b.md", countries=("Narnia",))
    result = run("check", str(bad))
    assert result.exit_code == 1 and "1 file checked" in result.output
    assert run("check", "no/such/file.md").exit_code == 2
    assert run("check", "--no-such-option").exit_code == 2


def test_check_outside_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check")
    assert result.exit_code == 2 and "no digest project here" in result.output


def test_fix_rewrites_aliases_and_nothing_else(site):
    text = ("---\r\ntitle: Talks   # comment kept\r\ndate: 2021-04-30\r\ncategory: News\r\n"
            "countries:\r\n  - Kyrgyz Republic\r\n  - Tajikistan\r\nregions: [European Union]\r\n"
            "source: RFE RL\r\n---\r\n\r\nKyrgyz Republic in the body stays.\r\n")
    path = site.add("2021/04/talks.md", text.encode("utf-8"))
    result = run("check")
    assert result.exit_code == 0 and result.output.count("warning:") == 3
    result = run("check", "--fix")
    assert result.exit_code == 0 and "warning:" not in result.output
    assert result.output.count("fixed ") == 3
    expected = text.replace("  - Kyrgyz Republic", "  - Kyrgyzstan").replace(
        "[European Union]", "[EU]").replace("source: RFE RL", "source: RFE/RL")
    assert path.read_bytes().decode() == expected


def test_import_seed_then_again(site):
    result = run("import", str(SEED))
    assert result.exit_code == 1
    assert "give one with --date" in result.output and "nothing written" in result.output
    assert not any(site.project.clippings.rglob("*.md"))
    result = run("import", str(SEED), "--date", "2021-08-18", "--dry-run")
    assert result.exit_code == 0 and "would write" in result.output
    assert not any(site.project.clippings.rglob("*.md"))
    result = run("import", str(SEED), "--date", "2021-08-18")
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(site.project.clippings).as_posix()
                   for p in site.project.clippings.rglob("*.md"))
    assert len(files) == 8
    assert "2021/04/kyrgyzstan-says-31-killed-clashes-tajikistan-border.md" in files
    assert re.search(r"written\s*│\s*8\b", result.output)
    assert run("check").exit_code == 0
    again = run("import", str(SEED), "--date", "2021-08-18")
    assert again.exit_code == 0
    assert re.search(r"written\s*│\s*0\b", again.output)
    assert re.search(r"already present\s*│\s*8\b", again.output)


def test_import_never_overwrites(site):
    path = site.add("2021/04/talks.md", title="Hand-written talks")
    export = site.root / "x.txt"
    export.write_text("Categorie\nNews\n\nKyrgyzstan – Talks (TASS)\n\nExcerpt.\n")
    result = run("import", str(export), "--date", "2021-04-30")
    assert result.exit_code == 0, result.output
    assert "Hand-written talks" in path.read_text()
    assert (site.project.clippings / "2021/04/talks-2.md").exists()


def test_import_bad_date_option(site):
    export = site.root / "x.txt"
    export.write_text("Categorie\nNews\n\nKyrgyzstan – Talks (TASS)\n\nExcerpt.\n")
    result = run("import", str(export), "--date", "30.04.2021")
    assert result.exit_code == 2 and "not an ISO date" in result.output
    assert run("import", str(export), "--format", "wxr2").exit_code == 2


def test_import_legacy_encoding(site):
    export = site.root / "x.txt"
    export.write_bytes("Categorie\nNews\n\nKyrgyzstan - Граница (TASS)\n\nТекст.\n".encode("cp1251"))
    result = run("import", str(export), "--date", "2021-04-30")
    assert result.exit_code == 1 and "--encoding" in result.output
    result = run("import", str(export), "--date", "2021-04-30", "--encoding", "cp1251")
    assert result.exit_code == 0, result.output
    written = next(site.project.clippings.rglob("*.md")).read_text(encoding="utf-8")
    assert "title: Граница" in written and "Текст." in written


def test_import_an_entry_without_its_category_block(site):
    """The middle entry lacks its category block: it is refused on its headline's line, the
    two others are neither merged nor lost, and the summary says so, written or not."""
    export = site.root / "x.txt"
    export.write_text("Categorie\nNews\n\nKyrgyzstan – Talks (TASS)\n\nExcerpt one.\n\n"
                      "Tajikistan – Floods (TASS)\n\nExcerpt two.\n\n"
                      "Categorie\nNews\n\nKazakhstan – Visit (TASS)\n\nExcerpt three.\n"
                      "https://tass.com/politics/1.\n")
    result = run("import", str(export), "--date", "2021-04-30")
    assert result.exit_code == 1
    assert "x.txt:8: no category block above this headline" in result.output
    assert re.search(r"written\s*│\s*0\b", result.output)
    assert re.search(r"ready, not written: others were refused\s*│\s*2\b", result.output)
    assert re.search(r"refused: problems above\s*│\s*1\b", result.output)
    assert not any(site.project.clippings.rglob("*.md"))
    result = run("import", str(export), "--date", "2021-04-30", "--skip-invalid")
    assert result.exit_code == 1
    assert re.search(r"written\s*│\s*2\b", result.output)
    texts = sorted(p.read_text() for p in site.project.clippings.rglob("*.md"))
    assert len(texts) == 2 and "Excerpt two" not in "".join(texts)
    assert any("source_url: https://tass.com/politics/1\n" in t for t in texts)


def test_the_console_script_exits_with_the_commands_status(site):
    """`digest` (digest.cli:main) leaves without interpreter teardown: its output must still
    arrive whole, through a pipe, with the command's exit status."""
    import subprocess
    import sys

    def digest(*args):
        return subprocess.run([sys.executable, "-m", "digest.cli", *args], cwd=site.root,
                              capture_output=True, text=True, timeout=120)

    site.add("2021/04/a.md", title="A", date="2021-04-01")
    ok = digest("build")
    assert ok.returncode == 0 and ok.stdout.startswith("built 1 clipping"), ok.stderr
    site.add("2021/04/b.md", title="B", date="2021-04-31")
    bad = digest("check")
    assert bad.returncode == 1 and "2021/04/b.md:3:" in bad.stdout + bad.stderr
    assert digest("build", "--no-such-option").returncode == 2
    assert digest("--version").stdout.strip().endswith(__version__)
