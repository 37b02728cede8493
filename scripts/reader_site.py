#!/usr/bin/env python3
"""Build a digest to look at as a reader would: `reader_site.py OUT [N]`.

The benchmark corpus of `gen_corpus.py` (N clippings, 2,000 unless given) with what a real
digest also has: regions and organisations on a third of the clippings, originals in other
languages, summaries written by editors, and notes on the busiest countries and pairs of the
last months (`content/notes/`). OUT becomes a digest project, built into OUT/output; the
accessibility, Lighthouse and screenshot checks (`scripts/reader_checks.py`) read that.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import gen_corpus  # noqa: E402

REGIONS = ("Central Asia", "Fergana Valley", "Caucasus", "Europe", "EU", "CSTO", "SCO",
           "Middle East", "NATO", "CIS")
LANGS = ("ru", "ky", "tg", "uz", "fa", "tr")


def extras(rng: random.Random, fm: list[str], body: str) -> list[str]:
    """The fields a clipping of a real digest may have beyond the benchmark's."""
    out = list(fm)
    if rng.random() < 0.33:
        out.append(f"regions: [{', '.join(rng.sample(REGIONS, rng.randint(1, 2)))}]")
    if rng.random() < 0.2:
        out.append(f"lang: {rng.choice(LANGS)}")
    if rng.random() < 0.1:
        words = body.split()[:18]
        out.append(f"summary: \"{' '.join(words).capitalize()}.\"")
    return out


def write(n: int, out: Path) -> None:
    rng = random.Random(7)
    gen_corpus.write(0, out)  # the project's settings and theme
    clippings = out / "content" / "clippings"
    for rel, fm, body, _meta in gen_corpus.make(n):
        path = clippings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "---\n" + "\n".join(extras(rng, fm, body)) + "\n---\n\n" + body + "\n"
        path.write_text(text, encoding="utf-8")
    notes = out / "content" / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    newest = max(p.name for p in clippings.glob("*/*") if p.is_dir())
    year = max(p.name for p in clippings.iterdir())
    for month in sorted(p.name for p in (clippings / year).iterdir())[-3:]:
        (notes / f"{year}-{month}.yml").write_text(
            f'Kyrgyzstan: "Border talks resume; delegations meet in Batken ({month}/{year})"\n'
            f'Kyrgyzstan–Tajikistan: "Delimitation commission agrees on a further stretch"\n'
            f'Uzbekistan: "Water-sharing agreement signed with its neighbours"\n',
            encoding="utf-8")
    assert newest
    pages = out / "content" / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    (pages / "about.md").write_text("---\ntitle: About this digest\n---\n\nA digest of "
                                    "clippings about security in Central Asia.\n",
                                    encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int, nargs="?", default=2000)
    args = parser.parse_args()
    write(args.n, args.out)
    digest = Path(sys.executable).with_name("digest")
    return subprocess.run([str(digest), "build"], cwd=args.out).returncode


if __name__ == "__main__":
    sys.exit(main())
