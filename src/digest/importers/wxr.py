"""Import a WordPress export (WXR 1.0 to 1.2): published posts become clipping drafts."""

from __future__ import annotations

import datetime as dt
import difflib
import html as html_entities
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree import ElementTree

from markdownify import markdownify

from digest.content.render import sanitize
from digest.core.gazetteer import Gazetteer, load_gazetteer
from digest.core.model import Region, headline_slug, slugify
from digest.core.registry import Registry, domain_of, load_registry
from digest.core.schema import RESERVED_SLUGS
from digest.errors import ContentError, Problem
from digest.importers import Draft
from digest.importers.text import TextImporter
from digest.importers.wphtml import arrange, footnotes_from_meta, to_markdown, wpautop

NS = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
WP_VERSIONS = ("1.2", "1.1", "1.0")
_SHORTCODE = re.compile(r"\[(\w+)([^\]]*)\](?:(.*?)\[/\1\])?", re.DOTALL)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
# Taxonomies whose terms are countries (a digest's WordPress may have one of its own).
COUNTRY_TAXONOMIES = ("country", "countries", "location", "locations", "place", "places")
_HEADLINE = re.compile(r"^(?:\([^()]+\)\s*\S|[^()]*?\S\s+[\u2013\u2014-]\s+\S).*\([^()]+\)\s*$")


@dataclass
class WxrReport:
    """What an export held besides importable posts, for the summary."""

    skipped_types: Counter = field(default_factory=Counter)
    skipped_status: Counter = field(default_factory=Counter)
    notes: list[Problem] = field(default_factory=list)


def _text(item, path: str, ns: dict[str, str]) -> str:
    node = item.find(path, ns)
    return (node.text or "").strip() if node is not None and node.text else ""


def plain_title(raw: str) -> str:
    """A post's title as WordPress shows it: its entities decoded once, markup removed."""
    text = re.sub(r"<[^>]*>", "", raw)
    return " ".join(html_entities.unescape(text).split())


