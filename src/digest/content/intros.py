"""The editors' introductions to weekly issues (`content/weekly/2021-W33.md`), read and checked."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Callable

from digest.content.render import shared_renderer, strip_images
from digest.core.frontmatter import FrontMatter, decode, normalise_body, parse
from digest.core.schema import MAX_TITLE, body_problems, link_targets
from digest.core.weeks import Intro, week_days
from digest.errors import FrontMatterError, Problem

INTRO_FIELDS = ("title",)
MAX_INTRO_BYTES = 64 << 10  # an introduction is a paragraph or three
_NAME = re.compile(r"^(\d{4})-W(\d{2})\.md$")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s\"'>]+)")


def intro_week(name: str) -> str | None:
    """The ISO week a file is named for (`2021-W33.md`), or None (W53 only in long years)."""
    m = _NAME.match(name)
    if not m:
        return None
    week = f"{m.group(1)}-W{m.group(2)}"
    try:
        week_days(week)
    except ValueError:
        return None
    return week


def _link_problem(target: str) -> str | None:
    """An issue is mailed and fed as well as shown: its links are full addresses."""
    if re.match(r"(?i)^(https?://[^/\s]|mailto:)", target):
        return None
    if target.startswith("#"):
        return f"link '{target}' points inside a page the email and the feed do not have: " \
               "link to a full https:// address"
    return f"link '{target}' is not a full address: an issue is also mailed and fed, so " \
           "write an https:// address"


def intro_problems(fm: FrontMatter) -> list[Problem]:
    """Every problem of one introduction: unknown keys, its title, its body and its links."""
    problems = [Problem(fm.path, fm.line(key), f"unknown key '{key}' in a week's "
                        f"introduction: the one allowed key is title")
                for key in fm.fields if key not in INTRO_FIELDS]
    title = fm.fields.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()
                              or len(title) > MAX_TITLE):
        problems.append(Problem(fm.path, fm.line("title"), "an issue's title is one line "
                                f"of at most {MAX_TITLE} characters"))
    if not fm.body.strip():
        problems.append(Problem(fm.path, fm.end_line or 1, "the introduction is empty: write "
                                "it as Markdown (after the closing '---' if there is front "
                                "matter), or remove the file"))
    for line, message in body_problems(fm.body, fm.body_line):
        problems.append(Problem(fm.path, line, message.replace("the excerpt", "the "
                                                               "introduction")))
    images = {m.start(1) for m in _IMAGE.finditer(fm.body)}
    for match in link_targets(fm.body):
        line = fm.body_line + fm.body.count("\n", 0, match.start(1))
        if match.start(1) in images or match.group(0).lower().lstrip().startswith("src"):
            problems.append(Problem(fm.path, line, "an issue has no images (mail tools block "
                                    "them, and the feed must not fetch them): remove it"))
            continue
        problem = _link_problem(match.group(1))
        if problem:
            problems.append(Problem(fm.path, line, problem))
    return problems


def parse_intro(text: str, week: str, shown: str) -> tuple[Intro | None, list[Problem]]:
    """One introduction's text (front matter optional) as an Intro, or its problems."""
    try:
        if text.lstrip("\n").startswith("---"):
            fm = parse(text, shown)
        else:
            lead = len(text) - len(text.lstrip("\n"))
            fm = FrontMatter(shown, {}, {}, body=normalise_body(text), body_line=1 + lead)
    except FrontMatterError as exc:
        return None, [exc.problem]
    problems = intro_problems(fm)
    if any(p.is_error for p in problems):
        return None, problems
    title = fm.fields.get("title")
    html = strip_images(shared_renderer().html(fm.body))
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Intro(week, title.strip() if isinstance(title, str) else "", html, sha), problems


def read_intros(folder: Path, display: Callable[[Path], str] = str
                ) -> tuple[dict[str, Intro], list[Problem]]:
    """Every introduction of the project's weekly folder by week, and every problem with its
    files (a file with an error gives no introduction: the build fails on it)."""
    if not folder.is_dir():
        return {}, []
    intros: dict[str, Intro] = {}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        shown = display(path)
        if path.name.startswith(".") or path.is_dir():
            continue
        week = intro_week(path.name)
        if week is None:
            problems.append(Problem(shown, None, "the weekly folder holds one introduction "
                                    "per issue, named for its ISO week, as 2021-W33.md: "
                                    "rename or move this file"))
            continue
        try:
            if path.stat().st_size > MAX_INTRO_BYTES:
                problems.append(Problem(shown, None, "an introduction of over 64 KiB: an "
                                        "issue's introduction is a few paragraphs"))
                continue
            text = decode(path.read_bytes(), shown)
        except OSError as exc:
            problems.append(Problem(shown, None, f"cannot read the file: {exc.strerror}"))
            continue
        except FrontMatterError as exc:
            problems.append(exc.problem)
            continue
        intro, found = parse_intro(text, week, shown)
        problems.extend(found)
        if intro is not None:
            intros[week] = intro
    return intros, problems


def unused_intros(intros: dict[str, Intro], clippings, folder: Path,
                  display: Callable[[Path], str] = str) -> list[Problem]:
    """A warning for each introduction to a week no clipping is dated in (it is shown
    nowhere until one is)."""
    if not intros:
        return []
    from digest.core.weeks import week_of

    weeks = {week_of(c.day) for c in clippings}
    return [Problem(display(folder / f"{w}.md"), None,
                    f"no clipping is dated in week {int(w[-2:])} of {w[:4]}: the "
                    "introduction is shown once one is", "warning")
            for w in sorted(intros) if w not in weeks]
