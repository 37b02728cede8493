"""The render phase: Pelican run strictly with the digest's generator, every warning a failure."""

from __future__ import annotations

import contextlib
import io
import logging
import os
from pathlib import Path
from typing import Any

from digest.build.output import scan_output
from digest.build.report import BuildReport
from digest.errors import BuildError, Problem
from digest.project import Project


class _Collector(logging.Handler):
    """Collects every warning and error Pelican logs; any one fails the build."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _run_pelican(project: Project, output: Path, settings: dict[str, Any], inp) -> BuildReport:
    import sqlite3

    from pelican import Pelican, signals

    settings = dict(settings, OUTPUT_PATH=str(output), DIGEST_INPUT=inp)
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    # Pelican's signals are process-wide: start each build with the plugin disconnected, so
    # that only its own register() (called by Pelican for this build) connects it.
    from digest.plugin import add_reader, get_generators

    signals.readers_init.disconnect(add_reader)
    signals.get_generators.disconnect(get_generators)
    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        with contextlib.redirect_stdout(io.StringIO()):  # Pelican prints its own summary
            Pelican(settings).run()
    except (BuildError, sqlite3.DatabaseError):  # (a damaged store: `build` starts afresh)
        raise
    except Exception as exc:
        raise BuildError(f"Pelican failed: {type(exc).__name__}: {exc}",
                         _problems_from(collector)) from None
    finally:
        os.chdir(cwd)
        pelican_logger.removeHandler(collector)
    problems = _problems_from(collector)
    if problems:
        raise BuildError("Pelican reported problems: nothing was published", problems)
    if inp.planned is None:  # the plugin did not run (its register() failed, say)
        raise BuildError(f"{len(inp.clippings)} clippings checked but the digest's generator "
                         "did not run: nothing was published")
    # Every clipping must have its page (or keep the last build's).
    missing = []
    for c in inp.clippings:
        page = inp.article_pages.get(c.path)
        if page is None or page not in inp.planned or (
                inp.previous is None and not (output / page).is_file()):
            missing.append(Problem(c.path, None, f"no page was written at {page}"))
    if missing:
        raise BuildError(f"{len(missing)} clipping(s) have no page: nothing was published",
                         missing[:20])
    scan_output(output, inp.planned.keys())
    return BuildReport(clippings=len(inp.clippings), rendered=inp.rendered)


def _problems_from(collector: _Collector) -> list[Problem]:
    out = []
    for record in collector.records:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            detail = getattr(exc, "problems", None)
            if detail:
                out.extend(detail)
                continue
            message = f"{message}: {type(exc).__name__}: {exc}"
        out.append(Problem("pelican", None, f"{record.levelname.lower()}: {message}"))
    return out
