"""Import the digest's plain-text export.

An entry is a category block (`Categorie` and the category, on two lines or as `Categorie:
Analysis`, in any of the languages editors write it), a headline with labels and the outlet
(`Kyrgyzstan/Tajikistan – Headline (Outlet)`), an optional byline, the excerpt and an
optional link block. Entries are found by that structure: a headline-shaped line after an
excerpt starts a new entry even where its category block is missing (which is then an error
naming the line), so no entry is ever merged into the one before it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field

from digest.core.gazetteer import Gazetteer, load_gazetteer, normalise
from digest.core.registry import Registry, domain_of, load_registry
from digest.importers import Draft, classify_labels, escape_markdown

# "Category" as editors of the digest write it, in the languages of its exports.
_CATEGORY_WORDS = ("categorie", "category", "catégorie", "categoria", "categoría",
                   "kategorie", "kategori", "kategoriya", "kategoria", "kategorija",
                   "категория", "категорія", "категорија", "рубрика", "рубрика/категория")
_MARKER = re.compile(r"^\s*(?:" + "|".join(map(re.escape, _CATEGORY_WORDS)) +
                     r")\s*(?::\s*(?P<rest>.*?))?\s*$", re.I)
# The separator between labels and title: a dash of any kind with any spaces around it
# (no-break and thin spaces included); a hyphen only with spaces on both sides.
_SEPARATOR = re.compile(r"\s*[\u2013\u2014\u2012\u2212\u2015]\s*|\s+-+\s+")
_TRAILING_PAREN = re.compile(r"^(?P<head>.*\S)\s*\((?P<paren>[^()]*)\)\s*$")
_LEADING_PAREN = re.compile(r"^\((?P<labels>[^()]+)\)\s*(?P<rest>.+)$")
_URL_IN = re.compile(r"<?(?P<url>https?://[^\s<>\"]+)>?", re.I)
_URL_LABEL = re.compile(r"^(?:source|link|url|original|read more(?: at)?|read the full "
                        r"(?:article|story)(?: at)?|full (?:text|story)(?: at)?|more|"
                        r"источник|ссылка|подробнее|оригинал)\s*:?\s*$", re.I)
_DOMAIN_PAREN = re.compile(r"^(?P<text>.*?)\s*\((?P<domain>(?:[a-z0-9-]+\.)+[a-z]{2,})\)$", re.I)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:[/-]|$)")
_BY = re.compile(r"^(?:by|от|автор|авторы)\s*:?\s+(?P<rest>.+)$", re.I)
_END_OF_SENTENCE = ('.', '!', '?', '…', '"', '\u201d', '\u00bb', "'", '\u2019', ')', ']')
_MAX_LABELS_TEXT = 120  # characters before the separator, at most, in a headline


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


@dataclass
class _Entry:
    """The paragraphs of one entry, as found: its category block (if any), its headline,
    the rest."""

    line: int
    category: str = ""
    marker_line: int | None = None
    marker_problem: str = ""
    headline: _Para | None = None
    body: list[_Para] = field(default_factory=list)


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


def clean_url(url: str) -> str:
    """An address as written in running text, without the punctuation after it (a closing
    parenthesis only where it closes none the address opened)."""
    while url and url[-1] in ".,;:!?'\"\u201d\u2019\u00bb>]}*_":
        url = url[:-1]
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?")
    return url


def _split_labels(head: str) -> tuple[str, str] | None:
    """(labels, title) of a headline's text before the outlet, or None."""
    leading = _LEADING_PAREN.match(head)
    if leading:
        return leading.group("labels"), leading.group("rest")
    cut = _SEPARATOR.search(head)
    if cut is None or cut.start() == 0 or cut.end() >= len(head):
        return None
    return head[:cut.start()], head[cut.end():]


_MONTHS = {name: n for n, names in enumerate((
    ("january", "jan", "января", "январь"), ("february", "feb", "февраля", "февраль"),
    ("march", "mar", "марта", "март"), ("april", "apr", "апреля", "апрель"),
    ("may", "мая", "май"), ("june", "jun", "июня", "июнь"), ("july", "jul", "июля", "июль"),
    ("august", "aug", "августа", "август"), ("september", "sep", "sept", "сентября",
                                             "сентябрь"),
    ("october", "oct", "октября", "октябрь"), ("november", "nov", "ноября", "ноябрь"),
    ("december", "dec", "декабря", "декабрь")), 1) for name in names}
