"""The build's memory and the published output: warnings keep their severity, the gazetteer
and registry are part of what a build depends on, an incremental build is all or nothing,
the output holds only what the build wrote, and stages of killed builds do not pile up.
After any sequence of such changes, the output is a cold build's."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path

import pytest

import digest.build as build_module
from digest.build import build
from digest.core import tables
from digest.core.gazetteer import load_gazetteer
from digest.core.registry import load_registry
from digest.errors import BuildError
from digest.incremental.fingerprint import code_files

from conftest import Site, clipping_text
from test_incremental import CONF, _assert_same, _random_clipping, random_site

PACKAGED = tables.data_folder()


@pytest.fixture
def own_tables(tmp_path, monkeypatch):
    """A copy of the gazetteer's and registry's tables that a test may edit; the tables
    loaded from it are forgotten afterwards."""
    folder = tmp_path / "tables"
    shutil.copytree(PACKAGED, folder)
    monkeypatch.setattr(tables, "data_folder", lambda: folder)
    yield folder
    load_gazetteer.cache_clear()
    load_registry.cache_clear()
    tables._seen.clear()


def _tree_hash(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def test_the_code_fingerprint_covers_every_module():
    package = Path(build_module.__file__).resolve().parents[1]
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert modules <= {p.relative_to(package).as_posix() for p in code_files()}
    assert {"core/model.py", "build/__init__.py", "plugin/generator.py"} <= modules


def test_an_outlet_added_to_the_registry_is_known_to_the_next_build(site, own_tables):
    """`digest serve` builds many times in one process: an edit of the registry between two
    builds is seen by the second (its checks are made again, not taken from the cache)."""
    site.add("2021/04/a.md", source="Unlisted Outlet Weekly")
    first = build(site.project)
    assert any("not in the registry" in p.message for p in first.warnings)
    with open(own_tables / "sources.yml", "a", encoding="utf-8") as fh:
        fh.write("- name: Unlisted Outlet Weekly\n  domains: [unlisted.example]\n"
                 "  kind: news site\n  country: KG\n")
    second = build(site.project)
    assert not second.incremental  # what every check depends on changed
    assert not any("not in the registry" in p.message for p in second.warnings)


def test_a_gazetteer_alias_added_is_known_to_the_next_build(site, own_tables):
    site.add("2021/04/a.md", countries=["Kyrgyzstan", "Tajikistan"], regions="[Sughd Oblast]")
    with pytest.raises(BuildError, match="Sughd Oblast"):
        build(site.project)
    regions = own_tables / "regions.txt"
    regions.write_text(regions.read_text(encoding="utf-8") + "sughd | Sughd | region | "
                       "Sughd Oblast\n", encoding="utf-8")
    report = build(site.project)
    assert any("Sughd Oblast" in p.message for p in report.warnings)  # an alias: a warning
    assert "Sughd" in site.read("2021/04/a/index.html")


def test_files_put_into_output_by_hand_are_removed(site):
    site.add("2021/04/a.md")
    build(site.project)
    out = site.root / "output"
    (out / "evil.html").write_text("<script>alert(1)</script>")
    (out / ".env").write_text("SECRET=1")
    (out / "2021/04/a/extra.txt").write_text("left here")
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    report = build(site.project)
    assert report.incremental
    for name in ("evil.html", ".env", "2021/04/a/extra.txt"):
        assert not (out / name).exists(), name
        assert any(p.path.endswith(name) and "no build wrote it" in p.message
                   for p in report.warnings)
    assert "Another" in site.read("2021/04/b/index.html")


@pytest.mark.parametrize("times", ["kept", "garbled", "removed", "of another build"])
def test_files_put_by_hand_into_folders_seen_before_are_found(site, monkeypatch, times):
    """The output's folders are listed only where their change time moved since a build saw
    them (`incremental.look`): a file put into a folder of a page no build touched since is
    found all the same, and so it is when the record of those times is damaged."""
    from digest.incremental import look

    monkeypatch.setattr(look, "RECENT_NS", 0)  # (every change time trusted at once)
    for k in range(3):
        site.add(f"2021/04/c{k}.md", title=f"Clipping {k}", source_url=f"https://e.org/{k}")
    build(site.project)
    site.add("2021/05/d.md", title="Later", source_url="https://e.org/d", date="2021-05-02")
    build(site.project)  # (the times of the folders it did not change are carried on)
    out, record = site.root / "output", site.root / ".digest-cache/folders"
    assert "2021/04/c0\t" in record.read_text()
    (out / "2021/04/c0/evil.html").write_text("<script>alert(1)</script>")
    (out / "2021/04/c1/deeper/x").mkdir(parents=True)
    (out / "2021/04/c1/deeper/x/leak.txt").write_text("secret")
    if times == "garbled":
        record.write_bytes(b"\x00\xff garbage\nnot\ta number\n")
    elif times == "removed":
        record.unlink()
    elif times == "of another build":
        head, _, rest = record.read_text().partition("\n")
        record.write_text('{"token": "0123"}\n' + rest)
    site.add("2021/05/e.md", title="Latest", source_url="https://e.org/e", date="2021-05-03")
    report = build(site.project)
    assert report.incremental
    for name in ("2021/04/c0/evil.html", "2021/04/c1/deeper/x/leak.txt"):
        assert not (out / name).exists(), name
        assert any(p.path.endswith(name) and "no build wrote it" in p.message
                   for p in report.warnings)
    assert not (out / "2021/04/c1/deeper").exists()


def test_stages_of_killed_builds_are_removed(site):
    site.add("2021/04/a.md")
    build(site.project)
    left = site.root / ".digest-build" / "output-killed1"
    (left / "2021/04/a").mkdir(parents=True)
    (left / "2021/04/a/index.html").write_text("half made")
    old = site.root / ".output-old-99999"
    old.mkdir()
    (old / "index.html").write_text("a replaced output")
    build(site.project)
    assert not left.exists() and not old.exists()
    assert not (site.root / ".digest-build").exists()


def test_a_failed_search_step_leaves_the_output_as_it_was(tmp_path, monkeypatch):
    site = Site(tmp_path, CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True"))
    monkeypatch.chdir(tmp_path)
    site.add("2021/04/a.md")
    site.add("2021/05/b.md", title="Another", date="2021-05-02",
             source_url="https://example.org/b")
    build(site.project)
    before = _tree_hash(site.root / "output")
    assert any(name.startswith("pagefind/2021-q2/") for name in before)
    site.add("2021/04/c.md", title="Third", date="2021-04-20", source_url="https://example.org/c")
    import digest.build.search as search

    def fail(*args, **kwargs):
        raise BuildError("the search index could not be built: the indexer failed")

    monkeypatch.setattr(search, "search_index", fail)
    with pytest.raises(BuildError, match="search index"):
        build(site.project)
    assert _tree_hash(site.root / "output") == before
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    report = build(site.project)
    assert report.incremental and "Third" in site.read("2021/04/c/index.html")


def test_incremental_search_bundles_hold_a_cold_builds_pages(tmp_path, monkeypatch):
    """After an incremental build the bundles' live pages (each bundle's pages but those
    listed dead) are a cold build's pages, each indexed once, with the same fragment."""
    from digest.build.search_tiers import fragment_ids

    conf = CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True")
    work = Site(tmp_path / "work", conf)
    monkeypatch.chdir(work.root)
    rng = random.Random(7)
    for n in range(6):
        work.add(*_random_clipping(rng, n))
    build(work.project)
    work.add(*_random_clipping(rng, 50))
    rel, text = _random_clipping(rng, 3)  # (an edit of the fourth)
    work.add(rel, text.replace("Excerpt", "Edited excerpt"))
    assert build(work.project).incremental
    cold = Site(tmp_path / "cold", conf)
    shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
    monkeypatch.chdir(cold.root)
    build(cold.project)

    def live(site: Site) -> list[tuple[str, str]]:
        found = site.root / "output/pagefind"
        listed = json.loads((found / "bundles.json").read_text())
        pages = []
        for b in listed["bundles"]:
            ids = fragment_ids(found / b["name"])
            pages += [(url, fid) for url, fid in ids.items() if fid not in b["dead"]]
        return sorted(pages)

    pages = live(work)
    assert pages == live(cold) and len({url for url, _ in pages}) == len(pages) == 7
    assert "recent" in {b["name"] for b in json.loads(
        (work.root / "output/pagefind/bundles.json").read_text())["bundles"]}


