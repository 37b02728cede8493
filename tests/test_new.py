"""`digest new`, by options, by prompts, and from an article's page (file or 127.0.0.1)."""

from __future__ import annotations

import http.server
import functools
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digest.cli import app
from digest.importers.html import USER_AGENT, extract, iso_date
from tests.browser import free_port
from tests.conftest import FIXTURES

runner = CliRunner()
PAGES = FIXTURES / "pages"


def test_extract_json_ld_graph():
    facts = extract((PAGES / "rferl-graph.html").read_bytes())
    assert facts.title == "Kyrgyz-Tajik Border Talks Stall Again"
    assert facts.author == "Farangis Najibullah"
    assert facts.date == "2021-05-12T09:30:00+02:00"
    assert facts.source == "RFE/RL"
    assert facts.source_url == "https://www.rferl.org/a/kyrgyz-tajik-border-talks/31250000.html"
    assert facts.excerpt.startswith("Delegations from Bishkek")
    assert facts.countries == ["Kyrgyzstan", "Tajikistan"]


@pytest.mark.parametrize("ld", [
    '{"@type": "NewsArticle", "author": ' + '{"name": ' * 100_000 + '"a"' + '}' * 100_001,
    "[" * 100_000 + "]" * 100_000,
    '{"@type": "NewsArticle", "headline": "Deep", "author": ' + "[" * 900 + '"a"' + "]" * 900
    + "}",
], ids=["objects", "lists", "author lists"])
def test_json_ld_nested_past_any_use_is_passed_over(ld):
    """Metadata nested 100,000 deep (past what the JSON decoder can take), or a list of names
    nested 900 deep, is passed over: the page's other facts are read."""
    page = (PAGES / "rferl-graph.html").read_text(encoding="utf-8")
    page = page.replace("<head>", f'<head><script type="application/ld+json">{ld}</script>', 1)
    facts = extract(page)
    assert facts.title in ("Kyrgyz-Tajik Border Talks Stall Again", "Deep")
    assert facts.excerpt.startswith("Delegations from Bishkek")


def test_extract_plain_meta_and_time():
    facts = extract((PAGES / "plain-meta.html").read_bytes())
    assert (facts.title, facts.author, facts.date) == ("Sino-Kazakh trade grows", "Ann Lee", "2022-03-04")
    assert facts.source == "The Diplomat"  # from the address's domain, through the registry
    assert facts.excerpt == "Trade between China and Kazakhstan grew by a fifth last year."
    assert facts.countries == ["China", "Kazakhstan"]


def test_iso_dates_are_never_guessed():
    assert iso_date("2021-05-12T09:30:00Z") == "2021-05-12T09:30:00+00:00"
    assert iso_date("2021-05-12T09:30:00") == "2021-05-12"
    assert iso_date("May 12, 2021") == "" and iso_date("2021-02-30") == ""


def test_new_with_every_option(site):
    args = ["new", "--no-input", "--title", "Border talks stall", "--date", "2021-05-12",
            "--category", "News", "--country", "Kyrgyzstan", "--country", "Tajikistan",
            "--source", "RFE/RL", "--excerpt", "Talks ended without agreement."]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    path = site.project.clippings / "2021/05/border-talks-stall.md"
    assert path.exists() and "countries: [Kyrgyzstan, Tajikistan]" in path.read_text()
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    assert (site.project.clippings / "2021/05/border-talks-stall-2.md").exists()
    assert "Talks ended" in path.read_text()  # the first file is untouched
    check = runner.invoke(app, ["check"])  # the same headline twice: a warning naming both
    assert check.exit_code == 0
    assert "border-talks-stall.md: warning: near-identical headline from RFE/RL within 7 days " \
        "as content/clippings/2021/05/border-talks-stall-2.md" in check.output


def test_new_fails_with_the_problems(site):
    result = runner.invoke(app, ["new", "--no-input", "--title", "X", "--date", "2021-05-12",
                                 "--category", "News", "--country", "Kyrgystan", "--source",
                                 "TASS", "--excerpt", "x"])
    assert result.exit_code == 1
    assert "unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)" in result.output
    assert not any(site.project.clippings.rglob("*.md"))
    result = runner.invoke(app, ["new", "--no-input", "--title", "X", "--date", "12.05.2021"])
    assert result.exit_code == 1 and "not an ISO date" in result.output


