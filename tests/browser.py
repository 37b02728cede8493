"""Helpers for browser tests: serve a built site under a sub-path and drive Debian's Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DIGEST_CHROMIUM", "/usr/bin/chromium")
# The flags the machine's probe uses: without the network ones Chromium tries Google's hosts.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    """Skip when Chromium is missing on a developer's machine; in CI that is a failure."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (Debian package 'chromium')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder under a prefix such as /digest/, with the site's 404 page for misses."""

    prefix = "/digest/"

    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(self.prefix) and path != self.prefix.rstrip("/"):
            return self._not_found()
        self.path = "/" + path[len(self.prefix):]
        local = Path(self.translate_path(self.path))
        if local.is_dir() and not (local / "index.html").exists() or \
                not local.is_dir() and not local.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self):
        page = Path(self.directory) / "404.html"
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io
        return io.BytesIO(body)


class Server:
    """A threaded HTTP server on 127.0.0.1 serving `root` under `prefix`."""

    def __init__(self, root: Path, port: int, prefix: str = "/digest/"):
        handler = type("Handler", (SubPathHandler,), {"prefix": prefix})
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), functools.partial(handler, directory=str(root)))
        self.base = f"http://127.0.0.1:{port}{prefix}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def copy_project(src: Path, dest: Path, extra_settings: str = "") -> Path:
    """A copy of a project's content, theme and settings, with settings appended."""
    shutil.copytree(src / "content", dest / "content")
    shutil.copytree(src / "theme", dest / "theme")
    conf = (src / "pelicanconf.py").read_text() + "\n" + extra_settings
    (dest / "pelicanconf.py").write_text(conf)
    return dest


def guard_page(page, base: str, errors: list[str]) -> None:
    """Record dialogs, script errors and requests leaving the test server; block the latter."""
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)

    def route(r):
        if r.request.url.startswith(base.split("/digest/")[0]):
            return r.continue_()
        errors.append(f"external request: {r.request.url}")
        return r.abort()

    page.route("**/*", route)
