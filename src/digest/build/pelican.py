"""The render phase: Pelican run strictly with this build's generator, every warning a failure."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from pelican import Pelican
from pelican.generators import ArticlesGenerator

from digest.errors import BuildError, Problem
from digest.plugin import connected
from digest.plugin.inputs import RenderInput, RenderResult, RenderSession
from digest.project import Project


class _Collector(logging.Handler):
    """Collects every warning and error Pelican logs; any one fails the build."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _Articles(ArticlesGenerator):
    """Pelican's article generator, writing nothing: the digest's generator writes every
    clipping page, listing and feed, and `PELICAN_OFF` turns Pelican's own off (left to
    run, it would still compile four templates of its default theme each build)."""

    def generate_output(self, writer) -> None:
        pass


class _Pelican(Pelican):
    def _get_generator_classes(self):
        return [_Articles if cls is ArticlesGenerator else cls
                for cls in super()._get_generator_classes()]


def render_phase(project: Project, stage: Path, settings: dict[str, Any],
                 inputs: RenderInput) -> RenderResult:
    """Run Pelican (the site's pages, the theme's static files) with the digest's generator
    into `stage`; raises BuildError for anything Pelican logged or any clipping without its
    page."""
    settings = dict(settings, OUTPUT_PATH=str(stage))
    session = RenderSession(inputs)
    collector = _Collector()
    pelican_logger = logging.getLogger("pelican")
    pelican_logger.addHandler(collector)
    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        with connected(session), contextlib.redirect_stdout(io.StringIO()):
            _Pelican(settings).run()  # (it prints its own summary)
    except (BuildError, sqlite3.DatabaseError, OSError):  # (the build says what they mean)
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
    result = session.result
    if result is None:
        raise BuildError(f"{len(inputs.checked)} clippings checked but the digest's generator "
                         "did not run: nothing was published")
    if inputs.email is None:  # (an email writes no page)
        _every_clipping_has_its_page(inputs, result, stage)
    return result


def _every_clipping_has_its_page(inputs: RenderInput, result: RenderResult,
                                 stage: Path) -> None:
    """Every clipping must have its page (or keep the last build's)."""
    missing = []
    full = inputs.plan.full
    for c in inputs.index.clippings:
        page = result.article_pages.get(c.path)
        if page is None or page not in result.files or (full and not (stage / page).is_file()):
            missing.append(Problem(c.path, None, f"no page was written at {page}"))
    if missing:
        raise BuildError(f"{len(missing)} clipping(s) have no page: nothing was published",
                         missing[:20])


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
