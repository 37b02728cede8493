"""Import the digest's plain-text export: `Categorie` blocks with a labelled headline and excerpt."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from digest.core.gazetteer import Gazetteer, load_gazetteer, normalise
from digest.core.registry import Registry, domain_of, load_registry
from digest.importers import Draft, classify_labels, escape_markdown

_ENTRY_START = re.compile(r"^\s*(?:categorie|category|catégorie|categoria|kategorie)\s*:?\s*$", re.I)
_DASHES = (" \u2013 ", " \u2014 ", " - ", " \u2012 ", " \u2212 ")
_TRAILING_PAREN = re.compile(r"^(?P<head>.*\S)\s*\((?P<paren>[^()]*)\)\s*$")
_LEADING_PAREN = re.compile(r"^\((?P<labels>[^()]+)\)\s*(?P<rest>.+)$")
_URL = re.compile(r"^(?:<)?(https?://\S+?)(?:>)?$", re.I)
_DOMAIN_PAREN = re.compile(r"^(?P<text>.*?)\s*\((?P<domain>(?:[a-z0-9-]+\.)+[a-z]{2,})\)$", re.I)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:[/-]|$)")


@dataclass
class _Para:
    line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def single(self) -> bool:
        return len(self.lines) == 1


def _paragraphs(lines: list[str], first_line: int) -> list[_Para]:
    paras: list[_Para] = []
    current: _Para | None = None
    for offset, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None:
            current = _Para(first_line + offset, [])
            paras.append(current)
        current.lines.append(line)
    return paras


def _same_text(a: str, b: str) -> bool:
    def key(s: str) -> str:
        s = normalise(s).replace("\u201c", '"').replace("\u201d", '"')
        return re.sub(r"[^\w]+", " ", s).strip()
    return key(a) == key(b)


class TextImporter:
    """Parses the export; every entry becomes a `Draft`, with problems instead of guesses."""

    def __init__(self, gazetteer: Gazetteer | None = None, registry: Registry | None = None):
        self.gz = gazetteer or load_gazetteer()
        self.reg = registry or load_registry()

    def outlet(self, name: str) -> str:
        match = self.reg.resolve(name)
        return match.source.name if match else name.strip()

    def same_outlet(self, a: str, b: str) -> bool:
        if normalise(a) == normalise(b):
            return True
        ma, mb = self.reg.resolve(a), self.reg.resolve(b)
        return bool(ma and mb and ma.source == mb.source)

    def parse(self, text: str, default_date: dt.date | None = None) -> tuple[list[Draft], list[str]]:
        """Drafts for every entry, and problems found outside any entry (as `line: message`)."""
        lines = text.split("\n")
        starts = [i for i, line in enumerate(lines) if _ENTRY_START.match(line)]
        stray: list[str] = []
        head = [i for i in range(starts[0] if starts else len(lines)) if lines[i].strip()]
        if head:
            stray.append(f"{head[0] + 1}: text before the first 'Categorie' line: each entry "
                         "starts with a 'Categorie' line")
        drafts = []
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            drafts.append(self.entry(lines[start:end], start + 1, default_date))
        return drafts, stray

    def entry(self, lines: list[str], first_line: int, default_date: dt.date | None) -> Draft:
        paras = _paragraphs(lines, first_line)
        draft = Draft(line=first_line)
        marker = paras.pop(0)
        if len(marker.lines) > 1:
            draft.category = marker.lines[1]
            rest_of_marker = marker.lines[2:]
            if rest_of_marker:
                paras.insert(0, _Para(marker.line + 2, rest_of_marker))
        elif paras and paras[0].single:
            draft.category = paras.pop(0).text
        if not draft.category:
            draft.problems.append("the 'Categorie' line is not followed by a category name")
            return draft
        if not paras:
            draft.problems.append("the entry has no headline")
            return draft
        headline = paras.pop(0)
        draft.line = headline.line
        self.headline(" ".join(headline.lines), draft)
        if draft.problems:
            return draft
        if paras:
            self.byline(paras, draft)
        if paras:
            self.link(paras, draft)
        if not paras:
            draft.problems.append("the entry has no excerpt")
            return draft
        draft.body = "\n\n".join(escape_markdown(p.text) for p in paras)
        draft.date = self.date(draft.source_url) or default_date
        return draft

    def headline(self, text: str, draft: Draft) -> None:
        trailing = _TRAILING_PAREN.match(text)
        if not trailing:
            draft.problems.append("the headline does not end with the outlet in parentheses, "
                                  "as in 'Kyrgyzstan/Tajikistan – Headline (RFE/RL)'")
            return
        head, paren = trailing.group("head"), trailing.group("paren").strip()
        leading = _LEADING_PAREN.match(head)
        if leading:
            labels, title = leading.group("labels"), leading.group("rest")
        else:
            cut = min(((head.find(d), d) for d in _DASHES if head.find(d) > 0), default=None)
            if cut is None:
                draft.problems.append("the headline has no labels: write them first, as in "
                                      "'Kyrgyzstan/Tajikistan – Headline (Outlet)'")
                return
            labels, title = head[: cut[0]], head[cut[0] + len(cut[1]):]
        label_list = [x.strip() for x in labels.split("/") if x.strip()]
        countries, regions, topics, problems = classify_labels(label_list, self.gz)
        draft.problems.extend(problems)
        if not countries and not problems:
            draft.problems.append(f"none of the labels '{labels.strip()}' is a country")
        draft.countries, draft.regions, draft.topics = countries, regions, topics
        draft.title = title.strip()
        if not paren:
            draft.problems.append("the parentheses at the end of the headline are empty: "
                                  "they name the outlet")
            return
        if "," in paren:
            author, outlet = paren.rsplit(",", 1)
            draft.author, draft.source = author.strip(), self.outlet(outlet)
        else:
            draft.source = self.outlet(paren)

    def byline(self, paras: list[_Para], draft: Draft) -> None:
        first = paras[0]
        if not first.single or len(first.text) > 150 or first.text.endswith((".", "!", "?")):
            return
        parts = [p.strip() for p in re.split(r"\s+\|\s+|\s*,\s*", first.text) if p.strip()]
        if len(parts) < 2 or not self.same_outlet(parts[-1], draft.source):
            return
        if len(parts[0].split()) > 6:
            return
        paras.pop(0)
        draft.author = draft.author or parts[0]
        if len(parts) > 2:
            draft.author_role = ", ".join(parts[1:-1])

    def link(self, paras: list[_Para], draft: Draft) -> None:
        last = paras[-1]
        if not last.single:
            return
        text = last.text
        url = _URL.match(text)
        if url:
            paras.pop()
            draft.source_url = url.group(1)
            return
        domain_match = _DOMAIN_PAREN.match(text)
        domain = None
        if domain_match:
            text, domain = domain_match.group("text"), domain_match.group("domain").lower()
        outlet = None
        for sep in (" | ", *_DASHES):
            if sep in text:
                candidate_text, candidate_outlet = text.rsplit(sep, 1)
                if sep == " | " or self.same_outlet(candidate_outlet, draft.source):
                    text, outlet = candidate_text.strip(), candidate_outlet.strip()
                    break
        if domain is None and outlet is None and not _same_text(text, draft.title):
            return  # an ordinary last paragraph of the excerpt
        paras.pop()
        if domain:
            draft.source_site = domain_of(domain)
        if text and not _same_text(text, draft.title):
            draft.source_title = text
        if outlet and not self.same_outlet(outlet, draft.source):
            draft.problems.append(f"the link line names the outlet '{outlet}' but the headline "
                                  f"names '{draft.source}': correct one of them")

    @staticmethod
    def date(url: str) -> dt.date | None:
        if not url:
            return None
        match = _URL_DATE.search(url)
        if not match:
            return None
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
