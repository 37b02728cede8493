"""`digest serve`: build, serve on 127.0.0.1 and rebuild on every change."""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.parse
from pathlib import Path
from typing import Callable

from watchfiles import watch

from digest.build import build
from digest.build.report import BuildReport
from digest.errors import BuildError, UsageError
from digest.project import Project


def serve(project: Project, port: int, production: bool = False,
          on_build: Callable[[BuildReport | None, Exception | None], None] | None = None,
          stop: Callable[[], bool] | None = None) -> None:
    """Build, serve `output/` on 127.0.0.1:`port`, and rebuild when content, theme or settings
    change; a failed rebuild is reported and the last good site stays served."""
    def rebuild() -> None:
        try:
            report = build(project, production=production)
        except (BuildError, UsageError) as exc:
            if on_build:
                on_build(None, exc)
            return
        if on_build:
            on_build(report, None)

    rebuild()
    handler = functools.partial(QuietHandler, directory=str(project.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    watched = [p for p in (project.content, project.root / "theme", project.settings_file,
                           project.publish_settings_file) if p.exists()]
    stop_event = threading.Event()
    try:
        for _changes in watch(*watched, stop_event=stop_event, rust_timeout=500,
                              yield_on_timeout=True):
            if stop and stop():
                break
            if _changes:
                rebuild()
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as Pages would: the site's own 404.html (with status 404) for a
    missing page, 400 for an address no file can have, nothing logged per request."""

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def send_head(self):
        if "\x00" in urllib.parse.unquote(self.path):
            self.send_error(400, "Bad request")
            return None
        try:
            return super().send_head()
        except (ValueError, OSError):  # a name the system cannot have
            self.send_error(404)
            return None

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
