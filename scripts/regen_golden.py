#!/usr/bin/env python3
"""Rebuild the golden fixture site's expected output (tests/fixtures/golden/expected/), with
`digest weekly`'s email of one week under email/.

Run after an intended change to the theme or the generator, then review the diff:
    .venv/bin/python scripts/regen_golden.py && git diff --stat tests/fixtures/golden
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "fixtures" / "golden"


def build_golden(into: Path) -> Path:
    """Build the golden site in a scratch folder (with the repository's theme); return output/."""
    sys.path.insert(0, str(REPO / "src"))
    from digest.project import Project
    from digest.build import build

    shutil.copytree(GOLDEN / "site", into, dirs_exist_ok=True)
    shutil.copytree(REPO / "theme", into / "theme", dirs_exist_ok=True)
    build(Project(into))
    # The weekly email of one week, with the production settings' absolute links.
    from digest.build.weekly import weekly_email

    weekly_email(Project(into), "2021-W17", into / "output" / "email")
    # The search bundle is Pagefind's own (binary, versioned): compared by the browser tests.
    # The theme's static files are copied verbatim: comparing them would compare nothing.
    shutil.rmtree(into / "output" / "pagefind")
    shutil.rmtree(into / "output" / "theme")
    return into / "output"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        output = build_golden(Path(tmp) / "site")
        expected = GOLDEN / "expected"
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(output, expected)
    print(f"wrote {sum(1 for p in expected.rglob('*') if p.is_file())} files to "
          f"{expected.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
