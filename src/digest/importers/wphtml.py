"""A WordPress post's HTML to Markdown that Python-Markdown renders as WordPress shows it.

Classic posts (no block comments) get WordPress's own paragraph rules (`wpautop`, ported
from wp-includes/formatting.php); embeds become a link on a line of their own; footnotes
(the footnotes block keeps them in the post's meta) become Markdown footnotes; table
footers become the last rows; headings move down a level when the post uses `<h1>` (the
page's own heading is the clipping's title); nested lists are indented four spaces, as
Python-Markdown wants them.
"""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

_ALLBLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|"
              r"li|pre|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|"
              r"section|article|aside|hgroup|header|footer|nav|figure|figcaption|details|"
              r"menu|summary)")
_TAG_TEXT = re.compile(r"<[^>]*>")
_URL_ONLY = re.compile(r"^\s*(https?://[^\s<>\"]+)\s*$")
_FOOTNOTE_MARK = "WPFOOTNOTE{}X"
_LINE_START = re.compile(r"(?m)^(\s*)(#|>|[-+*](?=\s)|\d+\.(?=\s))")


def wpautop(text: str) -> str:
    """WordPress's `wpautop`: blank lines become paragraphs, single line breaks `<br>`,
    never inside `<pre>` or around block elements."""
    if not text.strip():
        return ""
    text += "\n"
    pre: dict[str, str] = {}
    if "<pre" in text:
        def keep(m: re.Match) -> str:
            key = f"<pre wp-pre-tag-{len(pre)}></pre>"
            pre[key] = m.group(0)
            return key
        text = re.sub(r"<pre[\s>].*?</pre>", keep, text, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text, flags=re.I)
    text = re.sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text, flags=re.I)
    text = re.sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text, flags=re.I)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text, flags=re.I)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TAG_TEXT.sub(lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text, flags=re.I)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text, flags=re.I)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text, flags=re.I)
    text = re.sub(r"<(script|style|svg|math).*?</\1>",
                  lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text, flags=re.S)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text, flags=re.I)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for key, value in pre.items():
        text = text.replace(key, value)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


def footnotes_from_meta(value: str) -> dict[str, str]:
    """The footnotes block's notes (post meta `footnotes`, JSON) by id."""
    try:
        notes = json.loads(value)
    except ValueError:
        return {}
    if not isinstance(notes, list):
        return {}
    return {str(n.get("id")): str(n.get("content") or "") for n in notes
            if isinstance(n, dict) and n.get("id")}


def arrange(html: str, notes: dict[str, str], problems: list[str]) -> tuple[str, list[str]]:
    """The post's HTML with WordPress's markup made plain: embeds as links, footnote marks
    as placeholders (their texts returned in order), table footers as last rows, headings
    down a level where the post has an `<h1>`."""
    soup = BeautifulSoup(html, "html.parser")
    _embeds(soup, problems)
    texts: list[str] = []
    for mark in soup.select("sup[data-fn]"):
        note = notes.get(mark["data-fn"])
        if note is None:
            mark.decompose()
            continue
        texts.append(note)
        mark.replace_with(_FOOTNOTE_MARK.format(len(texts)))
    for table in soup.find_all("table"):
        foot = table.find("tfoot")
        if foot is None:
            continue
        body = table.find("tbody") or table
        for row in foot.find_all("tr"):
            for cell in row.find_all("th"):
                cell.name = "td"
            body.append(row.extract())
        foot.decompose()
    if soup.find("h1") is not None:
        for n in range(6, 0, -1):
            for heading in soup.find_all(f"h{n}"):
                heading.name = f"h{min(n + 1, 6)}"
    return str(soup), texts


def _link_paragraph(soup: BeautifulSoup, url: str):
    paragraph = soup.new_tag("p")
    link = soup.new_tag("a", href=url)
    link.string = url
    paragraph.append(link)
    return paragraph


def _embeds(soup: BeautifulSoup, problems: list[str]) -> None:
    """Embeds (the embed block, frames, a classic post's address alone on its line) as a
    link in a paragraph of its own, an embed's caption in the paragraph after it."""
    for figure in soup.select("figure.wp-block-embed"):
        wrapper = figure.select_one(".wp-block-embed__wrapper") or figure
        url = _URL_ONLY.match(wrapper.get_text(" "))
        caption = figure.find("figcaption")
        if url is None:
            frame = figure.find("iframe")
            url = _URL_ONLY.match(frame.get("src", "")) if frame is not None else None
        replacement = _link_paragraph(soup, url.group(1)) if url else soup.new_tag("p")
        figure.replace_with(replacement)
        if caption is not None and caption.get_text(strip=True):
            line = soup.new_tag("p")
            line.extend(list(caption.contents))
            replacement.insert_after(line)
    for frame in soup.find_all("iframe"):
        src = frame.get("src", "")
        if _URL_ONLY.match(src):
            frame.replace_with(_link_paragraph(soup, src))
            problems.append(f"an embedded frame became a link to {src[:80]}")
    for paragraph in soup.find_all("p"):
        if paragraph.find(True) is None:
            url = _URL_ONLY.match(paragraph.get_text())
            if url is not None:
                paragraph.replace_with(_link_paragraph(soup, url.group(1)))


class _Converter(MarkdownConverter):
    """markdownify, with list items indented four spaces (Python-Markdown's rule) and
    addresses that are their own text written as autolinks."""

    def escape(self, text, parent_tags):
        # text that would start a heading, quote or list where it begins a line
        text = super().escape(text, parent_tags)
        return _LINE_START.sub(lambda m: m.group(1) + (
            m.group(2)[:-1] + "\\." if m.group(2).endswith(".") else "\\" + m.group(2)), text)

    def convert_li(self, el, text, parent_tags):
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if start and str(start).isdigit() else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        lines = text.split("\n")
        rest = [("    " + line) if line.strip() else "" for line in lines[1:]]
        return "\n".join([f"{bullet} {lines[0]}", *rest]) + "\n"

    def convert_a(self, el, text, parent_tags):
        href = el.get("href") or ""
        if href and text.strip() == href and _URL_ONLY.match(href):
            return f"<{href}>"
        return super().convert_a(el, text, parent_tags)


def to_markdown(clean_html: str, footnotes: list[str], convert_note) -> str:
    """Sanitized HTML to Markdown, the footnotes at the end."""
    markdown = _Converter(heading_style="ATX", bullets="-", strip=["span", "div"],
                          table_infer_header=True).convert(clean_html).strip()
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    for n in range(1, len(footnotes) + 1):
        markdown = markdown.replace(_FOOTNOTE_MARK.format(n), f"[^{n}]")
    if footnotes:
        markdown += "\n\n" + "\n".join(f"[^{n}]: {convert_note(text)}"
                                       for n, text in enumerate(footnotes, 1))
    return markdown
