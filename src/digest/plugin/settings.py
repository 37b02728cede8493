"""The digest's settings: defaults read without mutating the user's settings, validated in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from digest.core.weeks import parse_closes
from digest.errors import UsageError

# Listing kinds and their Pelican-style URL settings. `{slug}` is the listing's slug; month
# pages add `{year}` and `{month}`. An empty *_SAVE_AS turns that page type off.
LISTINGS = ("country", "pair", "region", "category", "source", "topic")
# Pelican's own CATEGORY_* settings drive its category pages, which cost O(N²); the digest's
# category listings therefore use DIGEST_CATEGORY_* and Pelican's are switched off.
PREFIX = {"country": "COUNTRY", "pair": "PAIR", "region": "REGION", "category": "DIGEST_CATEGORY",
          "source": "SOURCE", "topic": "TOPIC"}
PLURALS = {"country": "countries", "pair": "pairs", "region": "regions",
           "category": "categories", "source": "sources", "topic": "topics"}

DEFAULTS: dict[str, Any] = {
    "DIGEST_PAIR_MIN_CLIPPINGS": 1,
    # The largest site a build publishes, in MB: GitHub Pages' 1 GB (warned of from half of
    # it); 0 for a host with no such limit.
    "DIGEST_SITE_LIMIT_MB": 1000,
    # The most clipping pages in a quarter's search bundle; a larger quarter has a bundle per
    # month (the indexer holds about 130 KB a page).
    "DIGEST_SEARCH_BUNDLE_PAGES": 5000,
    "DIGEST_LISTING_LATEST": 20,
    "DIGEST_FEED_MAX_ITEMS": 20,
    # A listing of at most this many clippings shows them all, by month, on its one page
    # (no month pages); a longer one shows its latest DIGEST_LISTING_LATEST and month pages.
    "DIGEST_LISTING_ALL": 150,
    "DIGEST_HOME_LATEST": 20,
    "DIGEST_HOME_PAIR_DAYS": 90,
    "DIGEST_RELATED": 3,
    "DIGEST_DATA_SAVE_AS": "data/",
    "FEED_ALL_ATOM_SAVE_AS": "feeds/all.atom.xml",
    "MONTH_URL": "{year}/{month}/",
    "MONTH_SAVE_AS": "{year}/{month}/index.html",
    "MONTHS_URL": "months/",
    "MONTHS_SAVE_AS": "months/index.html",
    "SEARCH_URL": "search/",
    "SEARCH_SAVE_AS": "search/index.html",
    "DIGEST_MATRIX_COUNTRIES": 0,
    "DIGEST_MONTH_MAX": 200,
    # Trend tables on country and pair pages: this many months to the digest's newest; a
    # month is a rise at DIGEST_TREND_RISE times the monthly average of the three before (and
    # at least DIGEST_TREND_LEAST clippings), a fall at DIGEST_TREND_FALL times it or less.
    "DIGEST_TREND_MONTHS": 12,
    "DIGEST_TREND_RISE": 1.5,
    "DIGEST_TREND_FALL": 0.67,
    "DIGEST_TREND_LEAST": 3,
    "DIGEST_HOME_RISES": 10,
    # The weekly issue: a page per ISO week, an index of weeks, a feed of finished weeks.
    "WEEK_URL": "weekly/{week}/",
    "WEEK_SAVE_AS": "weekly/{week}/index.html",
    "WEEKS_URL": "weekly/",
    "WEEKS_SAVE_AS": "weekly/index.html",
    "WEEKLY_FEED_ATOM_SAVE_AS": "feeds/weekly.atom.xml",
    "COUNTRY_WEEKLY_FEED_ATOM_SAVE_AS": "feeds/weekly/{slug}.atom.xml",  # the issue cut to one
    "DIGEST_WEEK_CLOSES": "Monday 00:00",  # after the week, in TIMEZONE: its issue is final
    "DIGEST_WEEKLY_FEED_MAX": 4,  # (a mail service reads the newest; each entry is an issue)
    # The web editor in admin/ (Decap CMS; its bundle from `make admin-bundle`), committing to
    # DIGEST_ADMIN_REPO ('owner/name'; default: origin's on GitHub) on DIGEST_ADMIN_BRANCH.
    "DIGEST_ADMIN": False,
    "DIGEST_ADMIN_REPO": "",
    "DIGEST_ADMIN_BRANCH": "main",
    "DIGEST_ADMIN_OAUTH": "",  # the OAuth service editors sign in to GitHub through
}
for _kind in LISTINGS:
    _p = PLURALS[_kind]
    _K = PREFIX[_kind]
    DEFAULTS[f"{_K}_URL"] = f"{_p}/{{slug}}/"
    DEFAULTS[f"{_K}_SAVE_AS"] = f"{_p}/{{slug}}/index.html"
    DEFAULTS[f"{_K}_MONTH_URL"] = f"{_p}/{{slug}}/{{year}}/{{month}}/"
    DEFAULTS[f"{_K}_MONTH_SAVE_AS"] = f"{_p}/{{slug}}/{{year}}/{{month}}/index.html"
    DEFAULTS[f"{_K}_FEED_ATOM_SAVE_AS"] = f"feeds/{_p}/{{slug}}.atom.xml"
    DEFAULTS[f"{_p.upper()}_URL"] = f"{_p}/"
    DEFAULTS[f"{_p.upper()}_SAVE_AS"] = f"{_p}/index.html"

_INT_KEYS = ("DIGEST_LISTING_ALL", "DIGEST_MATRIX_COUNTRIES", "DIGEST_MONTH_MAX", "DIGEST_PAIR_MIN_CLIPPINGS", "DIGEST_LISTING_LATEST", "DIGEST_FEED_MAX_ITEMS",
             "DIGEST_HOME_LATEST", "DIGEST_HOME_PAIR_DAYS", "DIGEST_RELATED",
             "DIGEST_TREND_MONTHS", "DIGEST_TREND_LEAST", "DIGEST_HOME_RISES",
             "DIGEST_WEEKLY_FEED_MAX", "DIGEST_SITE_LIMIT_MB", "DIGEST_SEARCH_BUNDLE_PAGES")


@dataclass(frozen=True)
class DigestSettings:
    """The digest's settings, complete and validated."""

    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def url(self, key: str, **fields: str) -> str:
        return self.values[f"{key}_URL"].format(**fields)

    def save_as(self, key: str, **fields: str) -> str:
        pattern = self.values[f"{key}_SAVE_AS"]
        return pattern.format(**fields) if pattern else ""


