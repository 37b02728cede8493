#!/usr/bin/env python3
"""Benchmark `digest build` against plain Pelican on generated corpora, in one run.

    .venv/bin/python scripts/bench.py                 # 1,000, 5,000 and 20,000 clippings
    .venv/bin/python scripts/bench.py 1000 5000 --runs 3

For each size: the corpus is generated (scripts/gen_corpus.py), then `digest build` and plain
Pelican (its default theme, tags standing in for country, pair and source pages, tag feeds on)
are run alternately, `--runs` times each; medians are reported with the ratio, peak memory
(from wait4), output size per clipping, the rebuild after adding one clipping, and the search
index's share. Nothing here is a test: figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "scripts"))

import gen_corpus  # noqa: E402


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB (the largest of the process and the children it waited
    for), output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{out[-3000:]}")
    return wall, usage.ru_maxrss // 1024, out


def size_per_clipping(output: Path, n: int, search: bool = False) -> float:
    total = sum(p.stat().st_size for p in output.rglob("*")
                if p.is_file() and (search or "pagefind" not in p.relative_to(output).parts))
    return total / n / 1024


def timings(out: str) -> dict[str, float]:
    """The `timings:` line `digest build` prints with DIGEST_TIMINGS set."""
    m = re.search(r"^timings: (.*)$", out, re.MULTILINE)
    return {k: float(v) for k, v in (p.split("=") for p in m.group(1).split())} if m else {}


def wait_for_removal(project: Path, limit: float = 120.0) -> None:
    """Wait until no replaced output folder (`.output-old-*`) is left in `project`."""
    deadline = time.monotonic() + limit
    while any(p.name.startswith(".output-old-") for p in project.iterdir()):
        if time.monotonic() > deadline:
            raise SystemExit(f"the replaced output in {project} was not removed in {limit} s")
        time.sleep(0.1)


def bench(n: int, runs: int, work: Path) -> dict:
    digest_dir, pelican_dir = work / f"digest-{n}", work / f"pelican-{n}"
    gen_corpus.write(n, digest_dir, pelican_dir)
    env = dict(os.environ, DIGEST_TIMINGS="1")
    digest_times, pelican_times, digest_mem, pelican_mem, search, python_mem = \
        [], [], [], [], [], []
    for _ in range(runs):
        # A cold build: no output, no store of an earlier build.
        shutil.rmtree(digest_dir / "output", ignore_errors=True)
        shutil.rmtree(digest_dir / ".digest-cache", ignore_errors=True)
        wall, mem, out = run([str(BIN / "digest"), "build"], digest_dir, env)
        digest_times.append(wall)
        digest_mem.append(mem)
        t = timings(out)
        search.append(t.get("search", 0.0))
        python_mem.append(t.get("rss_build_mib", 0))
        shutil.rmtree(pelican_dir / "output", ignore_errors=True)
        wall, mem, _ = run([str(BIN / "pelican"), "content", "-s", "pelicanconf.py", "-o",
                            "output", "--fatal", "errors"], pelican_dir)
        pelican_times.append(wall)
        pelican_mem.append(mem)
    kb = size_per_clipping(digest_dir / "output", n)
    kb_search = size_per_clipping(digest_dir / "output", n, search=True)
    largest = max(p.stat().st_size for p in (digest_dir / "output").rglob("*.html")
                  if "pagefind" not in p.parts) / 1024
    # One clipping added to the built digest, then rebuilt: three times, one after another.
    rebuilds, rebuild_search, rebuild_mem = [], [], []
    for i, (rel, fm, body, _) in enumerate(gen_corpus.make(3, seed=7)):
        extra = digest_dir / "content" / "clippings" / rel.replace(".md", f"-added{i}.md")
        extra.write_text("---\n" + "\n".join(fm) + "\n---\n\n" + body + "\n", encoding="utf-8")
        wall, mem, out = run([str(BIN / "digest"), "build"], digest_dir, env)
        t = timings(out)
        if "full build" in out:
            raise SystemExit(f"the rebuild was not incremental:\n{out[-2000:]}")
        rebuilds.append(wall)
        rebuild_search.append(t.get("search", 0.0))
        rebuild_mem.append(t.get("rss_build_mib", 0))
    # The same with the search index switched off (DIGEST_SEARCH = False, a full build first):
    # the rebuild with no Pagefind run before it (its 1.8 GiB at 20,000 evicts the page cache)
    # and none beside it (the removal of the bundle it replaced).
    with open(digest_dir / "pelicanconf.py", "a", encoding="utf-8") as fh:
        fh.write("\nDIGEST_SEARCH = False\n")
    run([str(BIN / "digest"), "build"], digest_dir, env)
    # A full build swaps in its new output/ and leaves the old one to a background `rm`
    # (25,000 folders and the search bundles take 10-15 s to delete): that belongs to the
    # full build, not to the rebuilds after it, which would share the cores and the disk
    # with it.
    wait_for_removal(digest_dir)
    quiet = []
    for i, (rel, fm, body, _) in enumerate(gen_corpus.make(6, seed=7)):
        if i < 3:
            continue
        extra = digest_dir / "content" / "clippings" / rel.replace(".md", f"-added{i}.md")
        extra.write_text("---\n" + "\n".join(fm) + "\n---\n\n" + body + "\n", encoding="utf-8")
        wall, _, out = run([str(BIN / "digest"), "build"], digest_dir, env)
        if "full build" in out:
            raise SystemExit(f"the rebuild was not incremental:\n{out[-2000:]}")
        quiet.append(wall)
    d, p = statistics.median(digest_times), statistics.median(pelican_times)
    s = statistics.median(search)
    return {"n": n, "digest": d, "pelican": p, "ratio": d / p, "ratio_no_search": (d - s) / p,
            "digest_mem": max(digest_mem), "python_mem": max(python_mem),
            "pelican_mem": max(pelican_mem), "search": s, "kb": kb, "kb_search": kb_search,
            "rebuild": statistics.median(rebuilds),
            "rebuild_search": statistics.median(rebuild_search),
            "rebuild_no_search": statistics.median(r - q for r, q in zip(rebuilds, rebuild_search)),
            "per_clipping_ms": (d - s) / n * 1000, "largest": largest,
            "rebuild_search_off": statistics.median(quiet)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the corpora and outputs here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; runs: {args.runs}")
    # The package's modules compiled, as an installed package's are (`make` does it too): an
    # editable install is compiled on import, and not at all kept where
    # PYTHONDONTWRITEBYTECODE is set, which would add 0.1 s of compiling to every run.
    subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", str(REPO / "src")],
                   check=True)
    header = ("clippings", "digest s", "of it search s", "pelican s", "ratio",
              "ratio without search", "ms/clipping without search", "peak MiB (with search)",
              "peak MiB of the Python build", "pelican MiB", "KB/clipping",
              "KB/clipping with search index", "largest page KB", "+1 rebuild s",
              "of it search s", "+1 rebuild without search s", "+1 rebuild, search off s")
    print(" | ".join(header))
    results = []
    try:
        for n in args.sizes:
            r = bench(n, args.runs, work)
            results.append(r)
            print(f"{r['n']} | {r['digest']:.1f} | {r['search']:.1f} | {r['pelican']:.1f} | "
                  f"{r['ratio']:.2f} | {r['ratio_no_search']:.2f} | {r['per_clipping_ms']:.2f} | "
                  f"{r['digest_mem']} | {r['python_mem']:.0f} | {r['pelican_mem']} | "
                  f"{r['kb']:.1f} | {r['kb_search']:.1f} | {r['largest']:.0f} | "
                  f"{r['rebuild']:.1f} | {r['rebuild_search']:.1f} | "
                  f"{r['rebuild_no_search']:.2f} | {r['rebuild_search_off']:.2f}", flush=True)
        if len(results) > 1:
            # The linearity target compares 20,000 with 5,000 clippings.
            last = results[-1]
            first = next((r for r in results if r["n"] == 5000 and r is not last), results[0])
            print(f"cost per clipping (without search) at {last['n']} / at {first['n']}: "
                  f"{last['per_clipping_ms'] / first['per_clipping_ms']:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
