"""Pelican's settings for a build: the project's file, then the digest's overrides and checks."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from digest.errors import UsageError
from digest.project import Project

# `digest build` imports this module before it forks its reading process: Pelican and the
# plugin (which imports Pelican) are imported where they are used, after the fork.

# Pelican's own page types and feeds that the digest replaces with linear-cost versions (its
# term pages scan every article per term) or does not publish (author pages).
PELICAN_OFF: dict[str, Any] = {
    "CATEGORY_SAVE_AS": "", "TAG_SAVE_AS": "", "AUTHOR_SAVE_AS": "", "ARCHIVES_SAVE_AS": "",
    "YEAR_ARCHIVE_SAVE_AS": "", "MONTH_ARCHIVE_SAVE_AS": "", "DAY_ARCHIVE_SAVE_AS": "",
    "DRAFT_SAVE_AS": "", "DRAFT_PAGE_SAVE_AS": "", "AUTHORS_SAVE_AS": "", "TAGS_SAVE_AS": "",
    "DIRECT_TEMPLATES": [], "PAGINATED_TEMPLATES": {}, "USE_FOLDER_AS_CATEGORY": False,
    "FEED_ATOM": None, "FEED_RSS": None, "FEED_ALL_ATOM": None, "FEED_ALL_RSS": None,
    "CATEGORY_FEED_ATOM": None, "CATEGORY_FEED_RSS": None, "AUTHOR_FEED_ATOM": None,
    "AUTHOR_FEED_RSS": None, "TAG_FEED_ATOM": None, "TAG_FEED_RSS": None,
    "TRANSLATION_FEED_ATOM": None, "TRANSLATION_FEED_RSS": None,
    "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False, "DELETE_OUTPUT_DIRECTORY": False,
    "OUTPUT_SOURCES": False, "ARTICLE_PATHS": [],
    "PAGE_PATHS": ["pages"], "READERS": {"html": None, "htm": None, "rst": None},
    "ARTICLE_LANG_SAVE_AS": "", "PAGE_LANG_SAVE_AS": "", "ARTICLE_TRANSLATION_ID": None,
    "PAGE_TRANSLATION_ID": None,
}


_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^localhost$"
                   r"|^127(?:\.\d{1,3}){3}$")
_PATH = re.compile(r"^(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


def siteurl_problem(value: str, production: bool) -> str | None:
    """Why SITEURL cannot be the site's address, or None: an absolute https:// address (an
    http:// one, or none, outside production) of a host and an optional path, without a
    trailing slash, a query, spaces, quotes or markup (every page and feed carries it)."""
    if not value:
        return ("SITEURL must be the published https:// address without a trailing slash "
                "(set it there or in DIGEST_SITEURL), not ''") if production else None
    shown = repr(value)
    if any(ch.isspace() or ch in "\"'<>\\`{}|^" or ord(ch) < 32 for ch in value):
        return (f"SITEURL {shown} holds spaces, quotes or markup: write the bare address, "
                "such as https://example.org/digest")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in (("https",) if production else ("https", "http")):
        return (f"SITEURL must be the published https:// address without a trailing slash "
                f"(set it there or in DIGEST_SITEURL), not {shown}")
    host, slash, path = rest.partition("/")
    path = slash + path
    if value.endswith("/"):
        return (f"SITEURL must be the published https:// address without a trailing slash "
                f"(set it there or in DIGEST_SITEURL), not {shown}")
    if not _HOST.match(host.lower().split(":")[0]) or not _PATH.match(path) or "?" in value \
            or "#" in value:
        return (f"SITEURL {shown} is not an address of a host and a path: write it as "
                "https://example.org or https://example.org/digest")
    return None


def pelican_settings(project: Project, output: Path, production: bool = False) -> dict[str, Any]:
    """Pelican's settings for a build: the project's file, then the digest's safety overrides."""
    from pelican.settings import get_settings_from_file, read_settings

    conf = project.publish_settings_file if production else project.settings_file
    if not conf.is_file():
        raise UsageError(f"{project.display(conf)} is missing")
    cwd = Path.cwd()
    try:
        os.chdir(project.root)  # Pelican resolves relative paths in settings from here
        # publishconf.py imports pelicanconf: that of this project, not one imported before
        # in this process (`digest serve`, tests) nor one found first on the path
        sys.modules.pop("pelicanconf", None)
        sys.path.insert(0, str(project.root))
        settings = dict(read_settings(str(conf), override=dict(PELICAN_OFF)))
        # Pelican silently drops a trailing slash from SITEURL; production must not guess.
        raw_siteurl = get_settings_from_file(str(conf)).get("SITEURL", "")
    except Exception as exc:  # the settings file is user code: report, do not crash
        raise UsageError(f"{project.display(conf)} could not be read: {exc}") from None
    finally:
        if str(project.root) in sys.path:
            sys.path.remove(str(project.root))
        sys.modules.pop("pelicanconf", None)
        os.chdir(cwd)
    problem = siteurl_problem(str(raw_siteurl or ""), production)
    if problem:
        raise UsageError(f"{conf.name}: {problem}")
    if production:
        if settings.get("RELATIVE_URLS"):
            raise UsageError(f"{conf.name}: RELATIVE_URLS must be False for production")
        cname = str(settings.get("DIGEST_CNAME") or "")
        if cname and not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z]{2,63}", cname):
            raise UsageError(f"{conf.name}: DIGEST_CNAME {cname!r} is not a domain name")
    theme = Path(project.root, settings.get("THEME") or "theme")
    if not (theme / "templates").is_dir():
        raise UsageError(f"{conf.name}: THEME = {settings.get('THEME')!r} is not a theme "
                         "folder (it needs templates/)")
    jinja = dict(settings.get("JINJA_ENVIRONMENT") or {})
    jinja["autoescape"] = True  # never off: metadata is untrusted text
    plugins = [p for p in settings.get("PLUGINS") or [] if p not in ("digest.plugin",)]
    # Clippings are read, checked and rendered by `digest build` (keyed by content hash, on
    # every core) and their pages written by the digest's generator with Pelican's pattern;
    # Pelican itself reads only the pages and writes no article.
    settings["DIGEST_ARTICLE_SAVE_AS"] = settings.get("ARTICLE_SAVE_AS") or \
        "{date:%Y}/{date:%m}/{slug}/index.html"
    settings.update(PELICAN_OFF)
    settings["ARTICLE_SAVE_AS"] = ""
    settings.pop("AUTHOR", None)  # a site-wide author would make Pelican build author lists
    settings.update({
        "PATH": str(project.content), "OUTPUT_PATH": str(output), "THEME": str(theme),
        "JINJA_ENVIRONMENT": jinja, "PLUGINS": ["digest.plugin", *plugins],
        "PLUGIN_PATHS": settings.get("PLUGIN_PATHS") or [],
    })
    return settings


def release_settings(settings: dict[str, Any]) -> dict[str, str]:
    """What comparing with the last publish needs of the settings (see release.py)."""
    from digest.core.urls import DEFAULT_PATTERN
    from digest.plugin.settings import DEFAULTS

    data = settings.get("DIGEST_DATA_SAVE_AS", DEFAULTS["DIGEST_DATA_SAVE_AS"])
    return {"pattern": settings.get("ARTICLE_URL") or DEFAULT_PATTERN,
            "lang": settings.get("DEFAULT_LANG", "en"), "data": data or ""}
