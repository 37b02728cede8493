"""The files of one build as they are planned: each with its signature and owner, the pages
to render, and the last build's files kept as they are."""

from __future__ import annotations

import hashlib
from typing import Any

from digest.errors import DigestError
from digest.incremental.plan import ALWAYS, BuildPlan


def signature(parts: list[str]) -> str:
    """A page's signature: a hash of everything it shows."""
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def fixed_signature(index) -> str:
    """The signature of the pages that show no clipping (search, 404): the theme and the
    site's sections, which every page's menu shows (a kind with no listing is left out). A
    build that finds the last build's 404 page with another signature renders every page."""
    return signature(["fixed", *(kind for kind, groups in index.groups.items() if groups),
                      "weeks" if index.clippings else ""])


class Planner:
    """Every file of the build (`files`: name → signature, `owners`: name → owner) and the
    jobs that render those the last build did not write with the same signature."""

    def __init__(self, plan: BuildPlan) -> None:
        self.plan = plan
        self.files: dict[str, str] = {}
        self.owners: dict[str, str] = {}
        self.jobs: list[tuple] = []

    def claim(self, name: str, sig: str, owner: str = "") -> None:
        """Plan file `name`; two files of one name would silently keep one: refuse."""
        if name in self.files:
            raise DigestError(f"two files would be written to {name}: a slug or a URL "
                              "setting makes them collide")
        self.files[name] = sig
        if owner:
            self.owners[name] = owner

    def write(self, name: str, template, sig: str = ALWAYS, owner: str = "",
              force: bool = False, **kwargs: Any) -> None:
        """Plan a page: rendered unless the last build wrote it with the same signature."""
        if not name:
            return
        self.claim(name, sig, owner)
        if force or sig == ALWAYS or self.plan.signature(name) != sig:
            self.jobs.append(("page", name, template, kwargs))

    def carry(self, name: str) -> bool:
        """Keep a file of the last build as it is, if it was written and is not one of those
        rendered every time; False: it must be rendered."""
        sig = self.plan.signature(name)
        if sig is None or sig == ALWAYS:
            return False
        self.claim(name, sig, self.plan.owner(name))
        return True

    def carry_if(self, name: str, sig: str) -> bool:
        """Keep a file of the last build that it wrote with this signature; False: render it."""
        if self.plan.signature(name) != sig:
            return False
        self.claim(name, sig, self.plan.owner(name))
        return True

    def keep(self, name: str) -> None:
        """Keep a file the plan knows the last build wrote (no further checks: a clipping's
        page out of reach of every change, of which there are thousands)."""
        self.files[name] = self.plan.last.files[name]  # type: ignore[union-attr]

    def job(self, *job: Any) -> None:
        self.jobs.append(job)

    @property
    def rendered(self) -> int:
        return sum(1 for j in self.jobs if j[0] == "page")
