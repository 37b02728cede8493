"""Reading the clipping files: hashed in a process of their own beside the build's start,
each checked and rendered (on every core when there are many), and the last build's output
looked at."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from digest.errors import Problem
from digest.workers import InChild

# `digest build` imports this module before it forks the reading process: what checks and
# renders a file (Markdown, the rules, the gazetteer) and reads the store is imported where
# it is used, after the fork.

_LINKS_OUT = re.compile(rb"\{(?:filename|static|attach)\}")


@dataclass(frozen=True)
class OutputState:
    """The output folder against the last build's list of its files."""

    missing: bool  # a file the last build wrote is not there (or there is no list)
    foreign: tuple[str, ...] = ()  # files there that the last build did not write


def check_one(job: tuple[str, str, str, str, dt.date | None]):
    """Validate and render one file (runs in a worker process)."""
    from digest.content.check import validate_file
    from digest.content.render import plain_text, shared_renderer, summary
    from digest.core.schema import normalise_url
    from digest.incremental.records import Checked, clipping_record, open_data_rows

    path, display, rel, root, today = job
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return display, "", [Problem(display, None, f"cannot read the file: {exc.strerror}: "
                                     "check that it exists and is readable")], None
    digest = hashlib.sha256(data).hexdigest()
    result = validate_file(Path(path), Path(root), display, today, data=data)
    if result.clipping is None:
        return display, digest, result.problems, None
    try:
        html = shared_renderer().html(result.clipping.body)
    except RecursionError:  # (the rules' limits keep excerpts well below this)
        return display, digest, [Problem(display, None, "the excerpt nests too deeply for "
                                         "Markdown (emphasis, lists, quotes or links): "
                                         "flatten it")], None
    warnings = [[p.line, p.message, p.severity] for p in result.problems]
    # with the duplicate check's key, computed once
    record = clipping_record(result.clipping, normalise_url(result.clipping.source_url)
                             if result.clipping.source_url else None)
    return display, digest, result.problems, Checked(
        digest, rel, record, warnings, summary(plain_text(html)),
        open_data_rows(result.clipping), html)



def _read(path: str) -> bytes:
    """A file's bytes, with the fewest calls (a build reads every clipping file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def hash_files(root: str, reusable: bool = True) -> list[tuple[str, str]]:
    """Every clipping file under `root` (sorted) with the SHA-256 of its bytes; the hash is ""
    for a file that cannot be reused (`reusable` false, a file that links to other files,
    or one that cannot be read: its check reports why)."""
    from digest.content.check import markdown_files

    out = []
    for f in markdown_files(root):
        sha = ""
        if reusable:
            try:
                data = _read(f)
            except OSError:
                data = b"{filename}"  # not reusable: checked, and its error reported
            if b"{" not in data or not _LINKS_OUT.search(data):
                sha = hashlib.sha256(data).hexdigest()
        out.append((f, sha))
    return out


HASHED, INTACT, FOREIGN = 0, 1, 2  # the answers of `reader`
SEARCH_PREFIX = "pagefind/"  # the search index's files (the build re-indexes a damaged bundle)


def reader(root: str, output: Path, store_path: Path) -> InChild:
    """A forked process that hashes the clipping files (`hash_files`, sent as NUL-separated
    text), while this one loads Pelican and the store; then says whether every page of the
    last build is still in its output (`intact`: the plan needs it); then walks the output
    for files no build wrote (`foreign`: needed only once the pages are rendered). It is
    forked while this process is still small: a process forked later, from a large one,
    makes that one copy each page of memory it then writes to."""
    cut = len(root) + 1
    return InChild((lambda: hash_files(root),
                    lambda got: "\0".join(x for f, sha in got for x in (f[cut:], sha))),
                   (lambda: intact(output, store_path), encode_intact),
                   (lambda: foreign(output, store_path), encode_foreign))


def read_listing(text: str) -> list[tuple[str, str]]:
    """The listing (path below the clippings folder, SHA-256) from the text `reader`
    sends."""
    fields = text.split("\0") if text else []
    return list(zip(fields[0::2], fields[1::2]))


def _recorded(store_path: Path) -> dict[str, str] | None | bool:
    from digest.incremental.store import recorded_files

    return recorded_files(store_path)


def intact(output: Path, store_path: Path) -> bool | None:
    """Whether every file but the search index's that the last build recorded (in the store at
    `store_path`) is in `output`; None when its list cannot be read now."""
    found = _recorded(store_path)
    if found is False:
        return False
    return pages_intact(output, found) if found is not None else None


def pages_intact(output: Path, recorded) -> bool:
    exists = os.path.exists
    base = str(output) + os.sep
    return all(exists(base + rel) for rel in recorded if not rel.startswith(SEARCH_PREFIX))


def foreign(output: Path, store_path: Path) -> OutputState | None:
    """The output folder against the last build's list (`compare_output`); None when the
    list cannot be read now."""
    found = _recorded(store_path)
    if found is False:
        return OutputState(missing=True)
    return compare_output(output, found) if found is not None else None


def compare_output(output: Path, recorded) -> OutputState:
    """The files in `output` the last build did not write (someone put them there by hand,
    or an interrupted build left them), and whether any it recorded is missing. A search
    bundle is listed by its folder (`pagefind/2021-q2/`): what is in it is the bundle's."""
    base = len(str(output)) + 1
    seen = 0
    found = []
    folders = {rel for rel in recorded if rel.endswith("/")}
    for folder, _dirs, files in os.walk(output):
        prefix = folder[base:].replace(os.sep, "/")
        prefix = prefix + "/" if prefix else ""
        bundle = "/".join(prefix.split("/")[:2]) + "/" if prefix.startswith(SEARCH_PREFIX) \
            and prefix.count("/") >= 2 else None
        for name in files:
            if prefix + name in recorded:
                seen += 1
            elif bundle is None or bundle not in folders:
                found.append(prefix + name)
    missing = seen != len(recorded) - len(folders) or not all(
        os.path.exists(os.path.join(output, rel, "pagefind.js")) for rel in folders)
    return OutputState(missing=missing, foreign=tuple(sorted(found)))


def encode_intact(ok: bool | None) -> str:
    return "" if ok is None else "1" if ok else "0"


def decode_intact(text: str) -> bool | None:
    return None if not text else text == "1"


def encode_foreign(state: OutputState | None) -> str:
    if state is None:
        return ""
    return "\0".join(["M" if state.missing else "-", *state.foreign])


def decode_foreign(text: str) -> OutputState | None:
    if not text:
        return None
    flag, *found = text.split("\0")
    return OutputState(missing=flag == "M", foreign=tuple(found))