def _path_problem(key: str, value: str) -> str | None:
    if not isinstance(value, str):
        return f"{key} must be a string, not {type(value).__name__}"
    if value.startswith(("/", "\\")) or re.search(r"(^|[/\\])\.\.([/\\]|$)", value) or \
            re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        return f"{key} = {value!r} must be a relative path inside the output folder"
    return None


def digest_settings(settings: Mapping[str, Any]) -> DigestSettings:
    """The digest's settings from Pelican's: defaults filled in on a copy, every key checked.

    Raises `UsageError` naming every bad key at once.
    """
    values = {key: settings.get(key, default) for key, default in DEFAULTS.items()}
    values["SITEURL"] = settings.get("SITEURL", "")
    problems = []
    for key in _INT_KEYS:
        value = values[key]
        # 0: month pages for every listing; every country in the matrix
        least = 0 if key in ("DIGEST_LISTING_ALL", "DIGEST_MATRIX_COUNTRIES",
                             "DIGEST_TREND_MONTHS", "DIGEST_HOME_RISES",
                             "DIGEST_SITE_LIMIT_MB") else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            problems.append(f"{key} must be a whole number of at least {least}, not {value!r}")
    for key, low, high in (("DIGEST_TREND_RISE", 1, None), ("DIGEST_TREND_FALL", 0, 1)):
        value = values[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= low \
                or (high is not None and value >= high):
            bounds = f"above {low}" + (f" and below {high}" if high is not None else "")
            problems.append(f"{key} must be a number {bounds}, not {value!r}")
    oauth, repo = values["DIGEST_ADMIN_OAUTH"], values["DIGEST_ADMIN_REPO"]
    if oauth and not (isinstance(oauth, str) and re.fullmatch(r"https://[A-Za-z0-9.-]+(?::\d+)?"
                                                             r"(?:/[^\s?#]*)?", oauth)):
        problems.append(f"DIGEST_ADMIN_OAUTH must be an https:// address (the OAuth service "
                        f"editors sign in through), not {oauth!r}")
    if repo and not (isinstance(repo, str) and re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+",
                                                            repo)):
        problems.append(f"DIGEST_ADMIN_REPO must be a GitHub repository as 'owner/name', "
                        f"not {repo!r}")
    try:
        parse_closes(values["DIGEST_WEEK_CLOSES"])
    except ValueError as exc:
        problems.append(str(exc))
    fields = {"slug": "x", "year": "2021", "month": "04", "week": "2021-W33"}
    for key, value in values.items():
        if key.endswith(("_URL", "_SAVE_AS")):
            problem = _path_problem(key, value)
            if problem:
                problems.append(problem)
                continue
            try:
                value.format(**fields)
            except (KeyError, IndexError, ValueError) as exc:
                problems.append(f"{key} = {value!r} uses an unknown field {exc}: use "
                                "{slug}, {year}, {month} and {week}")
    if problems:
        raise UsageError("invalid settings:\n  " + "\n  ".join(problems))
    return DigestSettings(values)
