"""The web editor's configuration (Decap CMS's `config.yml`), made from the clipping schema,
the gazetteer, the registry and the categories in use: never written by hand, so a form
can only save what `digest check` accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from digest.core.gazetteer import Gazetteer
from digest.core.languages import _USUAL
from digest.core.registry import Registry
from digest.core.schema import _DOMAIN, FIELDS, MAX_SUMMARY, MAX_TEXT, MAX_TITLE, SPECS

CLIPPINGS = "content/clippings"
PAGES = "content/pages"
# A one-line text: no control, format or line-separator character (what `_text_problem`
# refuses), no `<` or `>` where a name is meant.
_LINE = r"[^\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
_NAME = r"[^<>\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
# An http(s) address with a host that has a dot, and no space or control character.
URL_PATTERN = r"^(?=.{1,2000}$)https?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?#][^\s\u0000-\u001f\u007f-\u009f]*)?$"


DOMAIN_PATTERN = _DOMAIN.pattern  # (source_site's own rule)
CATEGORIES_FILE = "data/categories.yml"  # the categories an editor may add in the editor


def _text(limit: int, name: bool = False) -> list[str]:
    chars = _NAME if name else _LINE
    return [f"^(?=.*\\S){chars}{{1,{limit}}}$",
            f"one line of at most {limit} characters" + (", without < or >" if name else "")]


def _field(name: str, label: str, widget: str, **options: Any) -> dict[str, Any]:
    spec = SPECS.get(name)
    out: dict[str, Any] = {"name": name, "label": label, "widget": widget}
    if spec is not None:
        out["required"] = spec.required
        out["hint"] = spec.help[0].upper() + spec.help[1:] + "."
    out.update(options)
    return out


def clipping_fields(gazetteer: Gazetteer, registry: Registry, categories: Iterable[str],
                    today: dt.date) -> list[dict[str, Any]]:
    """The fields of a clipping's form, in the schema's order, each with its widget and rules."""
    countries = [c.name for c in gazetteer.countries]
    regions = [r.name for r in gazetteer.regions]
    outlets = sorted({s.name for s in registry.sources}, key=str.casefold)
    kinds = sorted(set(categories) | {"Analysis", "News"}, key=str.casefold)
    years = "|".join(str(y) for y in range(1900, today.year + 1))
    fields = {
        "title": _field("title", "Title", "string", pattern=_text(MAX_TITLE)),
        "date": _field("date", "Date of the original", "datetime", date_format="YYYY-MM-DD",
                       time_format=False, picker_utc=True, format="YYYY-MM-DD",
                       default="{{now}}",
                       pattern=[f"^(?:{years})-\\d{{2}}-\\d{{2}}$",
                                "a date as 2021-04-30, not after today"]),
        "category": _field("category", "Category", "select", options=kinds),
        "countries": _field("countries", "Countries", "select", multiple=True, min=1,
                            options=countries),
        "regions": _field("regions", "Regions", "select", multiple=True, options=regions),
        "topics": _field("topics", "Topics", "list", allow_add=True,
                         field={"name": "topic", "label": "Topic", "widget": "string",
                                "pattern": [f"^(?=.*[A-Za-z0-9]){_NAME}{{1,{MAX_TEXT}}}$",
                                            "a label of at most 200 characters, with a "
                                            "letter or digit, without < or >"]}),
        "source": _field("source", "Outlet", "select", options=outlets),
        "author": _field("author", "Author", "string", pattern=_text(MAX_TEXT, name=True)),
        "author_role": _field("author_role", "Author's role", "string",
                              pattern=_text(MAX_TEXT, name=True)),
        "source_url": _field("source_url", "Address of the original", "string",
                             pattern=[URL_PATTERN, "a full address, as https://www.rferl.org/a/"
                                      "kyrgyzstan-tajikistan/31234567.html"]),
        "source_site": _field("source_site", "The original's site", "string", pattern=[
            DOMAIN_PATTERN, "a domain in lower case, as rferl.org"]),
        "source_title": _field("source_title", "The original's headline", "string",
                               pattern=_text(MAX_TITLE)),
        "lang": _field("lang", "Language of the original", "select",
                       options=[{"label": f"{name} ({code})", "value": code}
                                for code, name in sorted(_USUAL.items(),
                                                         key=lambda kv: kv[1])]),
        "summary": _field("summary", "Summary", "text", pattern=[
            f"^(?=.*\\S){_LINE}{{1,{MAX_SUMMARY}}}$",
            f"plain text on one line, at most {MAX_SUMMARY} characters"]),
    }
    out = [fields[f.name] for f in FIELDS if f.name in fields]
    out.append({"name": "body", "label": "Excerpt", "widget": "markdown", "required": True,
                "buttons": ["bold", "italic", "link", "quote", "bulleted-list",
                            "numbered-list"],
                "editor_components": [], "modes": ["rich_text", "raw"],
                "hint": "The passage quoted from the original, as Markdown."})
    return out


def cms_config(gazetteer: Gazetteer, registry: Registry, categories: Iterable[str],
               repo: str, branch: str, site_url: str, today: dt.date,
               auth_url: str = "") -> dict[str, Any]:
    """Decap CMS's configuration for this digest: the GitHub backend (signing in through the
    OAuth service at `auth_url`; the local proxy on 127.0.0.1 when the editor is opened
    there), clippings and pages."""
    return {
        # (GraphQL: a folder's entries in a few requests, not one per file)
        "backend": {"name": "github", "repo": repo, "branch": branch, "use_graphql": True,
                    **({"base_url": auth_url} if auth_url else {}),
                    "commit_messages": {"create": "Add the clipping {{slug}}",
                                        "update": "Edit the clipping {{slug}}",
                                        "delete": "Remove the clipping {{slug}}"}},
        "local_backend": {"url": "http://127.0.0.1:8081/api/v1",
                          "allowed_hosts": ["127.0.0.1", "localhost"]},
        **({"site_url": site_url, "display_url": site_url} if site_url else {}),
        "media_folder": "content/images",
        "public_folder": "{static}/images",
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [
            {"name": "clippings", "label": "Clippings", "label_singular": "Clipping",
             "folder": CLIPPINGS, "create": True, "delete": True, "extension": "md",
             "format": "yaml-frontmatter",
             "path": "{{year}}/{{month}}/{{slug}}",
             "slug": "{{title | truncate(60, '')}}",
             "summary": "{{date}} · {{title}}",
             "sortable_fields": ["date", "title", "source"],
             "view_groups": [{"label": "Year", "field": "date",
                                                  "pattern": r"\d{4}"}],
             "fields": clipping_fields(gazetteer, registry, categories, today)},
            {"name": "lists", "label": "Lists", "editor": {"preview": False}, "files": [
                {"name": "categories", "label": "Categories", "file": CATEGORIES_FILE,
                 "format": "yaml", "fields": [
                     {"name": "categories", "label": "Categories", "widget": "list",
                      "hint": "Categories to choose from besides those in use (a new one "
                              "appears in the clipping form after the next publish).",
                      "field": {"name": "category", "label": "Category",
                                "widget": "string", "pattern": _text(60, name=True)}}]}]},
            {"name": "pages", "label": "Pages", "label_singular": "Page", "folder": PAGES,
             "create": True, "extension": "md", "format": "yaml-frontmatter",
             "slug": "{{title | truncate(60, '')}}",
             "fields": [{"name": "title", "label": "Title", "widget": "string",
                         "pattern": _text(MAX_TITLE)},
                        {"name": "body", "label": "Text", "widget": "markdown"}]},
        ],
    }
