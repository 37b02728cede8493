"""The list of a build's output files with their signatures, and writing a file whole or not at all."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

from digest.incremental.look import read_times


def write_outputs(folder: Path, files: dict[str, str], owners: dict[str, str], token: str,
                  times: str | None = None) -> bool:
    """Write the list of a build's files (output path → signature, and the owner of those
    that have one) to the file `outputs` in `folder`, under the build's token; False where
    it could not be written (the next build is then a full one). A line per file, path,
    owner and signature tab-separated, after a first line (JSON) with the token and the
    count. The change times of the output's folders (`times`, `look.times_text`) go to the
    file `folders` beside it, under the same token (None: the build's reading process wrote
    them there already, `write_folder_times`)."""
    if times is not None and not write_folder_times(folder, token, times):
        return False
    get = owners.get
    names = list(files)
    head = json.dumps({"token": token, "count": len(files)}) + "\n"

    def chunks():  # (a chunk at a time: the list of a large digest is several MB)
        yield head.encode("utf-8")
        step = 4096
        for at in range(0, len(names), step):
            part = "\n".join([f"{name}\t{get(name, '')}\t{files[name]}"
                              for name in names[at:at + step]])
            if part.count("\t") != 2 * len(names[at:at + step]) or \
                    part.count("\n") != len(names[at:at + step]) - 1:
                raise _Unwritable  # (a tab or a line break in a name, owner or signature)
            yield (part if at == 0 else "\n" + part).encode("utf-8")

    try:
        replace_file(folder / "outputs", chunks())
    except (OSError, _Unwritable):
        return False
    return True


def write_folder_times(folder: Path, token: str, times: str) -> bool:
    """Write the change times of the output's folders (`look.times_text`) to the file
    `folders` in `folder` under this token; False where it could not be written."""
    try:
        replace_file(folder / "folders", [json.dumps({"token": token}).encode() + b"\n",
                                          times.encode("utf-8", "surrogateescape")])
    except OSError:
        return False
    return True


class _Unwritable(Exception):
    pass


def read_outputs(folder: Path, token: str | None
                 ) -> tuple[dict[str, str], dict[str, str]] | None:
    """The list of files `write_outputs` wrote to `folder` under this token, as (path →
    signature, path → owner), or None (no token, another build's list, a list cut short or
    damaged)."""
    if not token:
        return None
    try:
        with open(folder / "outputs", "rb") as fh:
            head = json.loads(fh.readline())
            text = fh.read().decode("utf-8")
        if not isinstance(head, dict) or head.get("token") != token:
            return None
        count = head["count"]
        # (split in one go: every line is name, owner, signature)
        fields = text.replace("\n", "\t").split("\t") if text else []
        if len(fields) != 3 * count or (count and text.count("\n") != count - 1):
            return None
        names = fields[0::3]
        files = dict(zip(names, fields[2::3]))
        owners = {name: owner for name, owner in zip(names, fields[1::3]) if owner}
        if len(files) != count:
            return None
        return files, owners
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_folder_times(folder: Path, token: str | None) -> dict[str, int]:
    """The folder change times `write_outputs` wrote under this token ({} if none)."""
    try:
        with open(folder / "folders", "rb") as fh:
            head = json.loads(fh.readline())
            text = fh.read().decode("utf-8", "surrogateescape")
        if not isinstance(head, dict) or not token or head.get("token") != token:
            return {}
        return read_times(text)
    except (OSError, ValueError):
        return {}


def read_file_hashes(folder: Path) -> dict[str, tuple[str, str]]:
    """What the last hashing of the clipping files found (`build.reading.hash_files`): path
    below the clippings folder → (stat key, SHA-256), from the file `hashes` in `folder`;
    {} when there is none or it is damaged."""
    try:
        with open(folder / "hashes", "rb") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
        fields = text.replace("\n", "\t").split("\t") if text else []
        if len(fields) % 3 or (fields and text.count("\n") != len(fields) // 3 - 1):
            return {}
        return dict(zip(fields[0::3], zip(fields[1::3], fields[2::3])))
    except OSError:
        return {}


def write_file_hashes(folder: Path, hashes: dict[str, tuple[str, str]]) -> None:
    """Record what a hashing of the clipping files found (`read_file_hashes`); a file whose
    name holds a tab or a line break is left out (it is read again next time)."""
    lines = [f"{rel}\t{key}\t{sha}" for rel, (key, sha) in hashes.items()
             if "\t" not in rel and "\n" not in rel]
    try:
        replace_file(folder / "hashes", ["\n".join(lines).encode("utf-8", "surrogateescape")])
    except OSError:
        pass  # (the next build reads every file)


def replace_file(path: Path, chunks: Iterable[bytes]) -> None:
    """Write a file whole or not at all: into a file of this process's beside it, then
    renamed over it (a reader holding the old file keeps reading the old one)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        with open(temporary, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(temporary, path)
    except BaseException:  # (whatever stopped it: no half-written file is left)
        temporary.unlink(missing_ok=True)
        raise


def recorded_files(path: Path) -> tuple[dict[str, str], dict[str, int]] | None | bool:
    """The last build's list of files (output path → signature) and the change times of
    its folders (`look`), read from the store at `path` on a connection of this process's
    own (a forked one must not use its parent's); False where there is no store, None where
    it cannot be read now."""
    if not path.exists():
        return False
    try:
        db = read_only(path)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'outputs'").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return None
    token = row[0] if row else None
    found = read_outputs(path.parent, token)
    return (found[0], read_folder_times(path.parent, token)) if found is not None else None


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the store at `path`, for a process of its own (a forked
    process must not use its parent's connection)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
