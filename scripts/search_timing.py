#!/usr/bin/env python3
"""Time searches on built sites in Debian's Chromium, alternating between them, in one run.

    .venv/bin/python scripts/search_timing.py OUTPUT_A OUTPUT_B [--runs 5]

Each output folder is served on 127.0.0.1 under /digest/ (as the tests serve it; build the
sites with a relative or that SITEURL). For each run and each query, alternating between the
sites: a first search (a new browser context, so nothing cached: the page, the bundles'
modules and the index chunks all load) timed from the start of the navigation to the
results' status, with the bytes the page fetched; then, on that page once it is idle (the
filters' values loaded too), a second search (another query typed in) timed from the typing
to its status. Prints the
medians per site. Nothing here is a test: figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, Server, free_port  # noqa: E402

QUERIES = [("border", "ceasefire"), ("water reservoir", "summit"), ("troops", "energy"),
           ("delegation", "pipeline")]
DONE = ("() => /found|No clipping/.test(document.getElementById('search-status')"
        ".textContent)")


def one(browser, base: str, first: str, second: str) -> tuple[float, float, int]:
    context = browser.new_context()
    page = context.new_page()
    fetched = [0]

    def count(response) -> None:
        try:
            fetched[0] += len(response.body())
        except Exception:  # (a redirect or an aborted request has no body)
            pass

    page.on("response", count)
    start = time.perf_counter()
    page.goto(base + "search/?q=" + first.replace(" ", "+"))
    page.wait_for_function(DONE, timeout=60000)
    cold = time.perf_counter() - start
    page.wait_for_load_state("networkidle")  # (the filters' values, loaded after the results)
    page.wait_for_timeout(500)
    page.evaluate("() => { document.getElementById('search-status').textContent = ''; }")
    start = time.perf_counter()
    page.get_by_placeholder("Search clippings").fill(second)
    page.wait_for_function(DONE, timeout=60000)
    warm = time.perf_counter() - start - 0.25  # (the page waits 250 ms for typing to stop)
    context.close()
    return cold, warm, fetched[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outputs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    servers = [Server(out, free_port()) for out in args.outputs]
    rows: dict[int, list[tuple[float, float, int]]] = {i: [] for i in range(len(servers))}
    for s in servers:
        s.__enter__()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.runs):
                for first, second in QUERIES:
                    for i, s in enumerate(servers):
                        rows[i].append(one(browser, s.base, first, second))
            browser.close()
    finally:
        for s in servers:
            s.__exit__(None, None, None)
    print(f"{args.runs} runs of {len(QUERIES)} queries each, alternating; medians")
    print("| site | first search (loads the index) | fetched | next search |")
    print("|---|---|---|---|")
    for i, out in enumerate(args.outputs):
        cold = statistics.median(r[0] for r in rows[i])
        warm = statistics.median(r[1] for r in rows[i])
        size = statistics.median(r[2] for r in rows[i]) / 1024
        print(f"| {out} | {cold * 1000:.0f} ms | {size:.0f} KiB | {warm * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
