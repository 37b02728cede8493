"""The theme's templates compiled once a build, early, into a cache held in memory only.

Pelican makes a Jinja environment per generator, each compiling the templates it uses
(0.12–0.2 s a build). The build compiles the theme's templates while its reading process
hashes the clipping files (`Build.run`), with an environment made as Pelican makes its
generators', into a bytecode cache every generator of that build shares. The cache lives
in this process's memory and goes with it: nothing a build keeps on disk is code.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2 import FileSystemLoader
from pelican.generators import Generator

from digest.plugin.view import href


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates by Jinja's bucket key, checked against the source's checksum."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


def compile_theme(settings: dict[str, Any]) -> None:
    """Give the build's settings a `CompiledTemplates` cache and fill it with every
    template of the theme; a template that does not compile is left for the render phase
    to report."""
    cache = CompiledTemplates()
    settings["JINJA_ENVIRONMENT"] = dict(settings.get("JINJA_ENVIRONMENT") or {},
                                         bytecode_cache=cache)
    generator = Generator(context={}, settings=settings, path=settings["PATH"],
                          theme=settings["THEME"], output_path=settings["OUTPUT_PATH"])
    generator.env.filters["href"] = href  # (as plugin.add_filters gives every generator)
    theme = FileSystemLoader(f"{settings['THEME']}/templates")
    for name in theme.list_templates():
        if name.endswith(".html"):
            try:
                generator.env.get_template(name)
            except jinja2.TemplateError:
                pass
