"""Import a WordPress export (WXR 1.1 and 1.2): published posts become clipping drafts."""

from __future__ import annotations

import datetime as dt
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
from digest.errors import ContentError, Problem
from digest.importers import Draft
from digest.importers.text import TextImporter

NS = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
WP_VERSIONS = ("1.2", "1.1", "1.0")
_SHORTCODE = re.compile(r"\[(\w+)([^\]]*)\](?:(.*?)\[/\1\])?", re.DOTALL)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
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


class WxrImporter:
    """Parses a WXR file into drafts, mapping categories and tags through the gazetteer."""

    def __init__(self, gazetteer: Gazetteer | None = None, registry: Registry | None = None):
        self.gz = gazetteer or load_gazetteer()
        self.reg = registry or load_registry()
        self.text = TextImporter(self.gz, self.reg)

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
            raise ContentError("", [Problem(name, 1, "not a WordPress export (WXR 1.1 or 1.2): "
                                            "export it from Tools → Export in WordPress")])
        ns = {**NS, "wp": found, "excerpt": f"{found}excerpt/"}
        report = WxrReport()
        drafts: list[Draft] = []
        slugs: dict[str, int] = {}
        lines = _item_lines(data)
        for index, item in enumerate(root.iter("item")):
            line = lines[index] if index < len(lines) else None
            kind = _text(item, "wp:post_type", ns) or "post"
            status = _text(item, "wp:status", ns) or "publish"
            title = _text(item, "title", ns)
            if kind != "post":
                report.skipped_types[kind] += 1
                continue
            if status != "publish":
                report.skipped_status[status] += 1
                report.notes.append(Problem(name, line, f"skipped {status} post '{title[:60]}'",
                                            "warning"))
                continue
            draft = self.post(item, ns, name, line, report)
            base = draft.slug
            n = slugs.get(base, 0) + 1
            slugs[base] = n
            if n > 1:
                draft.slug = f"{base[:76]}-{n}"
                report.notes.append(Problem(name, line, f"slug '{base}' is used by an earlier "
                                            f"post: this one becomes '{draft.slug}'", "warning"))
            drafts.append(draft)
        return drafts, report

    def post(self, item, ns, name: str, line: int | None, report: WxrReport) -> Draft:
        draft = Draft(line=line or 0)
        title = " ".join(_text(item, "title", ns).split())
        if _HEADLINE.match(title):
            self.text.headline(title, draft)
        else:
            draft.title = title
        gmt = _text(item, "wp:post_date_gmt", ns)
        if not gmt or gmt.startswith("0000-00-00"):
            draft.problems.append(f"'{title[:60]}' has no publication date (post_date_gmt is "
                                  f"{gmt or 'empty'}): it is never guessed; date it in WordPress "
                                  "or add it by hand")
        else:
            try:
                draft.date = dt.datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=dt.timezone.utc)
            except ValueError:
                draft.problems.append(f"post_date_gmt {gmt!r} is not a date")
        self.terms(item, draft)
        try:
            body, url, link_text, notes = convert_content(_text(item, "content:encoded", ns))
        except TooDeep as exc:
            draft.problems.append(str(exc))
            body, url, link_text, notes = "", "", "", []
        for note in notes:
            report.notes.append(Problem(name, line, f"'{title[:40]}': {note}", "warning"))
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
        if not draft.source:
            draft.problems.append("no outlet: the title does not end with '(Outlet)' and the "
                                  "original's address is not a known outlet's")
        if not draft.body.strip() and not draft.problems:
            draft.problems.append("the post has no content to use as the excerpt")
        raw = unquote(_text(item, "wp:post_name", ns))
        slug = slugify(raw) if raw and "/" not in raw and ".." not in raw else ""
        draft.slug = slug or headline_slug(draft.title) or "clipping"
        return draft

    def terms(self, item, draft: Draft) -> None:
        for node in item.findall("category"):
            domain = node.get("domain", "")
            label = " ".join((node.text or "").split())
            if not label:
                continue
            match = self.gz.resolve(label)
            if match and match.how in ("canonical", "alias"):
                target = draft.regions if isinstance(match.entity, Region) else draft.countries
                if match.entity.name not in target:
                    target.append(match.entity.name)
                continue
            close = [s for s in self.gz.suggest(label)]
            if close and match is None:
                draft.problems.append(f"{'tag' if domain == 'post_tag' else 'category'} "
                                      f"'{label}' is not a known name (did you mean "
                                      f"{' or '.join(close)}?)")
                continue
            if domain == "category" and not draft.category and label.casefold() != "uncategorized":
                draft.category = label
            elif domain == "post_tag" and label not in draft.topics:
                draft.topics.append(label)
        if not draft.category:
            draft.category = "Uncategorized"


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


def convert_content(html: str) -> tuple[str, str, str, list[str]]:
    """Post HTML to sanitized Markdown; also the original's address when the post ends with a
    paragraph that is only a link. Returns (markdown, url, link text, notes); raises TooDeep
    for HTML nested more than MAX_DEPTH elements deep."""
    notes: list[str] = []
    html = _BLOCK_COMMENT.sub("", html)
    html = _shortcodes(html, notes)
    if "\n\n" in html and "<p" not in html:  # WordPress stores paragraphs as blank lines
        html = "".join(f"<p>{p.strip()}</p>" for p in html.split("\n\n") if p.strip())
    if html_depth(html, raw=True) > RAW_DEPTH:
        raise TooDeep(f"the post's HTML nests more than {RAW_DEPTH} elements deep (at most "
                      f"{MAX_DEPTH}): flatten it in WordPress (or add the clipping by hand)")
    clean = sanitize(html)
    if "<script" in html.lower() or "<iframe" in html.lower():
        notes.append("scripts or embedded frames removed")
    depth = html_depth(clean)
    if depth > MAX_DEPTH:
        raise TooDeep(f"the post's HTML nests {depth} elements deep (at most {MAX_DEPTH}): "
                      "flatten it in WordPress (or add the clipping by hand)")
    try:
        markdown = markdownify(clean, heading_style="ATX", bullets="-",
                               strip=["span", "div"]).strip()
    except RecursionError:  # (the depth above keeps well below it)
        raise TooDeep("the post's HTML nests too deeply to convert: flatten it in "
                      "WordPress (or add the clipping by hand)") from None
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    paras = markdown.split("\n\n")
    url = text = ""
    last = re.fullmatch(r"\[([^\]]+)\]\((https?://[^)\s]+)(?: \"[^\"]*\")?\)|<?(https?://\S+?)>?",
                        paras[-1].strip()) if paras else None
    if last and len(paras) > 1:
        text, url = (last.group(1) or "", last.group(2) or last.group(3))
        paras = paras[:-1]
    return "\n\n".join(paras).strip(), url, text, notes
