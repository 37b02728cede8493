"""The golden site: a small fixture built end to end and compared with committed output."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location("regen_golden", REPO / "scripts" / "regen_golden.py")
regen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regen)


def test_golden_site_matches_expected_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = regen.build_golden(tmp_path / "site")
    expected = regen.GOLDEN / "expected"
    built = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    wanted = {p.relative_to(expected).as_posix() for p in expected.rglob("*") if p.is_file()}
    assert built == wanted, "files differ: run scripts/regen_golden.py if the change is intended"
    changed = [rel for rel in sorted(built)
               if (output / rel).read_bytes() != (expected / rel).read_bytes()]
    assert changed == [], "run scripts/regen_golden.py if the change is intended"


def test_golden_output_escapes_and_sanitises():
    expected = regen.GOLDEN / "expected"
    page = (expected / "2021/06/china-drill/index.html").read_text()
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in page
    import re
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script type="application/ld+json">'] and "javascript:" not in page
    assert "alert" not in page
    assert '<time datetime="2021-04-30T18:30:00+06:00" data-pagefind-sort="date[datetime]"' in (
        expected / "2021/04/ceasefire/index.html").read_text()
