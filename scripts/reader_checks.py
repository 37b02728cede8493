#!/usr/bin/env python3
"""Look at a built digest as readers do: `reader_checks.py OUT/output [--lighthouse BIN]`.

Serves the site on 127.0.0.1 and, in Debian's Chromium, opens one page of every type at 375
and 1280 px: runs axe on it (serious and critical violations are counted), checks that
nothing scrolls sideways, and saves a screenshot (OUT/screenshots/TYPE-WIDTH.png). With
`--lighthouse` (the npm package's `lighthouse` command; `make lighthouse` installs it into
.lighthouse/), runs Lighthouse on the home, country, pair, clipping and search pages against
the same Chromium and prints the four scores of each. Exit status 1 when axe finds a serious
or critical violation, a page scrolls sideways, or a Lighthouse score is under --least.
Build the digest to look at with `scripts/reader_site.py OUT` first.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update"]
WIDTHS = (375, 1280)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def first(site: Path, pattern: str) -> str:
    """The address of the first page that matches a glob below the site, '' for none."""
    for path in sorted(site.glob(pattern)):
        return path.parent.relative_to(site).as_posix() + "/"
    return ""


def page_types(site: Path) -> dict[str, str]:
    """One address per page type, found in the built site."""
    clipping = ""
    for path in sorted(site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html"), reverse=True):
        if path.parent.name != "days":
            clipping = path.parent.relative_to(site).as_posix() + "/"
            break
    busiest = json.loads((site / "data/pairs.json").read_text()) if \
        (site / "data/pairs.json").exists() else None
    pair = f"pairs/{busiest['pairs'][0]['slug']}/" if busiest and busiest.get("pairs") else \
        first(site, "pairs/*/index.html")
    found = {
        "home": "", "clipping": clipping, "country": "countries/kyrgyzstan/"
        if (site / "countries/kyrgyzstan/index.html").exists()
        else first(site, "countries/*/index.html"),
        "pair": pair, "region": first(site, "regions/*/index.html"),
        "category": first(site, "categories/*/index.html"),
        "source": first(site, "sources/*/index.html"),
        "topic": first(site, "topics/*/index.html"),
        "month": first(site, "[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"),
        "countries": "countries/", "pairs": "pairs/", "months": "months/",
        "week": sorted(site.glob("weekly/*/index.html"))[-1].parent.relative_to(site).as_posix()
        + "/" if list(site.glob("weekly/*/index.html")) else "",
        "weeks": "weekly/" if (site / "weekly/index.html").exists() else "",
        "search": "search/?q=border", "404": "no/such/page/",
    }
    newest = sorted(site.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/index.html"))
    if newest:
        found["month"] = newest[-1].parent.relative_to(site).as_posix() + "/"
    return {k: v for k, v in found.items() if v or k == "home"}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404 and (Path(self.directory) / "404.html").exists():
            body = (Path(self.directory) / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def browse(site: Path, base: str, shots: Path) -> list[str]:
    """axe, overflow and a screenshot of every page type at each width; the failures."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    failures = []
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            for name, address in page_types(site).items():
                page.goto(base + address)
                if name == "search":
                    page.locator("#search-results li").first.wait_for(timeout=20000)
                found = Axe().run(page).response["violations"]
                bad = [(v["id"], v["impact"], len(v["nodes"])) for v in found
                       if v["impact"] in ("serious", "critical")]
                wide = page.evaluate("document.documentElement.scrollWidth > innerWidth + 1")
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                print(f"{width:>5} px  {name:<10} axe serious/critical: {len(bad)}"
                      f"{' ' + repr(bad) if bad else ''}{'  SCROLLS SIDEWAYS' if wide else ''}"
                      f"  /{address}")
                if bad or wide:
                    failures.append(f"{name} at {width} px")
            context.close()
        browser.close()
    return failures


def lighthouse(binary: str, site: Path, base: str, least: int,
               names: tuple[str, ...] = ("home", "country", "pair", "clipping", "search")
               ) -> list[str]:
    failures = []
    types = page_types(site)
    for name in names:
        if name not in types:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            cmd = [binary, base + types[name], "--quiet", "--output=json",
                   f"--output-path={report}", f"--only-categories={','.join(CATEGORIES)}",
                   f"--chrome-flags={' '.join(ARGS)}", "--form-factor=mobile"]
            env = dict(os.environ, CHROME_PATH=CHROMIUM)
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
            if done.returncode or not report.exists():
                failures.append(f"lighthouse {name}: {done.stderr.strip()[-300:]}")
                continue
            data = json.loads(report.read_text())
        scores = {c: round(100 * (data["categories"][c]["score"] or 0)) for c in CATEGORIES}
        print(f"lighthouse {name:<9} " + "  ".join(f"{c} {s}" for c, s in scores.items()))
        for c in CATEGORIES:  # what cost points
            for ref in data["categories"][c]["auditRefs"]:
                audit = data["audits"][ref["id"]]
                if ref["weight"] and audit.get("score") is not None and audit["score"] < 0.9:
                    shown = audit.get("displayValue") or ""
                    print(f"    {c}: {ref['id']} {audit['score']:.2f} {shown}")
        low = [c for c, s in scores.items() if s < least]
        if low:
            failures.append(f"lighthouse {name}: {', '.join(low)} under {least}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--shots", type=Path, help="where screenshots go (OUT/screenshots)")
    parser.add_argument("--lighthouse", help="the lighthouse command")
    parser.add_argument("--least", type=int, default=98, help="the lowest score accepted")
    parser.add_argument("--only", help="Lighthouse on these page types alone (comma between), "
                        "without the browser checks")
    args = parser.parse_args()
    site = args.site.resolve()
    server, base = serve(site)
    try:
        if args.only:
            failures = lighthouse(args.lighthouse, site, base, args.least,
                                  tuple(args.only.split(",")))
        else:
            failures = browse(site, base, args.shots or site.parent / "screenshots")
            if args.lighthouse:
                failures += lighthouse(args.lighthouse, site, base, args.least)
    finally:
        server.shutdown()
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
