"""What `digest build` hands the generator, and what the generator hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.core.model import Clipping
from digest.incremental.records import Checked
from digest.incremental.store import Store


@dataclass
class SiteInput:
    """What `digest build` hands the generator, and what the generator hands back."""

    clippings: list[Clipping] = field(default_factory=list)
    checked: dict[str, Checked] = field(default_factory=dict)  # by clipping path
    store: Store | None = None
    previous: dict[str, str] | None = None  # the last build's files → signatures; None: full
    live: Path | None = None  # where the last build's files are (incremental builds)
    changed: list[Clipping] = field(default_factory=list)  # old and new versions
    fresh: set[int] = field(default_factory=set)  # ids of the new versions among them
    planned: dict[str, str] | None = None  # filled in: every file the generator owns
    rendered: int = 0
    article_pages: dict[str, str] = field(default_factory=dict)  # clipping path → its page
    templates: Any = None  # plugin.templates.TemplateCache: compiled templates from the store
    # (Snapshot, its clippings still there by position): the index is restored from it
    restored: tuple[Any, list[Clipping | None]] | None = None
    snapshot: tuple[Path, str] | None = None  # where to write this build's, with its token
    snapshot_forked: bool = False  # filled in: whether the generator's data process wrote it
    index: Any = None  # filled in: the generator's DigestIndex
    article_save_as: Any = None  # filled in: the generator's, a clipping's page
