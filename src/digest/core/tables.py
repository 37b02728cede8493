"""The packaged tables the gazetteer and the registry are made from, and their fingerprint."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

TABLES = ("countries.txt", "regions.txt", "sources.yml")
PROJECT_TABLES = ("sources.yml", "places.yml")  # a project's own, in its data/ folder
_seen: list[str] = []  # the fingerprint of the tables the loaded gazetteer and registry read
_project_data: list[Path | None] = [None]  # the project's data/ folder (`use_project_data`)


def data_folder() -> Path:
    """The folder of the packaged tables."""
    return Path(str(resources.files("digest").joinpath("data")))


def table_text(name: str) -> str:
    return (data_folder() / name).read_text(encoding="utf-8")


def use_project_data(folder: Path | None) -> None:
    """Read the project's own tables (`data/sources.yml`, `data/places.yml`) after the
    packaged ones from now on; the loaded gazetteer and registry are made again."""
    from digest.core.gazetteer import load_gazetteer  # (they import this module)
    from digest.core.registry import load_registry

    if _project_data[0] != folder:
        _project_data[0] = folder
        load_gazetteer.cache_clear()
        load_registry.cache_clear()


def project_table(name: str) -> tuple[Path, str] | None:
    """The project's own table `name` (its path and text), if the project has one."""
    folder = _project_data[0]
    path = folder / name if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        return path, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        from digest.errors import ContentError, Problem

        raise ContentError("the project's data files cannot be read", [Problem(
            shown(path), None, f"cannot be read: {getattr(exc, 'strerror', None) or exc}: "
            "save it as UTF-8 text")]) from None


def shown(path: Path) -> str:
    """A path as a message shows it: relative to the working folder when below it."""
    import os

    try:
        return os.path.relpath(path.resolve(), Path.cwd())
    except ValueError:
        return str(path)


def tables_fingerprint() -> str:
    """A hash of the gazetteer's and the registry's tables as they are now (and of pycountry,
    whose ISO 3166-1 table the gazetteer starts from)."""
    h = hashlib.sha256(f"pycountry={_pycountry_version()}\0".encode())
    for name in TABLES:
        h.update(name.encode() + b"\0" + (data_folder() / name).read_bytes() + b"\0")
    folder = _project_data[0]
    for name in PROJECT_TABLES:
        path = folder / name if folder is not None else None
        try:
            data = path.read_bytes() if path is not None else b"-"
        except OSError:
            data = b"-"
        h.update(b"project:" + name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _pycountry_version() -> str:
    from importlib.metadata import version  # (deferred: 25 ms, once a process)

    return version("pycountry")


def forget() -> None:
    """Make the gazetteer and the registry again when next asked (a data file was written)."""
    from digest.core.gazetteer import load_gazetteer
    from digest.core.registry import load_registry

    load_gazetteer.cache_clear()
    load_registry.cache_clear()
    _seen.clear()


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
