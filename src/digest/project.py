"""Where a digest project keeps things: content, clippings, settings, theme and output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digest.errors import UsageError


@dataclass(frozen=True)
class Project:
    """A digest project rooted at `root` (the folder holding `pelicanconf.py` and `content/`)."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project containing `start` (default: the working folder), searching upwards."""
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "content").is_dir() and (folder / "pelicanconf.py").is_file():
                return cls(folder)
        raise UsageError(f"no digest project here ({here}): run the command in the folder that "
                         "holds pelicanconf.py and content/, or pass --project")

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def clippings(self) -> Path:
        return self.content / "clippings"

    @property
    def data(self) -> Path:
        """The project's own outlets and places (`sources.yml`, `places.yml`)."""
        return self.root / "data"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def settings_file(self) -> Path:
        return self.root / "pelicanconf.py"

    @property
    def publish_settings_file(self) -> Path:
        return self.root / "publishconf.py"

    def display(self, path: Path) -> str:
        """A path as the user should read it: relative to the working folder when below it."""
        try:
            return os.path.relpath(Path(path).resolve(), Path.cwd())
        except ValueError:
            return str(path)
