"""`digest serve`: build, serve on 127.0.0.1 and rebuild on every change, with a live
preview: open pages reload after a good rebuild, and a failed one (or a good one's warnings)
is shown on the page, while the last good site stays served.

Watching is watchfiles' (the Rust notify library: no polling, events batched); the reload is
a small script the server adds to the HTML it sends (never to the files in output/), which
asks `/__digest/status` once a second: a same-origin script and request, as the site's
Content Security Policy allows.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable

from watchfiles import watch

from digest.build import build
from digest.build.report import BuildReport
from digest.errors import DigestError, UsageError
from digest.project import Project

STATUS, SCRIPT = "/__digest/status", "/__digest/reload.js"
_TAG = f'<script src="{SCRIPT}" defer></script>'.encode()


class Preview:
    """The last build as the browser is told of it: a number that changes with every build,
    whether it succeeded, its summary, problems and warnings (as `path:line: message`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state = {"id": 0, "ok": True, "summary": "", "problems": [], "warnings": []}

    def record(self, report: BuildReport | None, error: Exception | None) -> None:
        with self.lock:
            state = self.state
            state["id"] += 1
            state["ok"] = error is None
            if error is None:
                state["summary"] = report.summary()
                state["problems"] = []
                state["warnings"] = [str(w) for w in report.warnings]
            else:
                state["summary"] = f"build failed: {getattr(error, 'message', '') or error}"
                state["problems"] = [str(p) for p in getattr(error, "problems", ())]

    def json(self) -> bytes:
        with self.lock:
            return json.dumps(self.state).encode()


def watched_paths(project: Project) -> list[Path]:
    """What a change to rebuilds after: content, theme, settings and the project's data
    files (each that exists now)."""
    return [p for p in (project.content, project.root / "theme", project.data,
                        project.settings_file, project.publish_settings_file) if p.exists()]


PROXY = Path(".admin-bundle/server/node_modules/decap-server/dist/index.js")
PROXY_PORT = 8081  # (the port the editor's config names for its local backend)


@contextlib.contextmanager
def local_proxy(project: Project, site_port: int):
    """The web editor's local proxy (decap-server, from `make admin-bundle`) on
    127.0.0.1:8081 for as long as the block runs: the editor's saves are written to the
    project's files, as `git` would find them."""
    script = project.root / PROXY
    node = shutil.which("node")
    if not script.is_file():
        raise UsageError("the web editor's local proxy is not installed: run `make "
                         "admin-bundle` (it needs npm)")
    if node is None:
        raise UsageError("the web editor's local proxy needs Node.js (`node`) on the PATH")
    try:  # (another proxy there would serve another project's files)
        socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=0.5).close()
        raise UsageError(f"127.0.0.1:{PROXY_PORT}, the web editor's local proxy port, is in "
                         "use: stop the program that holds it (another `digest serve "
                         "--admin`?)")
    except OSError:
        pass
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(PROXY_PORT),
           "BIND_HOST": "127.0.0.1", "MODE": "fs", "LOG_LEVEL": "warn",
           "GIT_REPO_DIRECTORY": str(project.root),
           "ORIGIN": f"http://127.0.0.1:{site_port}"}
    proc = subprocess.Popen([node, str(script)], cwd=script.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    detail = proc.stderr.read().decode("utf-8", "replace")[-400:] \
                        if proc.poll() is not None else "it did not start in 20 s"
                    raise UsageError(f"the web editor's local proxy could not start on "
                                     f"127.0.0.1:{PROXY_PORT}: {detail.strip()}") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve(project: Project, port: int, production: bool = False,
          on_build: Callable[[BuildReport | None, Exception | None], None] | None = None,
          stop: Callable[[], bool] | None = None, admin: bool = False) -> None:
    """Build, serve `output/` on 127.0.0.1:`port`, and rebuild when content, theme, settings
    or data files change; a failed rebuild is reported (and shown in the browser) and the
    last good site stays served. With `admin`, the web editor is built into admin/ and its
    local proxy runs beside."""
    with local_proxy(project, port) if admin else contextlib.nullcontext(), _terminated():
        _serve(project, port, production, on_build, stop, admin)


@contextlib.contextmanager
def _terminated():
    """SIGTERM ends the server as Ctrl-C does (its proxy stopped, nothing left running)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _serve(project: Project, port: int, production: bool, on_build, stop, admin: bool) -> None:
    preview = Preview()

    def rebuild() -> None:
        try:
            report = build(project, production=production, admin=admin)
        except DigestError as exc:
            preview.record(None, exc)
            if on_build:
                on_build(None, exc)
            return
        preview.record(report, None)
        if on_build:
            on_build(report, None)

    rebuild()
    handler = functools.partial(PreviewHandler, directory=str(project.output), preview=preview)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _watch(project, rebuild, stop)
    finally:
        server.shutdown()
        server.server_close()


def _watch(project: Project, rebuild: Callable[[], None], stop: Callable[[], bool] | None) -> None:
    """Rebuild on every batch of changes until `stop`; a watched folder that appears (the
    first `digest source add` makes data/) is watched from then on."""
    stop_event = threading.Event()
    while not (stop and stop()):
        paths = watched_paths(project)
        for changes in watch(*paths, stop_event=stop_event, rust_timeout=500,
                             yield_on_timeout=True):
            if stop and stop():
                return
            if changes:
                rebuild()
            if watched_paths(project) != paths:
                rebuild()
                break


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site as Pages would (the site's own 404.html with status 404 for a
    missing page, 400 for an address no file can have, nothing logged per request), and the
    preview: the status, the reload script, and that script added to every HTML page sent."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".yml": "text/yaml", ".wasm": "application/wasm"}

    def __init__(self, *args, preview: Preview | None = None, **kwargs):
        self.preview = preview
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if "\x00" in path:
            self.send_error(400, "Bad request")
            return None
        if self.preview is not None and path in (STATUS, SCRIPT):
            body, kind = (self.preview.json(), "application/json") if path == STATUS else \
                (RELOAD_JS.encode(), "text/javascript")
            return self._send(200, body, f"{kind}; charset=utf-8")
        try:
            target = Path(self.translate_path(self.path))
            if target.is_dir() and (target / "index.html").is_file() and path.endswith("/"):
                target = target / "index.html"
            if self.preview is not None and target.suffix == ".html" and target.is_file():
                return self._send(200, _with_script(target.read_bytes()),
                                  "text/html; charset=utf-8")
            return super().send_head()
        except (ValueError, OSError):  # a name the system cannot have
            self.send_error(404)
            return None

    def _send(self, code: int, body: bytes, kind: str):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        if self.preview is not None:
            body = _with_script(body)
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _with_script(html: bytes) -> bytes:
    """A page with the reload script before its `</body>` (or at its end)."""
    at = html.lower().rfind(b"</body>")
    return html[:at] + _TAG + html[at:] if at >= 0 else html + _TAG


# The preview's script: asks the status once a second; reloads the page after a new good
# build; shows a failed build's problems (and a good one's warnings) in a panel. Every text
# is set as text, never as markup: a problem quotes what a contributor wrote.
RELOAD_JS = """\
(function () {
  "use strict";
  var seen = null, panel = null;
  function show(state) {
    if (panel) { panel.remove(); panel = null; }
    var lines = state.ok ? state.warnings : state.problems;
    if (state.ok && !lines.length) { return; }
    panel = document.createElement("aside");
    panel.setAttribute("role", state.ok ? "status" : "alert");
    panel.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;" +
      "max-height:45vh;overflow:auto;margin:0;padding:.75rem 1rem;font:14px/1.4 monospace;" +
      "background:" + (state.ok ? "#fff8e1;color:#3e2700" : "#b71c1c;color:#fff") +
      ";border-top:3px solid " + (state.ok ? "#f9a825" : "#7f0000");
    var head = document.createElement("strong");
    head.textContent = state.ok ? lines.length + " warning(s): " + state.summary :
      state.summary + " (the last good site is shown)";
    panel.appendChild(head);
    var close = document.createElement("button");
    close.type = "button"; close.textContent = "close"; close.style.marginLeft = "1rem";
    close.addEventListener("click", function () { panel.remove(); panel = null; });
    panel.appendChild(close);
    var list = document.createElement("pre");
    list.style.cssText = "white-space:pre-wrap;margin:.5rem 0 0";
    list.textContent = lines.join("\\n");
    panel.appendChild(list);
    document.body.appendChild(panel);
  }
  function ask() {
    fetch("/__digest/status", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (state) {
        if (seen === null) { seen = state.id; show(state); }
        else if (state.id !== seen) {
          seen = state.id;
          if (state.ok) { location.reload(); return; }
          show(state);
        }
      }).catch(function () {}).then(function () { setTimeout(ask, 1000); });
  }
  ask();
})();
"""
