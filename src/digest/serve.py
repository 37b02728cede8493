"""`digest serve`: build, serve on 127.0.0.1 and rebuild on every change."""

from __future__ import annotations

import functools
import http.server
import threading
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
    """Serves files without logging every request to the terminal."""

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass
