"""The packaged tables the gazetteer and the registry are made from, and their fingerprint."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

TABLES = ("countries.txt", "regions.txt", "sources.yml")
_seen: list[str] = []  # the fingerprint of the tables the loaded gazetteer and registry read


def data_folder() -> Path:
    """The folder of the packaged tables."""
    return Path(str(resources.files("digest").joinpath("data")))


def table_text(name: str) -> str:
    return (data_folder() / name).read_text(encoding="utf-8")


def tables_fingerprint() -> str:
    """A hash of the gazetteer's and the registry's tables as they are now (and of pycountry,
    whose ISO 3166-1 table the gazetteer starts from)."""
    from importlib.metadata import (
        version,  # (deferred: 25 ms, and only a build needs it)
    )

    h = hashlib.sha256(f"pycountry={version('pycountry')}\0".encode())
    for name in TABLES:
        h.update(name.encode() + b"\0" + (data_folder() / name).read_bytes() + b"\0")
    return h.hexdigest()


def refresh() -> str:
    """The tables' fingerprint; the gazetteer and registry this process loaded are forgotten
    if the tables changed since (`digest serve` builds many times in one process)."""
    from digest.core.gazetteer import load_gazetteer  # (they import this module)
    from digest.core.registry import load_registry

    found = tables_fingerprint()
    if _seen and _seen[0] != found:
        load_gazetteer.cache_clear()
        load_registry.cache_clear()
    _seen[:] = [found]
    return found
