"""A week's issue as an email (`digest weekly`): HTML with its stylesheet inlined (tables at
600 px, no script, fonts or images; dark mode kept as a media query), and plain text at 72
columns with its links numbered at the end."""

from __future__ import annotations

import html
import os
import textwrap
from typing import Any

from digest.plugin.inputs import EmailRequest
from digest.plugin.weekly import Weekly

MAX_BYTES = 100_000  # Gmail cuts a message's HTML at 102 KB: an issue stays under
WIDTH = 72


def subject(sitename: str, data: dict[str, Any]) -> str:
    text = f"{sitename}, week {data['number']} of {data['year']}"
    return f"{text}: {data['title']}" if data["title"] else text


def shortened(data: dict[str, Any], shown: int, summaries: bool) -> dict[str, Any]:
    """The issue with its first `shown` clippings (sections in order), summaries or not."""
    sections, left = [], shown
    for section, entries in data["sections"]:
        if left <= 0:
            break
        sections.append((section, entries[:left]))
        left -= len(entries[:left])
    return dict(data, sections=sections, shown=shown, omitted=data["count"] - shown,
                summaries=summaries)


def render_html(gen, data: dict[str, Any], site: str, context: dict[str, Any]) -> str:
    """The issue's HTML with every rule of its stylesheet on the elements it styles."""
    import css_inline

    page = gen.get_template("email").render(dict(context, issue=data))
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False,
                                    minify_css=True)
    return inliner.inline(page)


def fitted_html(gen, data: dict[str, Any], site: str, context: dict[str, Any]
                ) -> tuple[str, dict[str, Any]]:
    """The HTML under MAX_BYTES: whole if it fits, else without summaries, else the first
    clippings that fit (the rest are a link to the issue on the web)."""
    count = data["count"]
    for summaries in (True, False):
        shown = count
        while shown > 0:
            fitted = shortened(data, shown, summaries)
            page = render_html(gen, fitted, site, context)
            size = len(page.encode("utf-8"))
            if size <= MAX_BYTES:
                return page, fitted
            if summaries and shown == count:
                break  # (first without summaries)
            shown = min(shown - 1, int(shown * MAX_BYTES / size * 0.97))
    fitted = shortened(data, 1, False)
    return render_html(gen, fitted, site, context), fitted


class _Links:
    """Links numbered in the order they are first met."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def mark(self, url: str) -> str:
        if url not in self.urls:
            self.urls.append(url)
        return f"[{self.urls.index(url) + 1}]"


def _para(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def intro_text(html: str, links: _Links) -> list[str]:
    """An introduction's paragraphs, list items and quotes as text; each link numbered."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for a in soup.find_all("a"):
        if a.get("href"):
            a.append(f" {links.mark(a['href'])}")
    lines: list[str] = []
    for block in soup.find_all(["p", "li", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"]):
        if block.find_parent(["li", "blockquote", "pre"]):
            continue
        indent = {"li": "  - ", "blockquote": "  > "}.get(block.name, "")
        text = block.get_text(" ")
        if block.name == "pre":
            lines.extend(block.get_text().rstrip("\n").split("\n"))
        elif indent:
            wrapped = _para(text, " " * len(indent))
            lines.extend([indent + wrapped[0].lstrip(), *wrapped[1:]])
        else:
            lines.extend(_para(text))
        if block.name != "li" or block.find_next_sibling("li") is None:
            lines.append("")
    return lines


def issue_text(data: dict[str, Any], site: str, title: str, web: str) -> str:
    """The issue as plain text: 72 columns, each link a number, the addresses at the end."""
    links = _Links()
    out = [*_para(title), "=" * min(WIDTH, len(title)), ""]
    meta = f"{data['monday']:%-d %B} to {data['sunday']:%-d %B %Y} · {data['count']} " \
           f"clipping{'' if data['count'] == 1 else 's'}"
    if not data["ended"]:
        meta += f" · in progress: the issue is final on {data['closes']:%-d %B at %H:%M}"
    out += [*_para(meta), ""]
    if data["updated"]:
        out += [*_para(f"Updated on {data['updated']:%-d %B %Y}: clippings were added or "
                       f"removed after the issue was final on {data['closes']:%-d %B}, "
                       f"when it had {data['final_count']}."), ""]
    out += [*_para(f"Read it on the web: {links.mark(web)}"), ""]
    if data["intro"]:
        out += intro_text(str(data["intro"]), links)
    if data["busiest"]:
        out += [*_para("Busiest pairs: " + ", ".join(f"{p.name} ({n})"
                                                     for p, n in data["busiest"]) + "."), ""]
    if data["rises"]:
        out += [*_para("More than in the four weeks before: " + ", ".join(
            f"{x.name} ({n}, against {f'{avg:.1f} a week' if avg else 'none'})"
            for x, n, avg in data["rises"]) + "."),
                ""]
    for section, entries in data["sections"]:
        head = f"{section.name} ({len(entries)})"
        out += ["", *_para(head.upper()), "-" * min(WIDTH, len(head)), ""]
        for e in entries:
            c = e.clipping
            out += _para(f"{e.title} {links.mark(f'{site}/{e.url}')}", "  ")
            out += _para(f"{e.day} · {c.source} · "
                         f"{', '.join(x.name for x in c.countries)}", "  ")
            if data.get("summaries", True) and e.summary:
                out += _para(html.unescape(str(e.summary)), "  ")
            if c.source_url:
                out += _para(f"The original at {c.source}: {links.mark(c.source_url)}", "  ")
            out.append("")
    if data.get("omitted"):
        out += [*_para(f"{data['omitted']} more clipping{'s' if data['omitted'] != 1 else ''}"
                       f" in the issue on the web: {links.mark(web)}"), ""]
    out += ["-- ", "Links:", ""]
    out += [f"[{n}] {url}" for n, url in enumerate(links.urls, 1)]
    return "\n".join(out).rstrip() + "\n"


def write_email(gen, request: EmailRequest) -> dict[str, Any]:
    """Write `<folder>/<week>.html` and `.txt`; what was written, for the command's report."""
    weekly = Weekly(gen)
    data = weekly.issue(request.week)
    site = str(gen.settings.get("SITEURL", "")).rstrip("/")
    sitename = gen.settings.get("SITENAME", "Digest")
    title = subject(sitename, data)
    # (the issue's page, or the site's home where weekly pages are off)
    web = f"{site}/{weekly.url(request.week)}" if gen.cfg.values["WEEK_SAVE_AS"] else f"{site}/"
    feed = gen.cfg.values["WEEKLY_FEED_ATOM_SAVE_AS"] if gen.cfg.values["WEEK_SAVE_AS"] else ""
    context = dict(gen.context, SITEURL=site, localsiteurl=None, output_file="email.html",
                   subject=title, web_url=web, feed_url=f"{site}/{feed}" if feed else "")
    page, fitted = fitted_html(gen, data, site, context)
    text = issue_text(fitted, site, title, web)
    paths = {}
    for ext, body in (("html", page), ("txt", text)):
        path = os.path.join(request.folder, f"{request.week}.{ext}")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(body)
        paths[ext] = path
    return {"html": paths["html"], "text": paths["txt"],
            "html_bytes": len(page.encode("utf-8")), "shown": fitted["shown"],
            "count": data["count"]}
