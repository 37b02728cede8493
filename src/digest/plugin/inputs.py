"""The hand-offs between `digest build` and the generator: frozen inputs in, a result back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Protocol

from digest.core.index import DigestIndex
from digest.core.notes import Notes
from digest.core.weeks import Intro
from digest.incremental.plan import BuildPlan
from digest.incremental.records import Checked


class Memory(Protocol):
    """What the generator may read of the last builds (the store), and the one thing it
    records there: where the rows of the data files it wrote are."""

    def summary(self, item: Checked) -> str: ...

    def load_summaries(self, items: Iterable[Checked]) -> None: ...

    def html(self, sha: str, rel: str) -> str: ...

    def data_rows(self, keys: Iterable[tuple[str, str]] | None = None
                  ) -> dict[tuple[str, str], tuple[bytes, bytes]]: ...

    def data_layout(self) -> dict[str, Any] | None: ...

    def save_data_layout(self, layout: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class RenderInput:
    """Everything the generator renders from, made by the build's check and plan phases."""

    checked: Mapping[str, Checked]  # by clipping path
    index: DigestIndex
    plan: BuildPlan
    memory: Memory | None = None
    # Work to run in the process that writes the data files, beside the pages (the build's
    # snapshot): each is called once, there or, without such a process, here.
    beside: tuple[Callable[[], None], ...] = ()
    jobs: int | None = None  # processes for page writing (None: one per core, up to 8)
    notes: Notes = field(default_factory=Notes)  # the editors' notes on months
    intros: Mapping[str, Intro] = field(default_factory=dict)  # the weeks' introductions
    issued: Mapping[str, Mapping] = field(default_factory=dict)  # the last publish's issues
    now: datetime | None = None  # the build's clock (which weeks have ended), aware
    email: EmailRequest | None = None  # (`digest weekly`)


@dataclass(frozen=True)
class EmailRequest:
    """`digest weekly`: render this week's issue as an email into `folder`, and nothing else."""

    week: str
    folder: str


@dataclass
class RenderResult:
    """What the generator wrote: every file of the site (kept ones included) with its
    signature and owner, the clipping pages, how many pages it rendered."""

    files: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    article_pages: dict[str, str] = field(default_factory=dict)  # clipping path → its page
    rendered: int = 0
    email: dict[str, Any] = field(default_factory=dict)  # what `digest weekly` wrote
    warnings: list[Any] = field(default_factory=list)  # (Problems) for the build's report


class RenderSession:
    """One build's render: its input, and the result the generator leaves."""

    def __init__(self, inputs: RenderInput) -> None:
        self.inputs = inputs
        self.result: RenderResult | None = None