class WxrImporter:
    """Parses a WXR file into drafts. A post's countries are the terms of its country
    taxonomy (`countries_from`, or one the export has: COUNTRY_TAXONOMIES), the labels of a
    house-style title, and terms that are a country's name exactly; any other term is the
    category (the first category) or a topic, never a guess at a country."""

    def __init__(self, gazetteer: Gazetteer | None = None, registry: Registry | None = None,
                 countries_from: str | None = None):
        self.gz = gazetteer or load_gazetteer()
        self.reg = registry or load_registry()
        self.text = TextImporter(self.gz, self.reg)
        self.countries_from = countries_from

    def parse(self, data: bytes, name: str) -> tuple[list[Draft], WxrReport]:
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise ContentError("", [Problem(name, line, f"not a well-formed WordPress export: "
                                            f"{exc}")]) from None
        except LookupError as exc:  # an encoding the XML declaration names, unknown here
            raise ContentError("", [Problem(name, 1, f"the export declares an encoding "
                                            f"Python does not know ({exc}): export it again "
                                            "as UTF-8")]) from None
        found = _wxr_namespace(root) if root.tag == "rss" else None
        if found is None:
            raise ContentError("", [Problem(name, 1, "not a WordPress export (WXR 1.0-1.2): "
                                            "export it from Tools → Export in WordPress")])
        ns = {**NS, "wp": found, "excerpt": f"{found}excerpt/"}
        report = WxrReport()
        drafts: list[Draft] = []
        slugs: dict[str, int] = {}
        lines = _item_lines(data)
        items = list(root.iter("item"))
        taxonomy = self.countries_from or next(
            (d for d in COUNTRY_TAXONOMIES for item in items for node in item.findall("category")
             if node.get("domain", "").casefold() == d), None)
        for index, item in enumerate(items):
            line = lines[index] if index < len(lines) else None
            kind = _text(item, "wp:post_type", ns) or "post"
            status = _text(item, "wp:status", ns) or "publish"
            label = f"post {_text(item, 'wp:post_id', ns) or '?'} " \
                    f"'{plain_title(_text(item, 'title', ns))[:60]}'"
            if kind != "post":
                report.skipped_types[kind] += 1
                continue
            if status != "publish":
                report.skipped_status[status] += 1
                report.notes.append(Problem(name, line, f"{label}: skipped: it is {status}, "
                                            "not published", "warning"))
                continue
            if _text(item, "wp:post_password", ns):
                report.skipped_status["password-protected"] += 1
                report.notes.append(Problem(name, line, f"{label}: skipped: it is protected "
                                            "by a password (a clipping is public)", "warning"))
                continue
            draft = self.post(item, ns, name, line, report, label, taxonomy)
            base = draft.slug
            n = slugs.get(base, 0) + 1
            slugs[base] = n
            if n > 1:
                draft.slug = f"{base[:76]}-{n}"
                draft.warnings.append(f"slug '{base}' is used by an earlier post: this one "
                                      f"becomes '{draft.slug}'")
            drafts.append(draft)
        return drafts, report

    def post(self, item, ns, name: str, line: int | None, report: WxrReport, label: str,
             taxonomy: str | None) -> Draft:
        draft = Draft(line=line or 0, label=label)
        title = plain_title(_text(item, "title", ns))
        if _HEADLINE.match(title):
            self.text.headline(title, draft)
        else:
            draft.title = title
        gmt = _text(item, "wp:post_date_gmt", ns)
        if not gmt or gmt.startswith("0000-00-00"):
            draft.problems.append(f"no publication date (post_date_gmt is {gmt or 'empty'}): it "
                                  "is never guessed; date it in WordPress or add it by hand")
        else:
            try:
                draft.date = dt.datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=dt.timezone.utc)
            except ValueError:
                draft.problems.append(f"post_date_gmt {gmt!r} is not a date")
        self.terms(item, draft, taxonomy)
        notes = footnotes_from_meta(_meta(item, ns, "footnotes"))
        try:
            body, url, link_text, found = convert_content(_text(item, "content:encoded", ns),
                                                          notes)
        except TooDeep as exc:
            draft.problems.append(str(exc))
            body, url, link_text, found = "", "", "", []
        draft.warnings.extend(dict.fromkeys(found))  # (each once)
        draft.body = body
        if url and not draft.source_url:
            draft.source_url = url
            if link_text and link_text.casefold() != draft.title.casefold() and \
                    not link_text.startswith("http"):
                draft.source_title = link_text
        if not draft.source and draft.source_url:
            owner = self.reg.by_domain(draft.source_url)
            draft.source = owner.name if owner else ""
            if not owner:
                draft.source_site = domain_of(draft.source_url)
        if not draft.title:
            draft.problems.append("it has no title: give it one in WordPress (or add the "
                                  "clipping by hand)")
        if not draft.source:
            draft.problems.append("no outlet: the title does not end with '(Outlet)' and the "
                                  "post links to no known outlet's page")
        if not draft.countries:
            draft.problems.append(self.no_country(item))
        if not draft.body.strip() and not any("nests" in p for p in draft.problems):
            draft.problems.append("the post has no content to use as the excerpt")
        raw = unquote(_text(item, "wp:post_name", ns))
        slug = slugify(raw) if raw and "/" not in raw and ".." not in raw else ""
        slug = slug or headline_slug(draft.title) or "clipping"
        if slug in RESERVED_SLUGS:
            draft.warnings.append(f"its slug '{slug}' is the address of one of the site's own "
                                  f"pages: written as '{slug}-post'")
            slug = f"{slug}-post"
        draft.slug = slug
        return draft

    def no_country(self, item) -> str:
        """Why a post has no country: its terms, and the country a term is very close to."""
        terms = [t for n in item.findall("category") if (t := plain_title(n.text or ""))]
        close = [f"{' or '.join(found)} for '{t}'" for t in terms
                 if (found := difflib_close(t, self.gz))]
        hint = f" (did you mean {'; '.join(close)}?)" if close else ""
        said = (f"none of its terms ({', '.join(terms)}) is a country's name{hint}" if terms
                else "it has no categories or tags")
        return (f"no country: {said}; tag it with its countries in WordPress (or in a "
                "'country' taxonomy) or add them by hand")

    def terms(self, item, draft: Draft, taxonomy: str | None) -> None:
        for node in item.findall("category"):
            domain = node.get("domain", "").casefold()
            label = plain_title(node.text or "")
            if not label:
                continue
            match = self.gz.resolve(label)
            exact = match is not None and match.how in ("canonical", "alias")
            if exact:
                target = draft.regions if isinstance(match.entity, Region) else draft.countries
                if match.entity.name not in target:
                    target.append(match.entity.name)
                continue
            if taxonomy is not None and domain == taxonomy.casefold():
                close = difflib_close(label, self.gz)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                draft.problems.append(f"'{label}' in the {domain} taxonomy is not a country or "
                                      f"region the gazetteer knows{hint}")
                continue
            if domain == "category" and not draft.category and label.casefold() != "uncategorized":
                draft.category = label
            elif domain in ("post_tag", "category") and label.casefold() not in {
                    t.casefold() for t in (*draft.topics, draft.category, "uncategorized")}:
                draft.topics.append(label)
        if not draft.category:
            draft.category = "Uncategorized"


def difflib_close(term: str, gazetteer: Gazetteer) -> list[str]:
    """Countries whose name a term misspells by a letter or two (never an ordinary word that
    merely resembles one: 'standard' is not Spain)."""
    return [name for name in gazetteer.suggest(term)
            if difflib.SequenceMatcher(None, term.casefold(), name.casefold()).ratio() >= 0.88]