def test_new_prompts_for_what_is_missing(site):
    answers = "\n".join(["Border talks", "2021-05-12", "News", "Kyrgystan", "n",
                         "Kyrgyzstan, Tajikistan", "", "", "", "RFE RL", "", "An excerpt."]) + "\n"
    result = runner.invoke(app, ["new"], input=answers)
    assert result.exit_code == 0, result.output
    assert "unknown country 'Kyrgystan' (did you mean Kyrgyzstan?)" in result.output
    text = (site.project.clippings / "2021/05/border-talks.md").read_text()
    assert "countries: [Kyrgyzstan, Tajikistan]" in text
    assert "'RFE RL' is RFE/RL" in result.output and "source: RFE/RL" in text


def test_each_answer_is_checked_as_it_is_typed_and_a_suggestion_taken_with_enter(site):
    site.add("2021/04/old.md", title="Old talks", category="News", topics=["Water Security"],
             source_url="https://tass.com/old")
    answers = "\n".join([
        "Border talks", "12 March 2023", "2023-03-12",  # (the date asked again, not lost)
        "news",  # (the digest writes it News)
        "Kyrgystan", "",  # (Enter takes Kyrgyzstan)
        "GBAO, Central Asia", "Central Asia",  # (GBAO is no region the gazetteer knows)
        "water security",
        "https://tass.com/old", "https://tass.com/new",  # (that original is clipped already)
        "TASS", "Ivan Petrov", "Correspondent", "An excerpt."]) + "\n"
    result = runner.invoke(app, ["new"], input=answers)
    assert result.exit_code == 0, result.output
    assert "date '12 March 2023' is not an ISO date" in result.output
    assert "the digest writes it News" in result.output
    assert "this original is clipped already" in result.output
    text = (site.project.clippings / "2023/03/border-talks.md").read_text()
    for line in ("category: News", "countries: [Kyrgyzstan]", "regions: [Central Asia]",
                 "topics: [Water Security]", "source_url: https://tass.com/new",
                 "author: Ivan Petrov", "author_role: Correspondent"):
        assert line in text, (line, text)
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_no_input_refuses_another_spelling_of_a_category_in_use(site):
    site.add("2021/04/old.md", category="News")
    result = runner.invoke(app, ["new", "--no-input", "--title", "Talks", "--date",
                                 "2021-05-12", "--category", "news", "--country", "Kyrgyzstan",
                                 "--source", "TASS", "--excerpt", "x"])
    assert result.exit_code == 1
    assert "category 'news' would share the page of 'News', as the digest spells it" in \
        result.output
    assert len(list(site.project.clippings.rglob("*.md"))) == 1


def test_a_new_outlet_is_added_on_the_way(site):
    answers = "\n".join(["Talks", "2021-05-12", "News", "Kyrgyzstan", "", "",
                         "https://asiatimes.com/2021/05/talks/", "Asia Times", "", "", "",
                         "HK", "", "An excerpt."]) + "\n"
    result = runner.invoke(app, ["new"], input=answers)
    assert result.exit_code == 0, result.output
    entry = (site.root / "data" / "sources.yml").read_text()
    assert "- name: Asia Times\n  domains: [asiatimes.com]\n  kind: news site\n  country: HK" \
        in entry
    assert "not in the registry" not in runner.invoke(app, ["check"]).output


def test_nothing_written_keeps_the_answers_and_resume_goes_on(site):
    first = runner.invoke(app, ["new", "--no-input", "--title", "Kept talks", "--date",
                                "2021-05-12", "--country", "Kyrgyzstan"])
    assert first.exit_code == 1
    assert "the answers are kept in .digest-cache/new-draft.json: `digest new --resume`" in \
        first.output
    stopped = runner.invoke(app, ["new", "--resume"], input="\n\n")  # (input ends: Ctrl-D)
    assert stopped.exit_code == 1 and "the answers are kept" in stopped.output
    done = runner.invoke(app, ["new", "--resume", "--no-input", "--category", "News",
                               "--source", "TASS", "--excerpt", "An excerpt."])
    assert done.exit_code == 0, done.output
    text = (site.project.clippings / "2021/05/kept-talks.md").read_text()
    assert "countries: [Kyrgyzstan]" in text and "date: 2021-05-12" in text
    assert not (site.root / ".digest-cache" / "new-draft.json").exists()
    again = runner.invoke(app, ["new", "--resume"])
    assert again.exit_code == 2 and "no answers are kept" in again.output


