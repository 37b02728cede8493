"""The checks across files (duplicates, near-identical headlines), in a process of their own
beside the rendering when the digest is large."""

from __future__ import annotations

import json
from typing import Callable

from digest.core.across import near_duplicate_pairs
from digest.errors import Problem
from digest.workers import InChild


class CrossCheck:
    """The checks across files (duplicates, near-identical headlines): their problems and the
    near-identical pairs (as paths), computed in a forked process when `fork` is true (the
    answer comes back as JSON), else here when first asked for. If the process fails, they
    are computed here."""

    def __init__(self, compute: Callable[[], tuple[list, list[Problem]]], fork: bool):
        self._compute = compute
        self._value: tuple[list[tuple[str, str]], list[Problem]] | None = None
        self._child = InChild((compute, self._encode)) if fork else None

    @staticmethod
    def _encode(answer: tuple[list, list[Problem]]) -> str:
        near, found = answer
        return json.dumps({"near": [[a.path, b.path] for a, b in near],
                           "problems": [[x.path, x.line, x.message, x.severity]
                                        for x in found]}, ensure_ascii=False)

    @staticmethod
    def _decode(text: str) -> tuple[list[tuple[str, str]], list[Problem]]:
        data = json.loads(text)
        return [(a, b) for a, b in data["near"]], [Problem(*row) for row in data["problems"]]

    def result(self) -> tuple[list[tuple[str, str]], list[Problem]]:
        if self._value is None and self._child is not None:
            self._value = self._child.result(0, self._decode)
        if self._value is None:
            near, found = self._compute()
            self._value = ([(a.path, b.path) for a, b in near], found)
        return self._value

    def close(self) -> None:
        """Collect the child if its answer was never asked for."""
        if self._child is not None:
            self._child.close()


def near_pairs(clippings, checked, last: dict[str, str], stored: list[list[str]]) -> list:
    """Near-identical headlines: the last build's pairs (`stored`: rel, sha256, rel, sha256)
    whose clippings are unchanged since it (`last`: rel → sha256), and new pairs with a
    clipping added or edited since (all pairs on a first build)."""
    if not last:
        return near_duplicate_pairs(clippings)
    current, fresh = {}, set()
    for c in clippings:
        item = checked[c.path]
        current[item.rel] = (item.sha256, c)
        if last.get(item.rel) != item.sha256:
            fresh.add(c.path)
    pairs = []
    for rel_a, sha_a, rel_b, sha_b in stored:
        a, b = current.get(rel_a), current.get(rel_b)
        if a and b and a[0] == sha_a and b[0] == sha_b and a[1].path not in fresh \
                and b[1].path not in fresh:
            pairs.append((a[1], b[1]))
    return pairs + near_duplicate_pairs(clippings, fresh=fresh)
