"""`digest serve`: builds, serves on 127.0.0.1 and rebuilds on change."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request

import pytest

from digest.serve import serve

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_serve_rebuilds_on_change_and_keeps_serving_after_a_failure(site):
    site.add("2021/04/talks.md", title="First title")
    port = free_port()
    stop = threading.Event()
    events = []
    thread = threading.Thread(target=serve, args=(site.project, port),
                              kwargs={"on_build": lambda r, e: events.append((r, e)),
                                      "stop": stop.is_set}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        assert wait_for(lambda: "First title" in fetch(base + "2021/04/talks/"))
        site.add("2021/04/talks.md", title="Second title")
        assert wait_for(lambda: "Second title" in fetch(base + "2021/04/talks/"))
        site.add("2021/04/talks.md", title="Third", date="not a date")
        assert wait_for(lambda: any(e is not None for _, e in events))
        assert "Second title" in fetch(base + "2021/04/talks/")
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
