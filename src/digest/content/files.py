"""Finding the Markdown files below a folder: nothing but `os`, for the build's reading
process, which lists the clipping files before anything else is imported."""

from __future__ import annotations

import os
from pathlib import Path


def markdown_files(folder: Path | str) -> list[str]:
    """Every `.md` file below `folder`, sorted, as paths joined to `folder` (strings: a build
    lists tens of thousands)."""
    found = []
    for root, _dirs, files in os.walk(folder):
        base = os.path.join(root, "")
        found.extend([base + f for f in files if f[-3:].lower() == ".md"])
    return sorted(found)
