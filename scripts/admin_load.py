#!/usr/bin/env python3
"""How long the web editor takes to list a digest's clippings, in Chromium.

    .venv/bin/python scripts/admin_load.py PROJECT [--runs 3]

PROJECT is a digest (a generated one: `scripts/gen_corpus.py`) with DIGEST_ADMIN_REPO set and
the bundle fetched (`make admin-bundle`; a link `.admin-bundle` to the repository's will do).
The script runs `digest serve --admin` on it, opens /admin/ in Debian's Chromium, signs in to
the local proxy and times, for each run: the editor's start (the sign-in button), and the
clippings' list (its first entry shown). It prints the medians and the size of the proxy's
answer for the folder. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answers on 127.0.0.1:{port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    digest = Path(sys.executable).with_name("digest")
    server = subprocess.Popen([str(digest), "serve", "--admin", "--port", str(port)],
                              cwd=args.project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(port, 900)
        starts, lists, sizes = [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(args.runs):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"])
                        if r.url.endswith("/api/v1") and r.post_data
                        and "entriesByFolder" in r.post_data else None)
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/admin/#/collections/clippings")
                login = page.get_by_role("button", name="Login")
                login.wait_for(timeout=120_000)
                t1 = time.perf_counter()
                login.click()
                page.locator("a[href*='/collections/clippings/entries/']").first.wait_for(
                    timeout=600_000)
                t2 = time.perf_counter()
                starts.append(t1 - t0)
                lists.append(t2 - t1)
                page.context.close()
            browser.close()
        count = sum(1 for _ in (args.project / "content" / "clippings").rglob("*.md"))
        print(f"{count} clippings, {args.runs} runs, medians: the editor starts in "
              f"{statistics.median(starts):.2f} s; the list of clippings shows in "
              f"{statistics.median(lists):.2f} s after signing in (all: "
              + ", ".join(f"{x:.2f}" for x in lists) + " s); the proxy's answer for the "
              f"folder: {max(sizes) / 1e6 if sizes else 0:.1f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
