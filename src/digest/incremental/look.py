"""The output folder against the last build's list of its files: which of them are missing,
and which files there no build wrote.

Looking costs little after a small change. The list keeps, beside the files, the change time
(`st_ctime_ns`) each folder had when a build last saw its entries: a folder whose change time
is still that one has had no entry added, removed or renamed since (the system sets it on
each such change, and no program can set it back), so it is not listed again. Only the
folders that changed are listed: after a +1 rebuild a few dozen of a large digest's 25,000.
A change time from the last few seconds before a look is never kept, for file systems whose
clock is coarse (the change could fall in the same tick)."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

SEARCH_PREFIX = "pagefind/"  # the search index's files (a damaged bundle is indexed again)
RECENT_NS = 3 * 10 ** 9  # a change time this close to the look is not kept


@dataclass(frozen=True)
class OutputState:
    """The output folder against the last build's list of its files."""

    missing: bool  # a file the last build wrote is not there (or there is no list)
    pages_missing: bool = False  # ... one that is not the search index's
    foreign: tuple[str, ...] = ()  # files there that the last build did not write
    # the change times of the folders seen as listed (`times_text`); None once written
    times: str | None = field(default="", repr=False)


def look(output: Path, recorded: Iterable[str], times: Mapping[str, int]) -> OutputState:
    """Compare `output` with the last build's files (`recorded`: paths; a search bundle as
    its folder, `pagefind/2021-q2/`, whose files are its own) given the change times of its
    folders when a build last saw them as listed (`times`, folder → ns; "" is the top)."""
    tree, bundles = _tree(recorded)
    base = str(output)
    sep = os.sep
    since = time.time_ns() - RECENT_NS
    seen: dict[str, int] = {}
    found: list[str] = []
    missing: set[str] = set()  # listed files and folders that are not there
    for folder, names in tree.items():
        path = base + sep + folder if folder else base
        try:
            info = os.lstat(path)
        except OSError:
            missing.add(folder)
            continue
        if not stat.S_ISDIR(info.st_mode):  # (its parent's listing finds what is there)
            missing.add(folder)
            continue
        changed = info.st_ctime_ns
        if changed and times.get(folder) == changed:
            seen[folder] = changed
            continue
        if _listed(path, folder, names, found, missing) and 0 < changed < since:
            seen[folder] = changed
    gone_bundle = any(not os.path.exists(os.path.join(base, rel, "pagefind.js"))
                      for rel in bundles)
    pages_missing = any(not (rel + "/").startswith(SEARCH_PREFIX) for rel in missing)
    return OutputState(missing=bool(missing) or gone_bundle, pages_missing=pages_missing,
                       foreign=tuple(sorted(set(found))), times=times_text(seen))


def _tree(recorded: Iterable[str]) -> tuple[dict[str, dict[str, bool]], list[str]]:
    """Each folder of the listed files with its entries (name → whether a folder), and the
    search bundles (listed as folders)."""
    tree: dict[str, dict[str, bool]] = {"": {}}
    bundles = []
    get = tree.get
    for rel in recorded:
        parent, _, name = rel.rpartition("/")
        names = get(parent)
        if names is not None and name:  # (the usual case: a file in a folder seen before)
            names[name] = False
            continue
        is_folder = rel.endswith("/")
        if is_folder:
            bundles.append(rel)
        path = rel[:-1] if is_folder else rel
        while True:
            parent, _, name = path.rpartition("/")
            names = get(parent)
            if names is not None:
                names[name] = is_folder
                break
            tree[parent] = {name: is_folder}
            path, is_folder = parent, True
    return tree, bundles


def _listed(path: str, folder: str, names: dict[str, bool], found: list[str],
            missing: set[str]) -> bool:
    """List one folder: entries no build wrote go to `found` (all the files of a folder no
    build made), listed entries not there to `missing`; True if it is as listed."""
    prefix = folder + "/" if folder else ""
    there: list[str] = []
    clean = True
    with os.scandir(path) as entries:
        for entry in entries:
            want = names.get(entry.name)
            is_folder = entry.is_dir(follow_symlinks=False)
            if want is not None and want == is_folder:
                there.append(entry.name)
                continue
            clean = False
            if want is not None:  # a listed file where a folder is, or the reverse
                missing.add(prefix + entry.name)
            if is_folder:
                found.extend(_files(entry.path, prefix + entry.name + "/"))
            else:
                found.append(prefix + entry.name)
    if len(there) != len(names):
        missing.update(prefix + name for name in names.keys() - set(there))
    return clean and len(there) == len(names)


def _files(path: str, prefix: str) -> list[str]:
    """Every file (or link) below a folder, as `prefix` + its path there."""
    out = []
    cut = len(path) + 1
    for root, _dirs, files in os.walk(path):
        for name in files:
            out.append(prefix + os.path.join(root, name)[cut:].replace(os.sep, "/"))
    return out


def times_text(times: Mapping[str, int]) -> str:
    """Folder change times as the list keeps them: a line per folder, path and time."""
    return "\n".join(f"{folder}\t{ns}" for folder, ns in times.items())


def read_times(text: str) -> dict[str, int]:
    """The folder change times `times_text` made (ValueError if damaged)."""
    out = {}
    for line in text.split("\n") if text else ():
        folder, _, ns = line.rpartition("\t")
        out[folder] = int(ns)
    return out


def listing(folder: Path) -> tuple[list[str], str]:
    """Every file below `folder` (as relative POSIX paths), and the change times of its
    folders (`times_text`), each taken before the folder is listed: the list of a full
    build's output as it goes in."""
    since = time.time_ns() - RECENT_NS
    files: list[str] = []
    times: dict[str, int] = {}
    todo = [("", str(folder))]
    while todo:
        rel, path = todo.pop()
        changed = os.lstat(path).st_ctime_ns
        if 0 < changed < since:
            times[rel] = changed
        prefix = rel + "/" if rel else ""
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((prefix + entry.name, entry.path))
                else:
                    files.append(prefix + entry.name)
    files.sort()
    return files, times_text(times)
