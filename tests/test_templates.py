"""Compiled templates kept in the build store as generated Python source."""

from __future__ import annotations

import jinja2

from digest.plugin.templates import TemplateCache, environment_key, use_cache
from digest.build import build
from digest.incremental.store import Store

PAGE = "{% for x in items %}<{{ x|upper }}>{% endfor %}"


def env_with(cache: TemplateCache, source: str = PAGE, **options) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": source}), **options)
    use_cache(env, cache)
    return env


def test_a_template_is_generated_once_and_renders_the_same():
    cache = TemplateCache()
    first = env_with(cache).get_template("page.html").render(items=["a", "b"])
    assert first == "<A><B>" and len(cache.new) == 1
    stored = TemplateCache(cache.known)  # what the next build reads from the store
    again = env_with(stored).get_template("page.html").render(items=["a", "b"])
    assert again == first and stored.new == {} and stored.used == set(cache.new)


def test_what_changes_the_generated_code_changes_the_key():
    cache = TemplateCache()
    env_with(cache).get_template("page.html")
    env_with(cache, PAGE.replace("upper", "lower")).get_template("page.html")
    env_with(cache, trim_blocks=True).get_template("page.html")
    env_with(cache, "{% raw %}[[x]]{% endraw %}[[ 1 ]]", variable_start_string="[[",
             variable_end_string="]]").get_template("page.html")
    assert len(cache.known) == 4
    plain = jinja2.Environment()
    with_filter = jinja2.Environment()
    with_filter.filters["href"] = str
    assert environment_key(plain) != environment_key(with_filter)


def test_a_stored_source_that_does_not_match_is_never_used():
    """The key covers the template's text: an edited template is generated afresh."""
    cache = TemplateCache()
    env_with(cache).get_template("page.html")
    cache.known = {k: "raise SystemExit('stale')" for k in cache.known}
    edited = env_with(cache, PAGE + "!").get_template("page.html")
    assert edited.render(items=["a"]) == "<A>!"


def test_builds_keep_the_theme_compiled_in_the_store(site):
    site.add("2021/04/a.md", title="A", date="2021-04-01")
    build(site.project)
    store = Store(site.root / ".digest-cache" / "build.sqlite", "any")
    try:
        kept = store.templates()
    finally:
        store.close()
    assert len(kept) >= 5 and all("def root(context" in py for py in kept.values())
    # An edited template is rendered as edited, never from the kept source.
    base = site.root / "theme" / "templates" / "base.html"
    base.write_text(base.read_text().replace("<body>", "<body>\n<!-- edited -->"))
    build(site.project)
    assert "<!-- edited -->" in site.read("2021/04/a/index.html")
