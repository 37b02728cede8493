"""Checks across files: shared slugs and originals, case-only names, clashing spellings, near-identical headlines."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter, defaultdict
from typing import Callable

from digest.core.model import Clipping, date_key, slugify
from digest.core.schema import normalise_url
from digest.errors import Problem


def corpus_problems(clippings: list[Clipping], paths: list[str],
                    near_pairs: list[tuple[Clipping, Clipping]] | None = None,
                    url_keys: dict[str, str] | None = None,
                    line_of: Callable[[str, str], int | None] | None = None) -> list[Problem]:
    """Problems between files: shared slugs or originals, case-only names, colliding labels,
    near-identical headlines (`near_pairs`, when already found, else searched for here).
    `url_keys`, when given, holds the duplicate check's key (`normalise_url`) of every
    clipping that has a source_url, by path. `line_of(path, field)`, when given, finds the
    line of a front-matter field in a file (for the problems that name one).

    Every build runs this over the whole digest, so values are counted first (in C) and the
    files are gathered only for the few values that collide."""
    problems: list[Problem] = []

    def same(kind: str, groups: dict[str, list[str]], hint: str) -> None:
        for files in groups.values():
            if len(files) < 2:
                continue
            files = sorted(set(files))
            if len(files) < 2:
                continue
            for path in files:
                others = ", ".join(f for f in files if f != path)
                problems.append(Problem(path, None, f"{kind} as {others}{hint}"))

    def colliding(keys: list, items: list) -> dict:
        """The items of each key that occurs more than once, by key."""
        repeated = {k for k, n in Counter(keys).items() if n > 1}
        groups: dict = defaultdict(list)
        if repeated:
            for k, item in zip(keys, items):
                if k in repeated:
                    groups[k].append(item)
        return groups

    files = [c.path for c in clippings]
    same("the same slug", colliding([c.slug for c in clippings], files),
         ": every clipping needs its own slug (rename one file)")
    if url_keys is None:
        url_keys = {c.path: normalise_url(c.source_url) for c in clippings if c.source_url}
    same("the same original (source_url)",
         colliding(list(url_keys.values()), list(url_keys)), ": keep one clipping per original")
    same("a file name differing only in case from",
         colliding([p.casefold() for p in paths], paths), ": rename one")

    if near_pairs is None:
        near_pairs = near_duplicate_pairs(clippings)
    problems.extend(near_duplicate_problems(near_pairs))

    problems.extend(spelling_clashes(clippings, line_of))
    return sorted(problems)


def spelling_clashes(clippings: list[Clipping],
                     line_of: Callable[[str, str], int | None] | None = None) -> list[Problem]:
    """Spellings that differ but would share one page (Türkiye/Turkiye, C++/C#): the files
    using the less common spelling are told which spelling the others use (at the line of
    the field, where `line_of` finds it)."""
    problems: list[Problem] = []
    for kind, get in (("topic", lambda c: c.topics), ("category", lambda c: (c.category,)),
                      ("source", lambda c: (c.source,))):
        if kind == "topic":
            counts = Counter(t for c in clippings for t in c.topics)
        else:
            counts = Counter([getattr(c, kind) for c in clippings])
        by_slug: dict[str, list[str]] = defaultdict(list)
        for label in counts:
            by_slug[slugify(label)].append(label)
        clashing = {label for labels in by_slug.values() if len(labels) > 1 for label in labels}
        if not clashing:
            continue
        spellings: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for c in clippings:
            for label in get(c):
                if label in clashing:
                    spellings[slugify(label)][label].append(c.path)
        for slug, variants in spellings.items():
            ranked = sorted(variants.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            main, main_files = ranked[0]
            for label, files in ranked[1:]:
                for path in sorted(set(files)):
                    field = "topics" if kind == "topic" else kind
                    line = line_of(path, field) if line_of is not None else None
                    problems.append(Problem(path, line, (
                        f"{kind} '{label}' and '{main}' (in {main_files[0]}) would share the "
                        f"page '{slug}': use one spelling")))
    return problems


def _headline_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", title.casefold()).split())


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "


def _char_counts(key: str) -> tuple[int, ...]:
    """Counts of each letter, digit and space, and of all other characters together."""
    counts = [key.count(ch) for ch in _ALPHABET]
    counts.append(len(key) - sum(counts))
    return tuple(counts)


def near_duplicate_pairs(clippings: list[Clipping], days: int = 7, ratio: float = 0.9,
                         fresh: set[str] | None = None) -> list[tuple[Clipping, Clipping]]:
    """Pairs (older, newer) of near-identical headlines from the same outlet within `days`;
    with `fresh` (clipping paths), only pairs with at least one fresh clipping are compared."""
    pairs: list[tuple[Clipping, Clipping]] = []
    by_source: dict[str, list[Clipping]] = defaultdict(list)
    for c in clippings:
        by_source[c.source.casefold()].append(c)
    window = dt.timedelta(days=days)
    if fresh is not None:
        return _near_fresh(by_source, fresh, window, ratio)
    for group in by_source.values():
        group.sort(key=lambda c: c.sort_key)
        keys = [_headline_key(c.title) for c in group]
        whens = [date_key(c.date) for c in group]
        lengths = [len(k) for k in keys]
        counts = [_char_counts(k) for k in keys]
        is_fresh = [fresh is None or c.path in fresh for c in group]
        start = 0
        for i, c in enumerate(group):
            earliest = whens[i] - window
            while whens[start] < earliest:
                start += 1
            la, ca, matcher = lengths[i], counts[i], None
            for j in range(start, i):
                if not (is_fresh[i] or is_fresh[j]):
                    continue
                lb = lengths[j]
                # ratio = 2·matches / (la + lb): similar lengths, then similar characters
                # (an upper bound of the matches, as difflib's quick_ratio) are necessary.
                bound = ratio * (la + lb)
                if 2 * min(la, lb) < bound or 2 * sum(map(min, ca, counts[j])) < bound:
                    continue
                if matcher is None:  # indexes its second string once; the first is cheap
                    matcher = difflib.SequenceMatcher(None, "", keys[i], autojunk=False)
                matcher.set_seq1(keys[j])
                if matcher.ratio() >= ratio:
                    pairs.append((group[j], c))
    return pairs


def _near_fresh(by_source: dict[str, list[Clipping]], fresh: set[str], window: dt.timedelta,
                ratio: float) -> list[tuple[Clipping, Clipping]]:
    """Near-identical pairs with at least one fresh clipping: each fresh clipping against the
    clippings of its outlet within the window either side (the rest was compared before)."""
    found: dict[tuple[str, str], tuple[Clipping, Clipping]] = {}
    # Days either side, one more for times of day in other zones; the exact window is checked
    # on the few clippings this leaves (the busiest outlet has thousands).
    reach = window.days + 1
    for group in by_source.values():
        mine = [c for c in group if c.path in fresh]
        for c in mine:
            when, key, day = date_key(c.date), _headline_key(c.title), c.day
            la, ca = len(key), _char_counts(key)
            matcher = None
            for other in group:
                if abs((other.day - day).days) > reach or other.path == c.path \
                        or abs(date_key(other.date) - when) > window:
                    continue
                older, newer = (other, c) if other.sort_key < c.sort_key else (c, other)
                if (older.path, newer.path) in found:
                    continue
                # The bounds of near_duplicate_pairs first: most pairs fail them.
                okey = _headline_key(other.title)
                bound = ratio * (la + len(okey))
                if 2 * min(la, len(okey)) < bound \
                        or 2 * sum(map(min, ca, _char_counts(okey))) < bound:
                    continue
                if matcher is None:  # indexes the fresh headline once
                    matcher = difflib.SequenceMatcher(None, "", key, autojunk=False)
                matcher.set_seq1(okey)
                if matcher.ratio() >= ratio:
                    found[(older.path, newer.path)] = (older, newer)
    return [found[k] for k in sorted(found)]


def near_duplicates(clippings: list[Clipping], days: int = 7,
                    ratio: float = 0.9) -> list[Problem]:
    """Warnings for near-identical headlines from the same outlet within `days` of each other."""
    return near_duplicate_problems(near_duplicate_pairs(clippings, days, ratio), days)


def near_duplicate_problems(pairs: list[tuple[Clipping, Clipping]], days: int = 7) -> list[Problem]:
    problems = []
    for other, c in pairs:
        for a, b in ((c, other), (other, c)):
            problems.append(Problem(a.path, None, (
                f"near-identical headline from {c.source} within {days} days as "
                f"{b.path}: is it the same article?"), "warning"))
    return problems
