"""A project's own outlets and places: data/sources.yml and data/places.yml beside content/."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from digest.build import build
from digest.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def sources(site, text: str) -> None:
    (site.root / "data").mkdir(exist_ok=True)
    (site.root / "data" / "sources.yml").write_text(text, encoding="utf-8")


def places(site, text: str) -> None:
    (site.root / "data").mkdir(exist_ok=True)
    (site.root / "data" / "places.yml").write_text(text, encoding="utf-8")


def test_a_new_outlet_is_a_warning_naming_the_command_then_known_from_the_project(site):
    site.add("2021/04/talks.md", source="Asia Times", source_url="https://asiatimes.com/x")
    result = run("check")
    assert "outlet 'Asia Times' is not in the registry" in result.output
    assert "digest source add 'Asia Times' --domain DOMAIN --kind KIND --country CC" in \
        result.output
    added = run("source", "add", "Asia Times", "--domain", "asiatimes.com", "--kind",
                "news site", "--country", "HK", "--feed", "https://asiatimes.com/feed/")
    assert added.exit_code == 0 and "added Asia Times to data/sources.yml" in added.output
    text = (site.root / "data" / "sources.yml").read_text()
    assert "- name: Asia Times\n  domains: [asiatimes.com]\n  kind: news site\n  country: HK\n" \
           "  feeds: ['https://asiatimes.com/feed/']\n" in text
    result = run("check")
    assert result.exit_code == 0 and "not in the registry" not in result.output


def test_source_add_refuses_what_the_build_would_refuse(site):
    assert run("source", "add", "Asia Times", "--domain", "asiatimes.com").exit_code == 0
    again = run("source", "add", "Asia Times", "--domain", "asiatimes.com")
    assert again.exit_code == 1 and "data/sources.yml:4: 'Asia Times' is here already" in \
        again.output
    packaged = run("source", "add", "TASS", "--domain", "tass.example")
    assert packaged.exit_code == 2 and "--replace" in packaged.output
    taken = run("source", "add", "Agency X", "--domain", "tass.com")
    assert taken.exit_code == 2 and "tass.com is TASS's domain already" in taken.output
    bad = run("source", "add", "Y", "--domain", "https://y.org", "--kind", "site",
              "--country", "Uzbekistan")
    assert bad.exit_code == 2
    assert "'https://y.org' is not a domain" in bad.output and "kind 'site'" in bad.output
    assert "country 'Uzbekistan' is not an ISO 3166 code" in bad.output
    assert run("source", "add", "Z").exit_code == 2  # (no domain)
    assert (site.root / "data" / "sources.yml").read_text().count("- name:") == 1


def test_a_project_entry_with_a_packaged_name_replaces_it(site):
    site.add("2021/04/talks.md", source="RIA Novosti", source_url="https://tass.com/politics/1")
    assert "source_url is on TASS's site (tass.com)" in run("check").output
    sources(site, "- name: TASS\n  domains: [tass.example]\n  kind: state news agency\n")
    result = run("check")  # (tass.com is no longer TASS's: the project's entry replaced it)
    assert result.exit_code == 0 and "TASS's site" not in result.output, result.output


def test_problems_in_a_data_file_name_the_file_and_line_and_stop_every_command(site):
    sources(site, "- name: Kun.uz\n  domains: [kun.uz]\n- name: Daryo Two\n  kind: nonsense\n"
            "  domains: [https://daryo.uz]\n  colour: red\n- name: Kun.uz\n  domains: [x.uz]\n")
    site.add("2021/04/talks.md")
    for command in (("check",), ("build",)):
        result = run(*command)
        assert result.exit_code == 1, (command, result.output)
        assert "data/sources.yml:3: kind 'nonsense' is not one of" in result.output
        assert "data/sources.yml:3: 'https://daryo.uz' is not a domain" in result.output
        assert "data/sources.yml:3: unknown field 'colour'" in result.output
        assert "data/sources.yml:7: 'Kun.uz' is named twice in this file (also at line 1)" in \
            result.output
        assert "an entry looks like:" in result.output
    assert not (site.root / "output").exists()
    sources(site, "- name: [unclosed\n")
    result = run("check")
    assert result.exit_code == 1 and re.search(r"data/sources.yml:\d+: not YAML", result.output)


def test_places_extend_the_gazetteer(site):
    places(site, "regions:\n  - name: Badakhshan\n    aliases: [GBAO, Gorno-Badakhshan]\n"
           "countries:\n  - code: KG\n    aliases: [Kirgiziya]\n")
    site.add("2021/04/talks.md", countries=("Kirgiziya", "Tajikistan"), regions=["GBAO"])
    result = run("check")
    assert "'Kirgiziya' is another name for Kyrgyzstan" in result.output, result.output
    assert "'GBAO' is another name for Badakhshan" in result.output
    site.add("2021/04/talks.md", countries=("Kyrgyzstan", "Tajikistan"),
             regions=["Badakhshan"])
    assert run("check").exit_code == 0
    report = build(site.project)
    assert report.clippings == 1
    assert "Badakhshan" in site.read("regions/badakhshan/index.html")
    places(site, "regions:\n  - name: Badakhshan\n  - name: Badakhshan\ncountries:\n"
           "  - code: QQ\n")
    result = run("check")
    assert "data/places.yml:3: 'Badakhshan' is named twice in this file (also at line 2)" in \
        result.output
    assert "data/places.yml:5: code 'QQ' is not an ISO 3166 code" in result.output


def test_the_build_knows_the_data_files(site):
    """An outlet added to the project's registry changes the next build (the warning goes):
    the data files are part of what the build's cache is keyed on."""
    site.add("2021/04/talks.md", source="Asia Times")
    first = build(site.project)
    assert any("Asia Times" in w.message for w in first.warnings)
    sources(site, "- name: Asia Times\n  domains: [asiatimes.com]\n")
    second = build(site.project)
    assert not any("not in the registry" in w.message for w in second.warnings)
    assert not second.incremental  # (a registry change is a full build)
