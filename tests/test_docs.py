"""Documents generated from code stay in step with it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import yaml

from tests.conftest import REPO


def test_contributing_reference_matches_the_allowlist():
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    from digest.core.schema import FIELDS

    text = (REPO / "CONTRIBUTING.md").read_text()
    for f in FIELDS:
        assert f"| `{f.name}` |" in text


def test_pre_commit_hook_runs_digest_check_on_clippings():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hook = config["repos"][0]["hooks"][0]
    assert config["repos"][0]["repo"] == "local"
    assert hook["entry"].endswith("digest check") and "content/clippings" in hook["files"]


def test_readme_starts_with_the_quick_start():
    lines = (REPO / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1: lines.index("```sh") + 3]
    assert [line.split("#")[0].strip() for line in block] == ["make site", "make test"]
