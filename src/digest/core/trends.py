"""How a country's or a pair's months compare: each month's count against the three months
before it, as an arrow with words (more, fewer, about the same), with the editors' notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from digest.core.model import Clipping

BEFORE = 3  # months a month is compared with

ARROWS = {"up": ("\u2191", "more"), "down": ("\u2193", "fewer"), "same": ("\u2192", "about the same")}


@dataclass(frozen=True)
class Thresholds:
    """When a month counts as a rise or a fall: at least `rise` times the monthly average of
    the three months before (and at least `least` clippings), or at most `fall` times it
    (from an average of at least `least`)."""

    rise: float = 1.5
    fall: float = 0.67
    least: int = 3


@dataclass(frozen=True)
class TrendRow:
    """One month of a trend table."""

    month: str  # YYYY/MM
    count: int
    before: float  # the monthly average of the three months before
    direction: str  # "up", "down" or "same"
    note: str | None = None

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction][0]

    @property
    def words(self) -> str:
        return ARROWS[self.direction][1]

    @property
    def before_text(self) -> str:
        """The average as a reader reads it: `2`, `2.3`."""
        text = f"{self.before:.1f}"
        return text[:-2] if text.endswith(".0") else text


def months_back(newest: str, n: int) -> list[str]:
    """`n` months from `newest` (`YYYY/MM`) back, newest first."""
    y, m = int(newest[:4]), int(newest[5:])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}/{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def month_counts(newest_first: Iterable[Clipping], oldest: str) -> dict[str, int]:
    """Clippings per month, of the months from `oldest` on (reading only those: a clipping's
    month is known without reading it)."""
    counts: dict[str, int] = {}
    for c in newest_first:
        month = c.month
        if month < oldest:
            break
        counts[month] = counts.get(month, 0) + 1
    return counts


def direction(count: int, before: float, t: Thresholds) -> str:
    if count >= t.least and count > before and count >= before * t.rise:
        return "up"
    if before >= t.least and count <= before * t.fall:
        return "down"
    return "same"


def trend(newest_first: Iterable[Clipping], anchor: str, months: int, t: Thresholds,
          notes: Mapping[str, str] | None = None) -> list[TrendRow]:
    """The `months` months to `anchor` (the digest's newest month), newest first, each
    against the three months before it."""
    span = months_back(anchor, months + BEFORE)
    counts = month_counts(newest_first, span[-1])
    notes = notes or {}
    rows = []
    for i, month in enumerate(span[:months]):
        n = counts.get(month, 0)
        before = sum(counts.get(m, 0) for m in span[i + 1:i + 1 + BEFORE]) / BEFORE
        rows.append(TrendRow(month, n, before, direction(n, before, t), notes.get(month)))
    return rows
