"""What a build did, for the one-line summary and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from digest.errors import Problem


@dataclass
class BuildReport:
    """What a build wrote, for the one-line summary."""

    clippings: int = 0
    pages: int = 0
    feeds: int = 0
    seconds: float = 0.0
    output: Path | None = None
    warnings: list[Problem] = field(default_factory=list)
    search_seconds: float = 0.0
    rendered: int = 0
    incremental: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    def summary(self) -> str:
        search = f"; search index {self.search_seconds:.1f} s" if self.search_seconds else ""
        how = f"{self.rendered} pages rendered" if self.incremental else "full build"
        return (f"built {self.clippings} clippings: {self.pages} pages, {self.feeds} feeds in "
                f"{self.seconds:.1f} s ({how}{search})")