def _meta(item, ns, key: str) -> str:
    for node in item.findall("wp:postmeta", ns):
        if _text(node, "wp:meta_key", ns) == key:
            return _text(node, "wp:meta_value", ns)
    return ""


_WXR = re.compile(r"https?://wordpress\.org/export/(?:%s)/" % "|".join(
    re.escape(v) for v in WP_VERSIONS))


def _wxr_namespace(root) -> str | None:
    """The WXR namespace the export's elements use (http:// or https://, version 1.0-1.2),
    found in the parsed tree: whatever the file's encoding (UTF-16 too)."""
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag.startswith("{"):
            uri = tag[1:].partition("}")[0]
            if _WXR.fullmatch(uri):
                return uri
    return None


def _item_lines(data: bytes) -> list[int]:
    """The line each <item> starts on, for messages."""
    return [data.count(b"\n", 0, m.start()) + 1 for m in re.finditer(rb"<item[\s>]", data)]


def _shortcodes(html: str, notes: list[str]) -> str:
    def replace(m: re.Match) -> str:
        tag, attrs, inner = m.group(1).lower(), m.group(2), m.group(3) or ""
        if tag == "caption":
            return f"<figure>{inner}</figure>"
        if tag == "embed":
            url = inner.strip()
            return f'<p><a href="{url}">{url}</a></p>' if url.startswith("http") else ""
        notes.append(f"shortcode [{tag}] removed: it has no equivalent in a clipping")
        return inner
    return _SHORTCODE.sub(replace, html)


MAX_DEPTH = 60  # elements nested in a post's HTML; deeper, the converter would recurse too far
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class TooDeep(ValueError):
    """A post's HTML nests too deeply to convert."""


# Elements a browser closes by itself (<p>a<p>b is two paragraphs): not counted as nesting
# in raw HTML, where their end tags are often left out.
_SELF_ENDING = frozenset("p li dt dd tr td th option thead tbody tfoot colgroup".split())
RAW_DEPTH = 1000  # raw HTML past this is refused before the sanitizer (its cost grows with depth²)


def html_depth(html: str, raw: bool = False) -> int:
    """How deeply the elements of well-formed HTML (as the sanitizer gives it) nest; with
    `raw`, an estimate for HTML as written (elements that end by themselves not counted)."""
    depth = deepest = 0
    skip = _VOID | _SELF_ENDING if raw else _VOID
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in skip or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def convert_content(html: str, footnotes: dict[str, str] | None = None
                    ) -> tuple[str, str, str, list[str]]:
    """Post HTML to sanitized Markdown (`wphtml`); also the original's address when the
    post ends with a paragraph that is only a link. Returns (markdown, url, link text,
    notes); raises TooDeep for HTML nested more than MAX_DEPTH elements deep."""
    notes: list[str] = []
    blocks = "<!-- wp:" in html
    html = _BLOCK_COMMENT.sub("", html)
    html = _shortcodes(html, notes)
    if html_depth(html, raw=True) > RAW_DEPTH:
        raise TooDeep(f"the post's HTML nests more than {RAW_DEPTH} elements deep (at most "
                      f"{MAX_DEPTH}): flatten it in WordPress (or add the clipping by hand)")
    if not blocks:  # a classic post: WordPress makes its paragraphs from blank lines
        html = wpautop(html)
    if "<script" in html.lower():
        notes.append("scripts removed")
    depth = html_depth(sanitize(html))  # (before the tree below is made: it recurses)
    if depth > MAX_DEPTH:
        raise TooDeep(f"the post's HTML nests {depth} elements deep (at most {MAX_DEPTH}): "
                      "flatten it in WordPress (or add the clipping by hand)")
    html, texts = arrange(html, footnotes or {}, notes)
    if "<iframe" in html.lower():
        notes.append("embedded frames removed")
    clean = sanitize(html)
    try:
        markdown = to_markdown(clean, texts, _note_markdown)
    except RecursionError:  # (the depth above keeps well below it)
        raise TooDeep("the post's HTML nests too deeply to convert: flatten it in "
                      "WordPress (or add the clipping by hand)") from None
    paras = markdown.split("\n\n")
    url = text = ""
    last = re.fullmatch(r"\[([^\]]+)\]\((https?://[^)\s]+)(?: \"[^\"]*\")?\)|<?(https?://\S+?)>?",
                        paras[-1].strip()) if paras else None
    if last and len(paras) > 1:
        text, url = (last.group(1) or "", last.group(2) or last.group(3))
        paras = paras[:-1]
    return "\n\n".join(paras).strip(), url, text, notes


def _note_markdown(html: str) -> str:
    """A footnote's HTML as one line of Markdown."""
    return " ".join(markdownify(sanitize(html), strip=["span", "div", "p"]).split())