def test_new_from_a_saved_page_then_confirm(site):
    answers = "\n" * 12  # accept every pre-filled value
    result = runner.invoke(app, ["new", "--from-html", str(PAGES / "rferl-graph.html")],
                           input=answers)
    assert result.exit_code == 0, result.output
    text = (site.project.clippings / "2021/05/kyrgyz-tajik-border-talks-stall-again.md").read_text()
    assert "date: 2021-05-12T09:30:00+02:00" in text and "author: Farangis Najibullah" in text
    assert "source: RFE/RL" in text and "countries: [Kyrgyzstan, Tajikistan]" in text


def test_no_input_takes_the_countries_the_page_suggests_and_a_page_is_clipped_once(site):
    page = str(PAGES / "rferl-graph.html")
    result = runner.invoke(app, ["new", "--no-input", "--category", "News", "--from-html", page])
    assert result.exit_code == 0, result.output
    (written,) = site.project.clippings.rglob("*.md")
    assert "countries: [Kyrgyzstan, Tajikistan]" in written.read_text()
    again = runner.invoke(app, ["new", "--no-input", "--category", "News", "--from-html", page])
    assert again.exit_code == 1
    shown = site.project.display(written)
    assert f"{shown}: this original (" in again.output and "clipped already" in again.output
    assert len(list(site.project.clippings.rglob("*.md"))) == 1


class _Handler(http.server.SimpleHTTPRequestHandler):
    agents: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/slow":
            import time
            time.sleep(3)
        try:
            return super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            return None  # the client gave up waiting, as the test intends


def test_new_from_an_address_on_127_0_0_1(site, monkeypatch):
    port = free_port()
    handler = functools.partial(_Handler, directory=str(PAGES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = runner.invoke(app, ["new", "--no-input", "--category", "News", "--country", "China",
                                     "--country", "Kazakhstan", "--from-html",
                                     f"http://127.0.0.1:{port}/plain-meta.html"])
        assert result.exit_code == 0, result.output
        assert _Handler.agents[-1] == USER_AGENT
        missing = runner.invoke(app, ["new", "--no-input", "--from-html",
                                      f"http://127.0.0.1:{port}/missing.html"])
        assert missing.exit_code == 2 and "HTTP 404" in missing.output
        import digest.importers.html as h
        monkeypatch.setattr(h, "TIMEOUT", 0.5)
        slow = runner.invoke(app, ["new", "--no-input", "--from-html", f"http://127.0.0.1:{port}/slow"])
        assert slow.exit_code == 2 and "fetching" in slow.output
    finally:
        server.shutdown()
        server.server_close()
    assert runner.invoke(app, ["new", "--no-input", "--from-html", "ftp://x/y"]).exit_code == 2


def test_headline_slugs_leave_out_little_words_and_stay_short():
    from digest.core.model import HEADLINE_SLUG_MAX, headline_slug

    assert headline_slug("Russia redeploys attack aircraft from Kyrgyzstan to Tajikistan for "
                         "drills on border") == "russia-redeploys-attack-aircraft-kyrgyzstan-tajikistan"
    assert headline_slug("Sino-Tajik relations: an unequal partnership") == \
        "sino-tajik-relations-unequal-partnership"
    assert headline_slug("The A") == "the-a"  # nothing but little words: kept
    assert headline_slug("Of") == "of"
    assert headline_slug("Türkiye’s role") == "turkiyes-role"
    assert headline_slug("!!!") == ""
    long = headline_slug("Word " * 40)
    assert len(long) <= HEADLINE_SLUG_MAX and not long.endswith("-") and long.startswith("word-")
