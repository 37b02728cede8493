"""Compiled templates kept between builds, as the Python source Jinja generates (text).

Jinja parses a template and generates Python source from it, then compiles that source. The
first two steps cost most of the time it takes to load a theme (a few tenths of a second, on
every build). Jinja's own bytecode cache stores marshalled code objects; the build store holds
only text, so the generated source is kept instead, keyed by everything the generation depends
on, and compiled again on load. Anyone who can write the store can already write the theme and
the settings file (which is Python): the source adds no new way in.
"""

from __future__ import annotations

import hashlib
from typing import Any

import jinja2

# Environment options the generated code depends on (the lexer's, the parser's, the code
# generator's); filters and tests are checked by name when code is generated.
_OPTIONS = ("block_start_string", "block_end_string", "variable_start_string",
            "variable_end_string", "comment_start_string", "comment_end_string",
            "line_statement_prefix", "line_comment_prefix", "trim_blocks", "lstrip_blocks",
            "newline_sequence", "keep_trailing_newline", "optimized", "is_async")


def environment_key(env: jinja2.Environment) -> str:
    """What, besides a template's own source, decides the code Jinja generates for it."""
    parts: list[Any] = [jinja2.__version__]
    parts += [repr(getattr(env, name, None)) for name in _OPTIONS]
    parts.append(sorted(type(ext).__module__ + "." + type(ext).__qualname__
                        for ext in env.extensions.values()))
    finalize = env.finalize
    parts.append(None if finalize is None else
                 f"{getattr(finalize, '__module__', '')}.{getattr(finalize, '__qualname__', '')}")
    parts.append(sorted(env.filters))
    parts.append(sorted(env.tests))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class TemplateCache:
    """Generated template sources by key: those the store held, and what this build added."""

    def __init__(self, known: dict[str, str] | None = None) -> None:
        self.known = dict(known or {})
        self.new: dict[str, str] = {}
        self.used: set[str] = set()


def use_cache(env: jinja2.Environment, cache: TemplateCache) -> None:
    """Compile `env`'s templates from the cache's generated sources where the key matches, and
    add to it what had to be generated (the caller stores it)."""
    generate = env.compile

    def compile_template(source, name=None, filename=None, raw=False, defer_init=False):
        if raw or defer_init or not isinstance(source, str):
            return generate(source, name, filename, raw, defer_init)
        key = hashlib.sha256("\0".join(
            (environment_key(env), name or "", filename or "", source)).encode()).hexdigest()
        python = cache.known.get(key)
        if python is None:
            python = cache.known[key] = cache.new[key] = generate(source, name, filename,
                                                                  raw=True)
        cache.used.add(key)
        return env._compile(python, filename or "<template>")

    env.compile = compile_template  # type: ignore[method-assign]