def test_a_quarter_grown_past_its_bundles_limit_is_a_bundle_per_month(tmp_path, monkeypatch):
    """A quarter of more pages than DIGEST_SEARCH_BUNDLE_PAGES is indexed as a bundle per
    month; an incremental build that takes a quarter past the limit (or back under it) makes
    the months' bundles (or the quarter's) in place of the other, and the live pages are a
    cold build's, each once."""
    from digest.build.search_tiers import fragment_ids

    conf = CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True") + \
        "\nDIGEST_SEARCH_BUNDLE_PAGES = 2\n"
    work = Site(tmp_path / "work", conf)
    monkeypatch.chdir(work.root)
    work.add("2021/04/a.md", title="Alpha", date="2021-04-02")
    work.add("2021/05/b.md", title="Beta", date="2021-05-02")
    work.add("2021/08/c.md", title="Gamma", date="2021-08-02")
    build(work.project)
    found = work.root / "output/pagefind"

    def listed(site: Site) -> list[str]:
        data = json.loads((site.root / "output/pagefind/bundles.json").read_text())
        return [b["name"] for b in data["bundles"]]

    def live(site: Site) -> list[str]:
        data = json.loads((site.root / "output/pagefind/bundles.json").read_text())
        pages = []
        for b in data["bundles"]:
            ids = fragment_ids(site.root / "output/pagefind" / b["name"])
            pages += [url for url, fid in ids.items() if fid not in b["dead"]]
        return sorted(pages)

    assert listed(work) == ["2021-q3", "2021-q2"]
    q3 = (found / "2021-q3/pagefind.js").stat().st_ino
    work.add("2021/04/d.md", title="Delta", date="2021-04-20")  # (three pages in the quarter)
    assert build(work.project).incremental
    assert listed(work) == ["2021-q3", "2021-05", "2021-04"]
    assert not (found / "2021-q2").exists()
    assert (found / "2021-q3/pagefind.js").stat().st_ino == q3
    cold = Site(tmp_path / "cold", conf)
    shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
    monkeypatch.chdir(cold.root)
    build(cold.project)
    assert listed(cold) == listed(work) and live(cold) == live(work)
    assert len(live(work)) == 4
    monkeypatch.chdir(work.root)
    (work.root / "content/clippings/2021/05/b.md").unlink()  # (two again: one bundle)
    assert build(work.project).incremental
    assert listed(work) == ["2021-q3", "2021-q2"]
    assert live(work) == sorted(u for u in live(cold) if "/b/" not in u)
    assert not (found / "2021-04").exists() and not (found / "2021-05").exists()


