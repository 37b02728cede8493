"""The Pelican adapter: the page reader, the theme's filters, and the digest's generator
connected to Pelican's signals for the length of one build."""

from __future__ import annotations

import contextlib
from typing import Iterator

from pelican import signals

from digest.plugin.generator import DigestGenerator
from digest.plugin.inputs import RenderSession
from digest.plugin.reader import PageReader
from digest.plugin.view import href


def add_reader(readers) -> None:
    """Read `.md` pages with the digest's reader; Pelican's HTML and reST readers are off."""
    readers.reader_classes["md"] = PageReader
    readers.reader_classes["markdown"] = PageReader
    for ext in ("html", "htm", "rst"):
        readers.reader_classes.pop(ext, None)


def add_filters(generator) -> None:
    """The theme's filters, in every generator's Jinja environment."""
    generator.env.filters["href"] = href


@contextlib.contextmanager
def connected(session: RenderSession) -> Iterator[None]:
    """Pelican's signals connected to the reader, the filters and this build's generator, and
    disconnected afterwards (Pelican's signals are process-wide: `digest serve` builds many
    times in one process)."""
    bound = DigestGenerator.bound(session)

    def generators(pelican_object):
        return bound

    signals.readers_init.connect(add_reader)
    signals.generator_init.connect(add_filters)
    signals.get_generators.connect(generators, weak=False)
    try:
        yield
    finally:
        signals.get_generators.disconnect(generators)
        signals.generator_init.disconnect(add_filters)
        signals.readers_init.disconnect(add_reader)


def register() -> None:
    """For Pelican run on its own with this plugin: the page reader and the theme's filters
    (the digest's own pages are made by `digest build`)."""
    signals.readers_init.connect(add_reader)
    signals.generator_init.connect(add_filters)
