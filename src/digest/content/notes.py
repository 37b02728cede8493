"""The notes files of a project (`content/notes/YYYY-MM.yml`), read and checked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from digest.core.notes import Notes, file_month, gather, parse_notes
from digest.errors import Problem

if TYPE_CHECKING:
    from digest.core.gazetteer import Gazetteer

MAX_NOTES_BYTES = 1 << 20  # a month's notes are a few lines


def read_notes(folder: Path, display: Callable[[Path], str] = str,
               gazetteer: Gazetteer | None = None) -> tuple[Notes, list[Problem]]:
    """Every note of the project's notes folder, and every problem with its files (a file
    with an error gives no note: the build fails on it)."""
    if not folder.is_dir():
        return Notes(), []
    from digest.core.gazetteer import load_gazetteer  # (only a project with notes)

    gz = gazetteer or load_gazetteer()
    files, problems = [], []
    for path in sorted(folder.iterdir()):
        shown = display(path)
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix not in (".yml", ".yaml"):
            problems.append(Problem(shown, None, "the notes folder holds only notes files, "
                                    "named for their month (2021-04.yml): move this file",
                                    "warning"))
            continue
        try:
            if path.stat().st_size > MAX_NOTES_BYTES:
                problems.append(Problem(shown, None, "a notes file of over 1 MiB: a month's "
                                        "notes are one line for each country or pair"))
                continue
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            problems.append(Problem(shown, None, f"cannot read the file: {exc.strerror}"))
            continue
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[:exc.start].count(b"\n") + 1
            problems.append(Problem(shown, line, "not UTF-8 text: save the file as UTF-8"))
            continue
        notes, found = parse_notes(text, path.name, shown, gz)
        problems.extend(found)
        if not any(p.is_error for p in found):
            files.append((file_month(path.name), notes))
    return gather(files), problems
