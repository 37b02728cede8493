"""`digest admin`: the digest checked (for its categories), then the web editor written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.plugin.admin import AdminReport, write_admin
from digest.project import Project


def admin_command(project: Project, out: Path | None, today: dt.date) -> AdminReport:
    """`digest admin`: check the digest (for its categories), then write the editor into
    `out` (default: output/admin/)."""
    from digest.build import few_collections
    from digest.build.output import lock
    from digest.build.settings import pelican_settings
    from digest.build.weekly import checked_digest

    with few_collections():
        held, stores, found = lock(project), [], None
        try:
            settings = pelican_settings(project, project.output)
            found, _store = checked_digest(project, settings, today, stores)
            categories = sorted({c.category for c in found.clippings})
            return write_admin(project.root, settings, categories,
                               out or project.output / "admin", today)
        finally:
            if found is not None:
                found.cross.close()
            for store in stores:
                store.close()
            held.close()
