#!/usr/bin/env python3
"""Generate a deterministic digest of N clippings for benchmarks: `gen_corpus.py N OUT`.

The shape can be changed to that of another benchmark: `--outlets 60` (a third of them not in the
registry: those are written to the project's data/sources.yml, as a digest with outlets of its
own has them), `--authors 250` (an author on each clipping), `--regions` (a third name 1–2
regions), `--paragraphs 3` (1 to that many paragraphs of 150–400 words each, instead of
150–400 words in all).

The distribution follows the performance issue: each clipping names 1–5 of 40 countries with a
skew (a few countries dominate, as Kyrgyzstan and Tajikistan do), one of the registry's outlets
(24; the issue's 60 counts outlets the registry does not know), one of 4 categories, dates
spread over two years, and 150–400 words of body. OUT becomes a digest project (pelicanconf.py,
theme, content/clippings/YYYY/MM/<slug>.md); `--pelican OUT2` also writes the same corpus as a
plain Pelican site (Key: value metadata, tags standing in for countries, pairs and sources).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from digest.core.gazetteer import load_gazetteer  # noqa: E402
from digest.core.model import headline_slug, slugify  # noqa: E402
from digest.core.registry import load_registry  # noqa: E402

COUNTRY_CODES = ("KG TJ UZ KZ TM AF RU CN IR PK IN TR AZ AM GE UA BY MN US GB DE FR JP KR "
                 "SA AE QA IL SY IQ PL LT LV EE MD RO HU RS BA XK").split()
CATEGORIES = ("News", "Analysis", "Opinion", "Interview")
TOPICS = ("Defense", "Water", "Borders", "Energy", "Migration", "Trade", "Elections", "Terrorism")
WORDS = ("border talks troops water dispute ceasefire villagers officials ministry security "
         "agreement delegation conflict region frontier drills cooperation pipeline energy "
         "trade sanctions election protest refugees militants garrison customs checkpoint "
         "negotiations summit president parliament army exercise enclave canal reservoir "
         "road bridge shelling casualties mediation treaty alliance base airfield").split()


FIRST = ("Aziz Bakyt Dilnoza Elena Farrukh Gulnara Ivan Jamshid Kamila Leila Marat Nodira "
         "Oleg Parviz Rustam Saida Timur Umida Viktor Zarina Anna Bruce Claire Daniel").split()
LAST = ("Akhmedov Bekova Chen Davletov Ergashev Fedorova Grant Hasanov Isakova Jones Karimov "
        "Lebedev Mirzoev Nazarova Orlov Petrova Quinn Rahimov Saidov Turgunov").split()


def extra_outlets(count: int) -> list[str]:
    """The outlets of a corpus of `count` outlets that the registry does not know: a third
    of them (the rest are the registry's)."""
    known = [s.name for s in load_registry().sources]
    return [f"Regional Monitor {i}" for i in range(1, count - min(len(known), 2 * count // 3) + 1)]


def make(n: int, seed: int = 20240501, outlets_n: int = 0, authors_n: int = 0,
         regions: bool = False, paragraphs: int = 0):
    """Yield (relative path, front matter lines, body, pelican metadata) for N clippings."""
    rng = random.Random(seed)
    gz = load_gazetteer()
    countries = [gz.by_code[c] for c in COUNTRY_CODES]
    weights = [1 / (i + 1) ** 0.9 for i in range(len(countries))]
    outlets = [s.name for s in load_registry().sources]
    if outlets_n:
        more = extra_outlets(outlets_n)
        outlets = outlets[:outlets_n - len(more)] + more
    # (busy outlets first, as the registry lists them; the unknown ones are the quieter)
    outlet_weights = [1 / (i + 1) ** (0.7 if outlets_n else 2.5) for i in range(len(outlets))]
    people = [f"{FIRST[i % len(FIRST)]} {LAST[(i * 7 + i // len(FIRST)) % len(LAST)]}"
              + (f" {i // (len(FIRST) * len(LAST))}" if i >= len(FIRST) * len(LAST) else "")
              for i in range(authors_n)]
    author_weights = [1 / (i + 1) ** 0.8 for i in range(len(people))]
    places = [r.name for r in gz.regions][:12]
    start = dt.date(2022, 1, 1)
    taken: set[str] = set()
    for i in range(n):
        k = rng.choices((1, 2, 3, 4, 5), (10, 40, 30, 15, 5))[0]
        chosen: list = []
        while len(chosen) < k:
            c = rng.choices(countries, weights)[0]
            if c not in chosen:
                chosen.append(c)
        day = start + dt.timedelta(days=int(730 * i / max(n, 1)) + rng.randint(0, 2))
        day = min(day, start + dt.timedelta(days=729))
        count = sum(rng.randint(150, 400) for _ in range(rng.randint(1, paragraphs))) \
            if paragraphs else rng.randint(150, 400)
        words = [rng.choice(WORDS) for _ in range(count)]
        title = " ".join(w.capitalize() for w in words[:rng.randint(5, 11)])
        slug = headline_slug(f"{title} {i}")  # as `digest new` and the importers name files
        if slug in taken:
            slug = f"{slug[:50]}-{i}"
        taken.add(slug)
        paras = [" ".join(words[j:j + 60]).capitalize() + "." for j in range(0, len(words), 60)]
        body = "\n\n".join(paras)
        outlet = rng.choices(outlets, outlet_weights)[0] if outlets_n else \
            outlets[int(rng.paretovariate(1.2)) % len(outlets)]
        category = rng.choice(CATEGORIES)
        topics = rng.sample(TOPICS, rng.randint(0, 2))
        rel = f"{day.year:04d}/{day.month:02d}/{slug}.md"
        fm = [f"title: {title}", f"date: {day.isoformat()}", f"category: {category}",
              f"countries: [{', '.join(c.name for c in chosen)}]"]
        if regions and places and i % 3 == 0:
            fm.append(f"regions: [{', '.join(rng.sample(places, rng.randint(1, 2)))}]")
        if topics:
            fm.append(f"topics: [{', '.join(topics)}]")
        if people:
            fm.append(f"author: {rng.choices(people, author_weights)[0]}")
        fm += [f"source: {outlet}", f"source_url: https://example.org/{day:%Y/%m/%d}/{slug}"]
        ordered = sorted(chosen, key=lambda c: c.slug)
        tags = [c.slug for c in chosen] + [f"{a.slug}-{b.slug}" for a, b in combinations(ordered, 2)]
        tags += [slugify(outlet)] + [slugify(t) for t in topics]
        pelican_meta = [f"Title: {title}", f"Date: {day.isoformat()}", f"Category: {category}",
                        f"Tags: {', '.join(tags)}", f"Slug: {slug}"]
        yield rel, fm, body, pelican_meta


DIGEST_CONF = '''SITENAME = "Benchmark Digest"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME = "theme"
RELATIVE_URLS = True
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
'''

PELICAN_CONF = '''SITENAME = "Benchmark Digest"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
PATH = "content"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = 10
'''


def write(n: int, out: Path, pelican_out: Path | None = None, **shape) -> None:
    """Write the digest project (and optionally the plain Pelican site); `shape`: the
    options of `make`."""
    clippings = out / "content" / "clippings"
    clippings.mkdir(parents=True, exist_ok=True)
    more = extra_outlets(shape.get("outlets_n") or 0)
    if more:
        (out / "data").mkdir(exist_ok=True)
        (out / "data" / "sources.yml").write_text("".join(
            f"- name: {name}\n  kind: news site\n" for name in more), encoding="utf-8")
    (out / "pelicanconf.py").write_text(DIGEST_CONF)
    if not (out / "theme").exists():
        shutil.copytree(REPO / "theme", out / "theme")
    if pelican_out:
        (pelican_out / "content").mkdir(parents=True, exist_ok=True)
        (pelican_out / "pelicanconf.py").write_text(PELICAN_CONF)
    for rel, fm, body, meta in make(n, **shape):
        path = clippings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + "\n".join(fm) + "\n---\n\n" + body + "\n", encoding="utf-8")
        if pelican_out:
            p = pelican_out / "content" / rel.replace("/", "-")
            p.write_text("\n".join(meta) + "\n\n" + body + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--pelican", type=Path, help="also write a plain Pelican site here")
    parser.add_argument("--outlets", type=int, default=0, help="outlets in all (default: the "
                        "registry's)")
    parser.add_argument("--authors", type=int, default=0, help="authors (default: none)")
    parser.add_argument("--regions", action="store_true", help="a third name regions")
    parser.add_argument("--paragraphs", type=int, default=0,
                        help="1 to this many paragraphs of 150-400 words")
    args = parser.parse_args()
    write(args.n, args.out, args.pelican, outlets_n=args.outlets, authors_n=args.authors,
          regions=args.regions, paragraphs=args.paragraphs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
