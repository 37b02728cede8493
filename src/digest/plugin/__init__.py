"""The Pelican adapter: `register()` connects the clipping reader and the digest generator."""

from __future__ import annotations

from pelican import signals

from digest.plugin.generator import DigestGenerator
from digest.plugin.reader import ClippingReader
from digest.plugin.templates import use_cache
from digest.plugin.view import href


def add_reader(readers) -> None:
    """Read `.md` with the digest's reader; Pelican's HTML and reST readers are switched off."""
    readers.reader_classes["md"] = ClippingReader
    readers.reader_classes["markdown"] = ClippingReader
    for ext in ("html", "htm", "rst"):
        readers.reader_classes.pop(ext, None)


def get_generators(pelican_object):
    """The digest's generator, run after Pelican's articles and pages generators."""
    return DigestGenerator


def add_filters(generator) -> None:
    """The theme's filters, in every generator's Jinja environment, and the store's compiled
    templates when `digest build` runs Pelican."""
    generator.env.filters["href"] = href
    inp = generator.settings.get("DIGEST_INPUT")
    if inp is not None and inp.templates is not None:
        use_cache(generator.env, inp.templates)


def register() -> None:
    """Connect the plugin's module-level functions to Pelican's signals."""
    signals.readers_init.connect(add_reader)
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_filters)