OPERATIONS = ("add", "edit", "delete", "warning on", "warning off", "registry", "gazetteer",
              "page", "template", "setting", "output add", "output remove", "killed")


def _operate(op: str, work: Site, files: dict[str, str], rng: random.Random, n: int,
             own: Path, monkeypatch) -> None:
    """One change of the kinds an editor (or an accident) makes between builds."""
    clippings = work.root / "content/clippings"
    if op == "add" or (op in ("edit", "delete", "warning off") and not files):
        rel, text = _random_clipping(rng, n)
        files[rel] = text
        work.add(rel, text)
    elif op == "edit":
        rel = rng.choice(sorted(files))
        files[rel] = files[rel].replace("Excerpt", "Edited excerpt")
        work.add(rel, files[rel])
    elif op == "delete":
        rel = rng.choice(sorted(files))
        del files[rel]
        (clippings / rel).unlink()
    elif op == "warning on":  # an alias and an outlet the registry lacks: warnings
        rel = f"2021/04/w{n}.md"
        files[rel] = clipping_text(title=f"Warned {n}", date="2021-04-03",
                                   countries=["Kyrgyz Republic", "Tajikistan"],
                                   source="Unlisted Outlet Weekly", body=f"Warned {n}.")
        work.add(rel, files[rel])
    elif op == "warning off":
        for rel in sorted(files):
            if "Kyrgyz Republic" in files[rel]:
                files[rel] = files[rel].replace("Kyrgyz Republic", "Kyrgyzstan")
                work.add(rel, files[rel])
                break
    elif op == "registry":
        with open(own / "sources.yml", "a", encoding="utf-8") as fh:
            fh.write(f"- name: Outlet {n}\n  domains: [outlet{n}.example]\n  kind: news site\n"
                     "  country: KG\n")
    elif op == "gazetteer":
        regions = own / "regions.txt"
        regions.write_text(regions.read_text(encoding="utf-8") + f"r{n} | Region {n} | region |\n",
                           encoding="utf-8")
    elif op == "page":
        (work.root / "content/pages/about.md").write_text(
            f"---\ntitle: About\n---\n\nVersion {n}.\n", encoding="utf-8")
    elif op == "template":
        tpl = work.root / "theme/templates/base.html"
        tpl.write_text(tpl.read_text(encoding="utf-8") + f"\n{{# edit {n} #}}\n", encoding="utf-8")
    elif op == "setting":
        conf = work.root / "pelicanconf.py"
        conf.write_text(conf.read_text() + f"\nDIGEST_HOME_LATEST = {rng.randint(2, 6)}\n")
    elif op == "output add":
        (work.root / "output" / f"hand-{n}.html").write_text("<p>by hand</p>")
    elif op == "output remove":
        pages = sorted(p for p in (work.root / "output").rglob("index.html"))
        if pages:
            rng.choice(pages).unlink()
    elif op == "killed":  # a build killed while it changes the output, then a change
        rel, text = _random_clipping(rng, n)
        files[rel] = text
        work.add(rel, text)
        output, real = work.root / "output", os.replace

        def stop(src, dst):
            if Path(dst) == output or Path(dst).is_relative_to(output):
                raise KeyboardInterrupt
            return real(src, dst)

        monkeypatch.setattr(os, "replace", stop)
        try:
            with pytest.raises(KeyboardInterrupt):
                build(work.project)
        finally:
            monkeypatch.setattr(os, "replace", real)


@pytest.mark.parametrize("seed", [11, 12])
def test_any_sequence_of_changes_gives_a_cold_builds_output(tmp_path, monkeypatch, own_tables,
                                                            seed):
    """Clippings, warnings, the registry, the gazetteer, pages, templates, settings and the
    output folder itself changed in any order, with killed builds between: each build's
    output equals a cold build of the same project."""
    monkeypatch.setattr("digest.core.index.RELATED_POOL", 2)
    rng = random.Random(seed)
    work, files = random_site(tmp_path, monkeypatch, rng, 8)
    build(work.project)
    ops = list(OPERATIONS)
    rng.shuffle(ops)
    for step, op in enumerate(ops):
        _operate(op, work, files, rng, 100 + step, own_tables, monkeypatch)
        build(work.project)
        cold = Site(tmp_path / f"cold-{step}", (work.root / "pelicanconf.py").read_text())
        shutil.rmtree(cold.root / "theme")
        shutil.copytree(work.root / "theme", cold.root / "theme")
        shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
        monkeypatch.chdir(cold.root)
        build(cold.project)
        monkeypatch.chdir(work.root)
        _assert_same(work.root / "output", cold.root / "output")
