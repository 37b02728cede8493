"""The list of a build's output files with their signatures, and writing a file whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable


def write_outputs(folder: Path, files: dict[str, str], owners: dict[str, str]) -> str:
    """Write the list of a build's files (output path → signature, and the owner of those
    that have one) to the file `outputs` in `folder`, under a new token, and return the token
    ("" where it could not be written: the next build is then a full one). A line per file,
    path, owner and signature tab-separated, after a first line (JSON) with the token and
    the count."""
    token = os.urandom(16).hex()
    get = owners.get
    body = "\n".join([f"{name}\t{get(name, '')}\t{sig}" for name, sig in files.items()])
    if body.count("\t") != 2 * len(files) or body.count("\n") != max(len(files) - 1, 0):
        return ""  # (a tab or a line break in a name, an owner or a signature)
    head = json.dumps({"token": token, "count": len(files)}) + "\n"
    try:
        replace_file(folder / "outputs", [head.encode("utf-8"), body.encode("utf-8")])
    except OSError:
        return ""
    return token


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
        lines = text.split("\n") if text else []
        files, owners = {}, {}
        for line in lines:
            name, owner, sig = line.split("\t")
            files[name] = sig
            if owner:
                owners[name] = owner
        if len(files) != head["count"] or len(lines) != head["count"]:
            return None
        return files, owners
    except (OSError, ValueError, KeyError, TypeError):
        return None


def replace_file(path: Path, chunks: Iterable[bytes]) -> None:
    """Write a file whole or not at all: into a file of this process's beside it, then
    renamed over it (a reader holding the old file keeps reading the old one)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        with open(temporary, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
