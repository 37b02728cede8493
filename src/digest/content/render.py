"""Excerpt Markdown to safe HTML: Python-Markdown, then an nh3 allowlist; plain-text summaries."""

from __future__ import annotations

import functools
import html
import re

import markdown
import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul",
}
# No event handlers, no style, no classes but code languages and footnote markers.
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "div": {"class"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "toc"]
_WS = re.compile(r"\s+")


# What may make Markdown of an excerpt more than paragraphs of its text: anywhere, a character
# that starts inline markup or an entity, tables, attributes, fences, tabs, carriage returns
# and control characters; at a line's start, a header, setext or rule line, a quote, a
# definition or a list item; whitespace at either end of a line (code, lazy lists, a line
# break; Markdown strips the rest).
_MARKUP = re.compile(r"[\\`*_\[\]<>&|{}\t\r\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")
_LINE_MARKUP = frozenset("#=~:>+-")
_ORDERED = re.compile(r"\d+[.)]")
_BLANK_LINES = re.compile(r"\n{2,}")


def prose_html(body: str) -> str | None:
    """Markdown's HTML of an excerpt that is only paragraphs of plain text (most are), made
    without Markdown's parser: the same HTML, in a tenth of the time; None for any other."""
    if _MARKUP.search(body) is not None or not body.strip():
        return None
    for line in body.split("\n"):
        if line and (line[0] in _LINE_MARKUP or line[0].isspace() or line[-1].isspace()
                     or (line[0].isdigit() and _ORDERED.match(line))):
            return None
    text = body.strip("\n")
    # (where no three line ends follow one another, the pattern splits where str.split does,
    # in a tenth of the time)
    blocks = text.split("\n\n") if "\n\n\n" not in text else _BLANK_LINES.split(text)
    return "<p>" + "</p>\n<p>".join(blocks) + "</p>"


class Renderer:
    """One Markdown instance reused for every excerpt (creating one per file costs time)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=EXTENSIONS, output_format="html")

    def html(self, body: str) -> str:
        """Sanitized HTML of a Markdown excerpt."""
        return self.html_and_text(body)[0]

    def html_and_text(self, body: str) -> tuple[str, str]:
        """Sanitized HTML of a Markdown excerpt and its plain text (`plain_text` of it).

        Plain prose (`prose_html`) holds no `<`, `>` or `&`, so the sanitizer has nothing to
        remove from its paragraphs: it writes a no-break space as `&nbsp;` and changes nothing
        else (tests/test_render.py holds it to that), and the text is the body's words. Made
        so, it costs neither of the sanitizer's passes (a fifth of reading a clipping)."""
        fragment = prose_html(body)
        if fragment is not None:
            # (str.split() splits where the pattern \s+ matches: at what str.isspace() is)
            return fragment.replace("\xa0", "&nbsp;"), " ".join(body.split())
        self._md.reset()
        fragment = sanitize(self._md.convert(body))
        return fragment, plain_text(fragment)


@functools.lru_cache(maxsize=1)
def shared_renderer() -> Renderer:
    """The renderer of this process, made when first needed (building one costs 10 ms)."""
    return Renderer()


def sanitize(fragment: str) -> str:
    """HTML with only allowlisted tags, attributes and URL schemes; scripts and styles removed."""
    return nh3.clean(
        fragment, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer", strip_comments=True,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
    )


def strip_images(fragment: str) -> str:
    """Sanitized HTML without images (for what is mailed and fed: no request to fetch)."""
    return nh3.clean(fragment, tags=TAGS - {"img"}, attributes=ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     strip_comments=True)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    return _WS.sub(" ", html.unescape(nh3.clean(fragment, tags=set()))).strip()


SUMMARY_LIMIT = 280

# Where a sentence ends: after . ! ? or … (and a closing quote or bracket), before a capital,
# a digit or an opening quote; not after a lone initial or a common abbreviation.
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"'\u201d\u2019\u00bb)\]]*\s+(?=[\"'\u201c\u2018\u00ab(\[]?[A-Z0-9\u0400-\u042f])")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "maj", "capt", "sgt", "adm", "gov",
    "sen", "rep", "st", "jr", "sr", "no", "vs", "etc", "inc", "ltd", "co", "corp", "dept",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.k", "u.n", "e.g", "i.e", "approx", "est", "fig", "vol", "pp",
})


def sentences(text: str) -> list[str]:
    """Plain text split into sentences (abbreviations and initials do not end one)."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        head = text[start:m.start()].rstrip("\"'\u201d\u2019\u00bb)]")
        word = head.rsplit(None, 1)[-1].rstrip(".").casefold() if head.strip() else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        out.append(text[start:m.start()].strip())
        start = m.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


def summary(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The first sentences of plain text that fit in `limit` characters; where the first
    sentence alone is longer, its words that fit, with an ellipsis."""
    window = text[:limit * 4]  # (a long excerpt is looked at as far as its summary reaches)
    short = _WS.sub(" ", window).strip()
    text = short if len(window) == len(text) or len(short) > limit + 2 else \
        _WS.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    out = ""
    # (only the sentences that end within the limit count: the rest is never looked at)
    head = sentences(text[:limit + 2])
    for sentence in head[:-1] if len(head) > 1 else head[:0]:
        joined = f"{out} {sentence}" if out else sentence
        if len(joined) > limit:
            break
        out = joined
    if out:
        return out
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit - 1]
    return cut.rstrip(",;:\u2014\u2013- ") + "\u2026"


_SCRIPT = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
_ALLOWED_SCRIPT = re.compile(
    r'<script (?:type="application/ld\+json"|src="[^"]*/(?:theme/js/[a-z-]+)'
    r'\.js"(?: defer)?)>')


# The web editor's page loads its bundle, by its integrity, and nothing else.
_ADMIN_SCRIPT = re.compile(r'<script src="decap-cms\.js" integrity="sha384-[A-Za-z0-9+/]+=*">')


def script_problems(page: str, admin: bool = False) -> list[str]:
    """Every `<script>` in a page that is not one the theme writes (JSON-LD, its own files),
    or, on the web editor's page (`admin`), its one bundle."""
    if _SCRIPT.search(page) is None:
        return []
    if admin:
        page = _ADMIN_SCRIPT.sub("", page, count=1)
    return [f"script not written by the theme: {tag[:80]}" for tag in _SCRIPT.findall(page)
            if not _ALLOWED_SCRIPT.fullmatch(tag)]