_DATE_LABEL = r"(?:(?:date|dated|published|posted|дата|опубликовано)\s*:?\s*)?"
_DATE_FORMS = (
    (re.compile(_DATE_LABEL + r"(\d{4})-(\d{2})-(\d{2})", re.I), "ymd"),
    (re.compile(_DATE_LABEL + r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.I), "dmy"),
    (re.compile(_DATE_LABEL + r"(\d{1,2})\s+([^\W\d_]+)\.?,?\s+(\d{4})(?:\s*г\.?)?", re.I), "dMy"),
    (re.compile(_DATE_LABEL + r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})", re.I), "Mdy"),
)


def parse_date(text: str) -> dt.date | None:
    """The date a line gives in one of the forms editors write (never a guess between day
    and month: numbers are read day first only as DD.MM.YYYY), or None."""
    text = text.strip().rstrip(".")
    for pattern, order in _DATE_FORMS:
        found = pattern.fullmatch(text)
        if found is None:
            continue
        a, b, c = found.groups()
        try:
            if order == "ymd":
                return dt.date(int(a), int(b), int(c))
            if order == "dmy":
                return dt.date(int(c), int(b), int(a))
            if order == "dMy":
                month = _MONTHS.get(b.casefold())
                return dt.date(int(c), month, int(a)) if month else None
            month = _MONTHS.get(a.casefold())
            return dt.date(int(c), month, int(b)) if month else None
        except ValueError:
            return None
    return None


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

    # -- finding the entries ------------------------------------------------------------

    def parse(self, text: str, default_date: dt.date | None = None) -> tuple[list[Draft], list[str]]:
        """Drafts for every entry, and problems found outside any entry (as `line: message`)."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.removeprefix("\ufeff")
        entries, stray = self.entries(_paragraphs(text.split("\n"), 1))
        drafts = [self.entry(e, default_date) for e in entries]
        if drafts and entries[-1].body and not text.endswith("\n"):
            para = entries[-1].body[-1]
            last = para.lines[-1]
            if not last.endswith(_END_OF_SENTENCE) and not self.addresses(last)[0]:
                drafts[-1].warnings.append(
                    f"the file ends in the middle of a sentence (line "
                    f"{para.line + len(para.lines) - 1}): this entry's excerpt may be cut "
                    "short; compare it with the original")
        return drafts, stray

    def entries(self, paras: list[_Para]) -> tuple[list[_Entry], list[str]]:
        """The entries, by structure: a category block starts one, and so does a headline
        met after an entry's excerpt began."""
        entries: list[_Entry] = []
        stray: list[str] = []
        current: _Entry | None = None
        i = 0
        while i < len(paras):
            para = paras[i]
            i += 1
            marker = _MARKER.match(para.lines[0])
            if marker is not None and len(marker.group("rest") or "") <= 60:
                current = _Entry(para.line, marker_line=para.line)
                entries.append(current)
                rest = (marker.group("rest") or "").strip()
                if rest:
                    current.category, extra, at = rest, para.lines[1:], para.line + 1
                elif len(para.lines) > 1:
                    current.category, extra, at = para.lines[1], para.lines[2:], para.line + 2
                elif i < len(paras) and paras[i].single and not self.headline_shaped(paras[i]) \
                        and not _MARKER.match(paras[i].lines[0]):
                    current.category, extra = paras[i].text, []
                    i += 1
                else:
                    extra = []
                if extra:  # (the headline in the same paragraph)
                    paras.insert(i, _Para(at, extra))
                continue
            if current is not None and current.headline is None:
                current.headline = para
                continue
            if self.headline_shaped(para):
                current = _Entry(para.line, headline=para)
                if entries:
                    self.unknown_block(entries[-1], current)
                entries.append(current)
                continue
            if current is None:
                if not stray:
                    stray.append(f"{para.line}: text before the first entry: each entry "
                                 "starts with a 'Categorie' line and the category, then the "
                                 "headline")
                continue
            current.body.append(para)
        return entries, stray

    def unknown_block(self, before: _Entry, entry: _Entry) -> None:
        """A short two-line paragraph just above a headline that starts an entry is a
        category block in words this importer does not know: it is taken out of the entry
        before (it is no excerpt) and reported."""
        if not before.body:
            return
        last = before.body[-1]
        if len(last.lines) == 2 and all(len(x.split()) <= 3 and len(x) <= 40 and
                                        not x.endswith(_END_OF_SENTENCE) for x in last.lines):
            before.body.pop()
            entry.line = last.line
            entry.marker_problem = (
                f"'{last.lines[0]}' (line {last.line}) is not a category block this import "
                f"knows: write 'Categorie' and the category, as in 'Categorie' then "
                f"'{last.lines[1]}'")

    def headline_shaped(self, para: _Para) -> bool:
        """Whether a paragraph reads as an entry's headline: one line of labels, at least
        one a country or region (or close to one), a separator, a title and the outlet in
        parentheses."""
        if not para.single or len(para.text) > 400:
            return False
        trailing = _TRAILING_PAREN.match(para.text)
        if not trailing or not trailing.group("paren").strip():
            return False
        split = _split_labels(trailing.group("head"))
        if split is None or len(split[0]) > _MAX_LABELS_TEXT:
            return False
        labels = self.labels(split[0])
        if not labels or any(len(x.split()) > 4 for x in labels):
            return False
        return any(self.gz.resolve(x) is not None or self.gz.suggest(x, 1) for x in labels)

    # -- one entry ------------------------------------------------------------------------

    def entry(self, found: _Entry, default_date: dt.date | None) -> Draft:
        draft = Draft(line=found.line)
        if found.marker_problem:
            draft.problems.append(found.marker_problem)
        elif found.marker_line is None:
            draft.problems.append("no category block above this headline: add "
                                  "'Categorie' and the category on the lines above it")
        elif not found.category:
            draft.problems.append("the 'Categorie' line is not followed by a category name")
            return draft
        draft.category = found.category
        if found.headline is None:
            draft.problems.append("the category block is not followed by a headline")
            return draft
        draft.line = found.headline.line
        self.headline(" ".join(found.headline.lines), draft)
        if draft.problems:
            return draft
        paras = list(found.body)
        given = self.date_line(paras, draft)
        if paras:
            self.byline(paras, draft)
        given = given or self.date_line(paras, draft)
        if paras:
            self.link_block(paras, draft)
        if not paras:
            draft.problems.append("the entry has no excerpt")
            return draft
        draft.body = "\n\n".join(escape_markdown(p.text) for p in paras)
        draft.date = given or self.date(draft.source_url) or default_date
        return draft

    def headline(self, text: str, draft: Draft) -> None:
        trailing = _TRAILING_PAREN.match(text)
        if not trailing:
            draft.problems.append("the headline does not end with the outlet in parentheses, "
                                  "as in 'Kyrgyzstan/Tajikistan – Headline (RFE/RL)'")
            return
        head, paren = trailing.group("head"), trailing.group("paren").strip()
        split = _split_labels(head)
        if split is None:
            draft.problems.append("the headline has no labels: write them first, as in "
                                  "'Kyrgyzstan/Tajikistan – Headline (Outlet)'")
            return
        labels, title = split
        label_list = self.labels(labels)
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

    def labels(self, text: str) -> list[str]:
        """The labels of a headline: separated by '/', or by commas where every one is a
        country or region (a name may hold a comma: 'Iran, Islamic Republic of')."""
        found = [x.strip() for x in text.split("/") if x.strip()]
        if len(found) == 1 and re.search(r"[,;&]", found[0]) and \
                self.gz.resolve(found[0]) is None:
            parts = [x.strip() for x in re.split(r"\s*[,;&]\s*", found[0]) if x.strip()]
            if all(self.gz.resolve(x) is not None for x in parts):
                return parts
        return found

    def date_line(self, paras: list[_Para], draft: Draft) -> dt.date | None:
        """A line of its own after the headline (or the byline) giving the original's date:
        `2021-04-30`, `30 April 2021`, `April 30, 2021`, `30.04.2021`, `30 апреля 2021`,
        with or without `Date:` or `Published:`. Taken out of the excerpt."""
        if not paras or not paras[0].single or len(paras[0].text) > 60:
            return None
        day = parse_date(paras[0].text)
        if day is not None:
            paras.pop(0)
        return day

    def byline(self, paras: list[_Para], draft: Draft) -> None:
        """A first paragraph that names the author: `By Name[, Role][, Outlet]`,
        `Name | Outlet`, `Name, Role, Outlet`."""
        first = paras[0]
        if not first.single or len(first.text) > 150:
            return
        text = first.text
        by = _BY.match(text)
        if by is not None:
            parts = [p.strip() for p in re.split(r"\s+\|\s+|\s*,\s*", by.group("rest"))
                     if p.strip()]
            if parts and self.same_outlet(parts[-1], draft.source):
                parts.pop()
            if not parts or len(parts[0].split()) > 8 or not parts[0][:1].isupper() or \
                    parts[0].endswith((".", "!", "?")) and not re.search(r"\b\w\.$", parts[0]):
                return
        else:
            if text.endswith((".", "!", "?")):
                return
            parts = [p.strip() for p in re.split(r"\s+\|\s+|\s*,\s*", text) if p.strip()]
            if len(parts) < 2 or not self.same_outlet(parts[-1], draft.source):
                return
            parts.pop()
            if len(parts[0].split()) > 6:
                return
        paras.pop(0)
        draft.author = draft.author or parts[0]
        if len(parts) > 1:
            draft.author_role = ", ".join(parts[1:])

    def link_block(self, paras: list[_Para], draft: Draft) -> None:
        """The link block at the end of the entry: every paragraph there that is only
        addresses and link lines. Its first address is the original's; anything else in
        it is reported, never left in the excerpt."""
        block: list[tuple[int, str]] = []
        while paras:
            last = paras[-1]
            if not all(self.link_like(x, draft) for x in last.lines):
                break
            paras.pop()
            block[:0] = [(last.line + n, x) for n, x in enumerate(last.lines)]
        if paras and not block:  # (addresses on the last lines of the excerpt's paragraph)
            last = paras[-1]
            keep = len(last.lines)
            while keep > 1 and self.bare_address(last.lines[keep - 1]):
                keep -= 1
            if keep < len(last.lines):
                block = [(last.line + n, x) for n, x in enumerate(last.lines) if n >= keep]
                paras[-1] = _Para(last.line, last.lines[:keep])
        titled = False
        for line, text in block:
            urls, rest = self.addresses(text)
            for url in urls:
                if not draft.source_url:
                    draft.source_url = url
                elif url != draft.source_url:
                    draft.warnings.append(f"line {line}: a second address in the link block, "
                                          f"{url}, was left out (only the first, "
                                          f"{draft.source_url}, is the original's)")
            if urls:
                if not rest:
                    continue
                text = rest
            if titled:
                draft.warnings.append(f"line {line}: a second link line, '{text[:80]}', was "
                                      "left out of the clipping")
                continue
            titled = True
            self.link_line(text, draft)

    def link_like(self, text: str, draft: Draft) -> bool:
        return bool(self.addresses(text)[0]) or self.title_line(text, draft) is not None

    def bare_address(self, text: str) -> bool:
        """Whether a line is addresses only (or `Source: address`)."""
        urls, rest = self.addresses(text)
        return bool(urls) and not rest

    @staticmethod
    def addresses(text: str) -> tuple[list[str], str]:
        """(addresses, the rest of the line) for a line that is addresses only, `Label:
        address` or `Title address`; ([], "") for any other line."""
        found = list(_URL_IN.finditer(text))
        if not found:
            return [], ""
        pieces = [text[:found[0].start()],
                  *(text[a.end():b.start()] for a, b in itertools.pairwise(found)),
                  text[found[-1].end():]]
        if any(p.strip(" ,;|") for p in pieces[1:-1]) or pieces[-1].strip(" .,;:!?)]>"):
            return [], ""
        urls = [clean_url(m.group("url")) for m in found]
        before = pieces[0].strip()
        if not before or _URL_LABEL.match(before):
            return urls, ""
        before = before.rstrip(":\u2013\u2014-| ").strip()
        if len(before) > 200 or before.endswith((".", "!", "?")):
            return [], ""
        return urls, before

    def title_line(self, text: str, draft: Draft) -> tuple[str, str | None, str | None] | None:
        """(title, outlet, domain) of a link line naming the original (`Title (domain)`,
        `Title – Outlet`, `Title | Outlet`, or the headline again); None for excerpt text."""
        if len(text) > 300:
            return None
        domain_match = _DOMAIN_PAREN.match(text)
        domain = None
        if domain_match:
            text, domain = domain_match.group("text"), domain_match.group("domain").lower()
        outlet = None
        for sep in (" | ", *(m.group(0) for m in _SEPARATOR.finditer(text))):
            if sep in text:
                candidate_text, candidate_outlet = text.rsplit(sep, 1)
                if sep == " | " or self.same_outlet(candidate_outlet, draft.source):
                    text, outlet = candidate_text.strip(), candidate_outlet.strip()
                    break
        if domain is None and outlet is None and not _same_text(text, draft.title):
            return None
        return text, outlet, domain

    def link_line(self, text: str, draft: Draft) -> None:
        found = self.title_line(text, draft)
        if found is None:  # (a title before an address)
            if not _same_text(text, draft.title):
                draft.source_title = text
            return
        text, outlet, domain = found
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
