"""The only code that remembers a build: fingerprints, the store, the snapshot, the list of
output files, and the plan of what to render. It alone reads and writes `.digest-cache/`."""

from __future__ import annotations

from pathlib import Path

from digest.errors import BuildError, UsageError

CACHE_FILE = ".digest-cache/build.sqlite"  # below the project's root
ALWAYS = "*"  # the signature of a file rendered on every build (home, indexes, data files)


def listing_owner(kind: str, slug: str) -> str:
    """The owner of a listing's files (its pages, month and day pages, feed): `country/kyrgyzstan`."""
    return f"{kind}/{slug}"


def hold_lock(root: Path, shown: str = ".digest-cache"):
    """Hold the project's build lock (in `.digest-cache/`): two builds at once would write
    over each other. Returns the open lock file, to close when the build ends."""
    path = root / CACHE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path.with_name("build.lock"), "a+")
    except OSError as exc:
        raise BuildError(f"{shown}: it cannot be written ({exc.strerror}): make {shown} "
                         "writable (or remove it) and build again (nothing was built: "
                         "output/ is as it was)") from None
    try:
        import fcntl  # (not on every system)

        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:  # no advisory locks on this system: nothing to hold
        pass
    except OSError:
        fh.close()
        raise UsageError("another `digest build` (or serve, or publish) is building this "
                         "project: wait for it to finish") from None
    return fh
