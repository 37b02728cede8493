"""Reading the clipping files: hashed in a process of their own beside the build's start,
each checked and rendered (on every core when there are many), and the last build's output
looked at."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from dataclasses import replace
from pathlib import Path

from digest.content.files import markdown_files
from digest.errors import Problem
from digest.incremental.look import RECENT_NS, SEARCH_PREFIX, OutputState, look  # noqa: F401
from digest.workers import InChild

# `digest build` imports this module before it forks the reading process: what checks and
# renders a file (Markdown, the rules, the gazetteer) and reads the store is imported where
# it is used, after the fork.

_LINKS_OUT = re.compile(rb"\{(?:filename|static|attach)\}")


def check_one(job: tuple[str, str, str, str, dt.date | None]):
    """Validate and render one file (runs in a worker process)."""
    from digest.content.check import validate_file
    from digest.content.render import shared_renderer, summary
    from digest.core.schema import normalise_url
    from digest.incremental.records import Checked, clipping_record, open_data_rows

    path, display, rel, root, today = job
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return display, "", [Problem(display, None, f"cannot read the file: {exc.strerror}: "
                                     "check that it exists and is readable")], None
    digest = hashlib.sha256(data).hexdigest()
    # (its place below the clippings folder is the listing's, but for a link to a file,
    # which is where it points)
    result = validate_file(Path(path), Path(root), display, today, data=data,
                           rel=None if os.path.islink(path) else rel)
    if result.clipping is None:
        return display, digest, result.problems, None
    try:
        html, text = shared_renderer().html_and_text(result.clipping.body)
    except RecursionError:  # (the rules' limits keep excerpts well below this)
        return display, digest, [Problem(display, None, "the excerpt nests too deeply for "
                                         "Markdown (emphasis, lists, quotes or links): "
                                         "flatten it")], None
    warnings = [[p.line, p.message, p.severity] for p in result.problems]
    # with the duplicate check's key, computed once
    record = clipping_record(result.clipping, normalise_url(result.clipping.source_url)
                             if result.clipping.source_url else None)
    return display, digest, result.problems, Checked(
        digest, rel, record, warnings,
        result.clipping.summary or summary(text),
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


def hash_files(root: str, reusable: bool = True, known: dict[str, tuple[str, str]] | None = None,
                seen: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Every clipping file under `root` (sorted) with the SHA-256 of its bytes; the hash is ""
    for a file that cannot be reused (`reusable` false, a file that links to other files,
    or one that cannot be read: its check reports why).

    `known` holds what an earlier hashing found (path below `root` → its `stat_key`, its
    hash): a file whose key is still that one has the same bytes (the system changes the
    change time with every write, and no program can set it back), so it is not read again.
    `seen` gets the same of this hashing, but for files changed in the last few seconds."""
    out = []
    known = known or {}
    cut = len(root) + 1
    since = time.time_ns() - RECENT_NS
    for f in markdown_files(root):
        sha = ""
        if reusable:
            rel = f[cut:]
            try:
                info = os.stat(f)  # (of the file a link points to, which is read)
                key = stat_key(info)
            except OSError:
                info = key = None
            found = known.get(rel)
            if found is not None and found[0] == key:
                sha = found[1]
            else:
                try:
                    data = _read(f)
                except OSError:
                    data = b"{filename}"  # not reusable: checked, and its error reported
                if b"{" not in data or not _LINKS_OUT.search(data):
                    sha = hashlib.sha256(data).hexdigest()
            if seen is not None and info is not None and info.st_ctime_ns < since and \
                    info.st_mtime_ns < since:
                seen[rel] = (key, sha)
        out.append((f, sha))
    return out


def stat_key(info: os.stat_result) -> str:
    """What says a file is unchanged: its inode, size, modification and change times."""
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def hash_with_record(root: str, folder: Path) -> list[tuple[str, str]]:
    """`hash_files`, taking the hashes of unchanged files from the record of the last
    hashing in `folder` (`.digest-cache/`), then recording this one's there."""
    from digest.incremental.outputs import read_file_hashes, write_file_hashes

    seen: dict[str, tuple[str, str]] = {}
    out = hash_files(root, True, read_file_hashes(folder), seen)
    write_file_hashes(folder, seen)
    return out


HASHED, OUTPUT = 0, 1  # the answers of `reader`


def reader(root: str, output: Path, store_path: Path, token: str) -> InChild:
    """A forked process that hashes the clipping files (`hash_files`, sent as NUL-separated
    text), while this one loads Pelican and the store; then looks at the last build's output
    (`look_at`: the plan needs to know whether its pages are all there, the step that changes
    the output which files there no build wrote; the change times of its folders are written
    beside the store under the build's `token`). It is forked while this process is still
    small: a process forked later, from a large one, makes that one copy each page of memory
    it then writes to."""
    cut = len(root) + 1
    return InChild((lambda: hash_with_record(root, store_path.parent),
                    lambda got: "\0".join(x for f, sha in got for x in (f[cut:], sha))),
                   (lambda: look_at(output, store_path, token), encode_state))


def read_listing(text: str) -> list[tuple[str, str]]:
    """The listing (path below the clippings folder, SHA-256) from the text `reader`
    sends."""
    fields = text.split("\0") if text else []
    return list(zip(fields[0::2], fields[1::2]))


def look_at(output: Path, store_path: Path, token: str) -> OutputState | None:
    """The output folder against the last build's list (`incremental.look`), read from the
    store at `store_path`; None when the list cannot be read now. The change times of the
    folders seen as listed are written beside the store under `token` (the build's: its
    list of files goes there under it too), not kept (`OutputState.times` None)."""
    from digest.incremental.outputs import recorded_files, write_folder_times

    found = recorded_files(store_path)
    if found is False:
        return OutputState(missing=True, pages_missing=True)
    if found is None:
        return None
    state = look(output, *found)
    if write_folder_times(store_path.parent, token, state.times or ""):
        state = replace(state, times=None)
    return state


def encode_state(state: OutputState | None) -> str:
    if state is None:
        return ""
    flags = ("M" if state.missing else "-") + ("P" if state.pages_missing else "-")
    return "\0".join([flags, "" if state.times is None else "=" + state.times,
                       *state.foreign])


def decode_state(text: str) -> OutputState | None:
    if not text:
        return None
    flags, times, *found = text.split("\0")
    return OutputState(missing=flags[0] == "M", pages_missing=flags[1] == "P",
                       foreign=tuple(found), times=times[1:] if times else None)
