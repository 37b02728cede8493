"""Incremental builds: after any sequence of additions, edits and deletions the output is
byte-identical to a cold build of the same content; changes to code, theme or settings
rebuild everything; an interrupted build is followed by a full one."""

from __future__ import annotations

import filecmp
import json
import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from digest.build import CACHE_FILE, build
from digest.core.model import Clipping
from digest.incremental.fingerprint import code_fingerprint
from digest.incremental.store import Store

from conftest import PELICANCONF, Site, clipping_text

COUNTRIES = ("Kyrgyzstan", "Tajikistan", "Uzbekistan", "Kazakhstan", "Russia", "China")
SOURCES = ("RFE/RL", "TASS", "Eurasianet", "Al Jazeera")
CATEGORIES = ("News", "Analysis")
TOPICS = ("Water", "Borders", "Defense")
# Small limits so that a small corpus exercises everything: listings longer than their first
# page, months split by day, pairs under the threshold, related clippings.
CONF = PELICANCONF.replace('SITEURL = ""', 'SITEURL = "https://digest.example.org"') + '''
DIGEST_LISTING_LATEST = 3
DIGEST_LISTING_ALL = 4
DIGEST_MONTH_MAX = 3
DIGEST_PAIR_MIN_CLIPPINGS = 2
DIGEST_FEED_MAX_ITEMS = 4
DIGEST_HOME_LATEST = 4
DIGEST_RELATED = 2
DIGEST_SEARCH = False
'''


def _random_clipping(rng: random.Random, n: int) -> tuple[str, str]:
    month = rng.choice(["2021/03", "2021/04", "2021/05"])
    day = rng.randint(1, 4)
    slug = f"c{n}"
    fields = dict(
        title=f"Clipping {n} {rng.choice(['talks', 'clash', 'water'])}",
        date=f"{month.replace('/', '-')}-{day:02d}",
        countries=rng.sample(COUNTRIES, rng.randint(1, 3)),
        source=rng.choice(SOURCES), category=rng.choice(CATEGORIES),
        body=f"Excerpt {n} {rng.random():.6f}.",
    )
    if rng.random() < 0.5:
        fields["topics"] = rng.sample(TOPICS, rng.randint(1, 2))
    if rng.random() < 0.2:
        fields["regions"] = ["Central Asia"]
    return f"{month}/{slug}.md", clipping_text(**fields)


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _assert_same(incremental: Path, cold: Path) -> None:
    a, b = _tree(incremental), _tree(cold)
    assert a == b, f"only incremental: {sorted(a - b)[:5]}; only cold: {sorted(b - a)[:5]}"
    _match, mismatch, errors = filecmp.cmpfiles(incremental, cold, sorted(a), shallow=False)
    assert not mismatch and not errors, f"files differ: {mismatch[:5]}"
    # No empty folders left behind by deleted pages either.
    dirs_a = {p.relative_to(incremental) for p in incremental.rglob("*") if p.is_dir()}
    dirs_b = {p.relative_to(cold) for p in cold.rglob("*") if p.is_dir()}
    assert dirs_a == dirs_b


def _assert_same_as_cold(work: Site, folder: Path, monkeypatch) -> None:
    """Assert that `work`'s output is that of a cold build (in `folder`) of its content."""
    cold = Site(folder, CONF)
    shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
    monkeypatch.chdir(cold.root)
    build(cold.project)
    monkeypatch.chdir(work.root)
    _assert_same(work.root / "output", cold.root / "output")


def _index_shape(index) -> dict:
    """Everything a DigestIndex groups, by clipping path: to compare two indexes."""
    from digest.core.index import KINDS

    shape = {"clippings": [c.path for c in index.clippings],
             "months": [(m, [c.path for c in cs]) for m, cs in index.by_month.items()],
             "all pairs": sorted((g.slug, [c.path for c in g.clippings])
                                 for g in index.all_pairs.values())}
    for kind in KINDS:
        shape[kind] = [(g.slug, g.name, g.entity, [c.path for c in g.clippings])
                       for g in index.groups[kind]]
    return shape


def _spy_on_restore(monkeypatch) -> list[int]:
    """Count the indexes restored from a snapshot, checking each against one made afresh."""
    import digest.incremental.restore as restore_module
    from digest.core.index import DigestIndex

    restore, restored = restore_module.restore_index, []

    def checked_restore(snapshot, kept, added, gazetteer, pair_min=1):
        index, unchanged = restore(snapshot, kept, added, gazetteer, pair_min)
        everything = [c for c in kept if c is not None] + list(added)
        assert _index_shape(index) == _index_shape(DigestIndex(everything, pair_min))
        restored.append(len(added))
        return index, unchanged

    monkeypatch.setattr(restore_module, "restore_index", checked_restore)
    return restored


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_builds_equal_a_cold_build(tmp_path, monkeypatch, seed):
    # Related clippings chosen among 2 per country, so that the window of pages a change can
    # reach is smaller than the corpus.
    monkeypatch.setattr("digest.core.index.RELATED_POOL", 2)
    restored = _spy_on_restore(monkeypatch)
    rng = random.Random(seed)
    work, files = random_site(tmp_path, monkeypatch, rng, 12)
    report = build(work.project)
    assert not report.incremental
    counter = 100
    for _step in range(5):
        for _op in range(rng.randint(1, 3)):
            op = rng.choice(["add", "add", "edit", "edit", "delete", "move"])
            if op == "add" or not files:
                counter += 1
                rel, text = _random_clipping(rng, counter)
                files[rel] = text
                work.add(rel, text)
            elif op == "edit":  # same file: new title, countries, day, body
                rel = rng.choice(sorted(files))
                _, text = _random_clipping(rng, counter + 1000)
                month = rel[:7]
                text = text.replace(text.split("date: ")[1][:7], month.replace("/", "-"))
                slug = Path(rel).stem
                files[rel] = text
                work.add(rel, text)
                assert slug
            elif op == "delete":
                rel = rng.choice(sorted(files))
                del files[rel]
                (work.root / "content/clippings" / rel).unlink()
            else:  # a new date in another month: the file moves
                rel = rng.choice(sorted(files))
                text = files.pop(rel)
                (work.root / "content/clippings" / rel).unlink()
                month = rng.choice(["2021/03", "2021/04", "2021/05", "2021/06"])
                old_date = text.split("date: ")[1][:10]
                text = text.replace(f"date: {old_date}", f"date: {month.replace('/', '-')}-09")
                new_rel = f"{month}/{Path(rel).name}"
                files[new_rel] = text
                work.add(new_rel, text)
        report = build(work.project)
        assert report.incremental
        assert len(restored) == _step + 1  # from the last build's snapshot
        _assert_same_as_cold(work, tmp_path / f"cold-{_step}", monkeypatch)


def test_adding_one_clipping_renders_only_what_it_changes(tmp_path, monkeypatch):
    site = Site(tmp_path, CONF)
    monkeypatch.chdir(tmp_path)
    for i in range(30):
        site.add(f"2021/04/old-{i}.md", title=f"Old {i}", date=f"2021-04-{i % 28 + 1:02d}",
                 countries=("Russia", "China") if i % 2 else ("Kazakhstan", "Uzbekistan"))
    full = build(site.project)
    site.add("2021/04/new.md", title="New", date="2021-04-29",
             countries=("Kyrgyzstan", "Tajikistan"))
    report = build(site.project)
    assert report.incremental and report.rendered < full.rendered / 3
    assert "New" in site.read("2021/04/new/index.html")
    # the clippings of other countries kept their pages: same file, not rewritten
    assert report.rendered <= 30
    # A new month is a new row in every trend table: the first pages of the countries and
    # pairs, and April's pages (which now link to May), but no other clipping's page.
    pages = sorted((site.root / "output/2021/04").glob("old-*/index.html"))
    before = {p: p.stat().st_mtime_ns for p in pages}
    site.add("2021/05/newer.md", title="Newer", date="2021-05-02",
             countries=("Kyrgyzstan", "Tajikistan"))
    report = build(site.project)
    assert report.incremental and report.rendered < full.rendered
    assert {p: p.stat().st_mtime_ns for p in pages} == before
    assert "May 2021 →" in site.read("2021/04/index.html")
    assert "May 2021" in site.read("countries/russia/index.html")
    _assert_same_as_cold(site, tmp_path / "cold", monkeypatch)


def test_no_change_rebuild_keeps_every_clipping_page(site):
    site.add("2021/04/a.md")
    build(site.project)
    page = site.root / "output/2021/04/a/index.html"
    inode = page.stat().st_ino
    report = build(site.project)
    assert report.incremental and page.stat().st_ino == inode


@pytest.mark.parametrize("change", ["template", "setting", "page", "output", "interrupted",
                                    "corrupt cache", "foreign cache"])
def test_changes_beyond_the_clippings_rebuild_everything(site, change):
    site.add("2021/04/a.md")
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    build(site.project)
    if change == "template":
        tpl = site.root / "theme/templates/article.html"
        tpl.write_text(tpl.read_text().replace("Read the original", "Read the full original"))
    elif change == "setting":
        conf = site.root / "pelicanconf.py"
        conf.write_text(conf.read_text().replace('"Test Digest"', '"Renamed Digest"'))
    elif change == "page":
        (site.root / "content/pages/about.md").write_text("---\ntitle: About\n---\n\nHi.\n")
    elif change == "output":
        shutil.rmtree(site.root / "output/2021")
    elif change == "interrupted":
        store = Store(site.root / CACHE_FILE, "ignored")  # wipes checks, keeps the build
        store.begin_update()
        store.close()
    elif change == "corrupt cache":
        (site.root / CACHE_FILE).write_bytes(b"not a database" * 100)
        for suffix in ("-wal", "-shm"):
            Path(str(site.root / CACHE_FILE) + suffix).unlink(missing_ok=True)
    else:  # a store of this version number with tables of another layout
        from digest.incremental.store import SCHEMA

        for suffix in ("", "-wal", "-shm"):
            Path(str(site.root / CACHE_FILE) + suffix).unlink(missing_ok=True)
        db = sqlite3.connect(site.root / CACHE_FILE)
        db.execute(f"PRAGMA user_version={SCHEMA}")
        db.execute("CREATE TABLE checked (sha256 TEXT, rel TEXT, title TEXT)")
        db.execute("INSERT INTO checked VALUES ('x', '2021/04/a.md', 'A')")
        db.commit()
        db.close()
    report = build(site.project)
    if change == "output":
        assert (site.root / "output/2021/04/a/index.html").is_file()
    assert not report.incremental
    html = site.read("2021/04/b/index.html")
    if change == "template":
        assert "Read the full original" in html
    if change == "setting":
        assert "Renamed Digest" in html and "Test Digest" not in html


def test_a_store_found_damaged_during_a_build_is_made_afresh(tmp_path, monkeypatch):
    """The store is written without waiting for the disk: a power cut can leave pages of it
    damaged while it still opens. The build that finds so removes it and builds in full, the
    cold build's site, and the next build is incremental again."""
    rng, work = _built_random_site(tmp_path, monkeypatch, 5)
    path = work.root / CACHE_FILE
    assert not Path(f"{path}-wal").exists()  # (all of it is in the file)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    # Every page but the first three (the tables' list, then `meta` and its index): the
    # store still opens, and the build finds the rest damaged only when it reads it.
    data[3 * page:] = b"\x5a" * (len(data) - 3 * page)
    path.write_bytes(bytes(data))
    store = Store(path, code_fingerprint())
    try:
        assert store.meta("state") == "clean"
        with pytest.raises(sqlite3.DatabaseError):
            store.built()
    finally:
        store.close()
    work.add(*_random_clipping(rng, 40))
    report = build(work.project)
    assert not report.incremental and report.clippings == 11
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)
    work.add(*_random_clipping(rng, 41))
    assert build(work.project).incremental


def test_cache_is_sqlite_with_json_never_a_pickle(site):
    import sqlite3

    site.add("2021/04/a.md")
    build(site.project)
    db = sqlite3.connect(site.root / CACHE_FILE)
    import json

    from digest.incremental.records import RECORD_FIELDS

    for (record,) in db.execute("SELECT record FROM checked"):
        assert json.loads(record)[RECORD_FIELDS.index("slug")] == "a"
    assert not list(site.root.rglob("*.pickle")) and not list(site.root.rglob("*.pkl"))
    assert os.path.getsize(site.root / CACHE_FILE) > 0


def _failing_in_child(real):
    """`real`, except that it fails in any process forked from this one."""
    parent = os.getpid()

    def wrapper(*args, **kwargs):
        if os.getpid() != parent:
            raise OSError("failing in a forked process, as the test asks")
        return real(*args, **kwargs)

    return wrapper


def test_files_are_read_here_when_the_reading_process_fails(site, monkeypatch):
    """The clipping files are read and hashed in a forked process; if it fails, the build
    reads them itself and is the same."""
    import digest.build.reading as reading

    site.add("2021/04/a.md")
    build(site.project)
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    monkeypatch.setattr(reading, "hash_files", _failing_in_child(reading.hash_files))
    report = build(site.project)
    assert report.incremental and report.clippings == 2
    assert "Another" in site.read("2021/04/b/index.html")


@pytest.mark.parametrize("child", ["answers", "fails"])
def test_checks_across_files_in_their_own_process(site, monkeypatch, child):
    """A large digest's duplicate and near-identical checks run beside the rendering: their
    warnings are reported and their errors stop the build, output untouched; if the process
    fails, the checks are made in the build's own."""
    import digest.build.check as site_module
    import digest.core.across as validate

    from digest.errors import BuildError

    monkeypatch.setattr(site_module, "_CROSS_FORK_MIN", 0)
    if child == "fails":
        monkeypatch.setattr(validate, "corpus_problems",
                            _failing_in_child(validate.corpus_problems))
    title = "Kyrgyzstan and Tajikistan agree to resume border talks"
    site.add("2021/04/a.md", title=title, date="2021-04-10",
             source_url="https://example.org/a")
    build(site.project)
    site.add("2021/04/b.md", title=title + ".", date="2021-04-12",
             source_url="https://example.org/b")
    report = build(site.project)
    assert report.incremental
    near = [str(w) for w in report.warnings if "near-identical headline" in str(w)]
    assert len(near) == 2 and any("2021/04/a.md" in w for w in near)
    site.add("2021/04/c.md", title="Something else", date="2021-04-13",
             source_url="https://example.org/a")
    before = sorted(p.relative_to(site.root) for p in (site.root / "output").rglob("*"))
    with pytest.raises(BuildError) as caught:
        build(site.project)
    assert any("the same original (source_url)" in str(p) and "2021/04/c.md" in p.path
               for p in caught.value.problems)
    assert sorted(p.relative_to(site.root) for p in (site.root / "output").rglob("*")) == before
    assert not (site.root / "output/2021/04/c").exists()


def test_an_unreadable_clipping_is_an_error_naming_it(tmp_path):
    from digest.build.reading import check_one

    display, _sha, problems, item = check_one((str(tmp_path / "gone.md"), "clippings/gone.md",
                                                "gone.md", str(tmp_path), None))
    assert item is None and problems[0].path == "clippings/gone.md"
    assert "cannot read the file" in problems[0].message and problems[0].is_error


def test_a_second_build_at_the_same_time_is_refused(site):
    import fcntl

    from digest.errors import UsageError

    site.add("2021/04/a.md")
    lock = site.root / ".digest-cache/build.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(UsageError, match="another `digest build`"):
            build(site.project)
    assert build(site.project).clippings == 1


def test_a_stored_clipping_is_the_clipping_it_was(tmp_path):
    """The store writes a clipping as JSON and reads it back without the dataclass's
    constructor: every field must come back, with the right types."""
    import dataclasses
    import datetime as dt

    from digest.core.gazetteer import load_gazetteer
    from digest.core.model import Clipping
    from digest.incremental.records import clipping_from_record, clipping_record

    g = load_gazetteer()
    for date in (dt.date(2021, 4, 30),
                 dt.datetime(2021, 4, 30, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=6)))):
        original = Clipping(
            title="Border talks", date=date, category="News",
            countries=(g.by_code["KG"], g.by_code["TJ"]), source="RFE/RL", slug="border-talks",
            regions=(g.by_slug["central-asia"],), topics=("Water", "Borders"), author="A. B.",
            author_role="Correspondent", source_url="https://www.rferl.org/a/1.html",
            source_site="rferl.org", source_title="Talks", path="content/clippings/x.md")
        back = clipping_from_record(clipping_record(original), g)
        assert type(back) is Clipping and back == original and back.path == original.path
        for f in dataclasses.fields(Clipping):
            expected = getattr(original, f.name) if f.name != "body" else ""
            assert getattr(back, f.name) == expected and \
                type(getattr(back, f.name)) is type(expected), f.name
        fresh = dataclasses.replace(original)  # its derived values not yet computed
        for derived in ("pairs", "sort_key", "day", "month"):
            assert getattr(back, derived) == getattr(fresh, derived), derived
            assert type(getattr(back, derived)) is type(getattr(fresh, derived)), derived
        assert back.sort_key[0].tzinfo is not None
        assert hash(back) == hash(original)
        with pytest.raises(dataclasses.FrozenInstanceError):
            back.title = "changed"


@pytest.mark.parametrize("tampered", [False, True])
def test_data_files_reuse_the_last_builds_rows(tmp_path, monkeypatch, tampered):
    """An incremental build takes the rows of unchanged clippings from the data files the last
    build wrote (it reads only the new rows from the store), unless those files are not the
    ones it recorded; either way the files are those of a cold build."""
    from digest.incremental.store import Store as RealStore

    conf = CONF + "DIGEST_JOBS = 1\n"  # the data files written here, where the test sees it
    work = Site(tmp_path / "work", conf)
    monkeypatch.chdir(work.root)
    for i in range(6):
        work.add(f"2021/04/c{i}.md", title=f"Clipping {i}", date=f"2021-04-{i + 1:02d}",
                 countries=("Kyrgyzstan", "Tajikistan") if i % 2 else ("Russia",))
    build(work.project)
    asked: list = []
    real = RealStore.data_rows

    def data_rows(self, keys=None):
        asked.append(None if keys is None else sorted(rel for _sha, rel in keys))
        return real(self, keys)

    monkeypatch.setattr(RealStore, "data_rows", data_rows)
    data = work.root / "output/data/clippings.csv"
    if tampered:  # someone edited the published file: it cannot be trusted
        data.write_bytes(data.read_bytes().replace(b"Clipping 2", b"Clipping Z"))
    work.add("2021/04/c9.md", title="Clipping 9", date="2021-04-03", countries=("China",))
    work.add("2021/04/c0.md", title="Clipping 0, edited", date="2021-04-01",
             countries=("Russia",))
    assert build(work.project).incremental
    # The new and the edited clipping's rows are made afresh (from their fresh check here);
    # the others are the last build's, unless its files were tampered with.
    assert asked == ([None] if tampered else [])
    cold = Site(tmp_path / "cold", conf)
    shutil.copytree(work.root / "content", cold.root / "content", dirs_exist_ok=True)
    monkeypatch.chdir(cold.root)
    build(cold.project)
    _assert_same(work.root / "output", cold.root / "output")
    assert b"Clipping 0, edited" in data.read_bytes()


@pytest.mark.parametrize("removed", [False, True])
def test_output_is_checked_here_when_its_process_fails(site, monkeypatch, removed):
    """Whether the last build's files are all in output/ is checked in a forked process,
    beside the rendering; if it fails, the build checks here, and a removed file makes the
    build a full one all the same."""
    import digest.build.reading as reading

    site.add("2021/04/a.md")
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    build(site.project)
    monkeypatch.setattr(reading, "look_at", _failing_in_child(reading.look_at))
    if removed:
        (site.root / "output/2021/04/a/index.html").unlink()
    site.add("2021/04/c.md", title="Third", source_url="https://example.org/c")
    report = build(site.project)
    assert report.incremental is not removed
    assert (site.root / "output/2021/04/a/index.html").is_file()
    assert "Third" in site.read("2021/04/c/index.html")


def test_summaries_are_read_when_needed_in_any_process(site):
    """Stored checks come without their summaries; a page's entry reads its summary from the
    store, also in a forked page-writing process, which opens a connection of its own."""
    site.add("2021/04/a.md", body="The excerpt of A, which is its summary.")
    build(site.project)
    store = Store(site.root / CACHE_FILE, code_fingerprint())
    try:
        (item,) = store.checked(None).values()
        assert item.summary is None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            code = 1
            try:
                os.write(write_end, store.summary(item).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as fh:
            from_child = fh.read().decode()
        os.waitpid(pid, 0)
        assert from_child == "The excerpt of A, which is its summary."
        assert item.summary is None  # the child's reading stays in the child
        store.load_summaries([item])
        assert item.summary == from_child
    finally:
        store.close()


def test_search_indexes_what_changed_into_recent_and_merges_it_past_its_limit(
        tmp_path, monkeypatch):
    """The search index is one Pagefind bundle per quarter and `recent`: a rebuild indexes
    the pages it wrote into `recent` and keeps the quarters as they are, their copies of
    those pages (and of the pages removed) listed as dead; past the limit the quarters
    concerned are indexed again and `recent` goes; a quarter left without clippings loses
    its bundle at once."""
    import json

    import digest.build.search_tiers as tiers

    site = Site(tmp_path, CONF.replace("DIGEST_SEARCH = False", "DIGEST_SEARCH = True"))
    monkeypatch.chdir(tmp_path)
    site.add("2021/04/a.md", title="Alpha", date="2021-04-02")
    site.add("2021/08/b.md", title="Beta", date="2021-08-02")
    build(site.project)
    found = site.root / "output/pagefind"

    def listed() -> dict[str, tuple[int, list]]:
        data = json.loads((found / "bundles.json").read_text())
        assert data["version"] == 2 and data["token"]
        return {b["name"]: (sum(n for _day, n in b["days"]), sorted(b["dead"].values(),
                                                                  key=str))
                for b in data["bundles"]}

    assert listed() == {"2021-q3": (1, []), "2021-q2": (1, [])}
    assert json.loads((found / "bundles.json").read_text())["bundles"][1]["days"] == \
        [["2021-04-02", 1]]
    inodes = {q: (found / q / "pagefind.js").stat().st_ino for q in ("2021-q2", "2021-q3")}
    site.add("2021/09/c.md", title="Gamma", date="2021-09-01")
    report = build(site.project)
    assert report.incremental and report.search_seconds > 0
    assert list(listed()) == ["recent", "2021-q3", "2021-q2"]
    assert listed()["recent"] == (1, [])
    assert {q: (found / q / "pagefind.js").stat().st_ino for q in inodes} == inodes
    site.add("2021/04/a.md", title="Alpha, edited", date="2021-04-02")
    assert build(site.project).incremental
    dead = listed()["2021-q2"]
    assert dead[0] == 1 and len(dead[1]) == 1 and dead[1][0]["month"] == ["2021-04"]
    assert listed()["recent"][0] == 2
    site.add("2022/01/d.md", title="Delta", date="2022-01-05")
    assert build(site.project).incremental
    assert list(listed()) == ["recent", "2021-q3", "2021-q2"] and listed()["recent"][0] == 3
    (site.root / "content/clippings/2021/04/a.md").unlink()  # (its quarter left empty goes)
    assert build(site.project).incremental
    assert listed() == {"recent": (2, []), "2021-q3": (1, [])}
    assert not (found / "2021-q2").exists()
    assert (found / "2021-q3/pagefind.js").stat().st_ino == inodes["2021-q3"]
    monkeypatch.setattr(tiers, "RECENT_LIMIT", 2)  # (1 left: the quarter holding most goes)
    site.add("2021/08/e.md", title="Epsilon", date="2021-08-09")
    assert build(site.project).incremental
    assert listed()["2021-q3"] == (3, []) and listed()["recent"][0] == 1
    monkeypatch.setattr(tiers, "RECENT_LIMIT", 0)  # (none left: every quarter concerned)
    site.add("2021/08/f.md", title="Zeta", date="2021-08-10")
    assert build(site.project).incremental
    assert listed() == {"2022-q1": (1, []), "2021-q3": (4, [])}
    assert not (found / "2021-q2").exists() and not (found / "recent").exists()


def test_stored_clippings_are_read_when_asked_for(site):
    """A clipping of the snapshot is read from its record only when a field is asked for,
    and is then the clipping the store has: fields, derived values, equality and hash."""
    import dataclasses

    from digest.core.gazetteer import load_gazetteer
    from digest.core.model import load_all
    from digest.incremental.records import clipping_from_record
    from digest.incremental.snapshot import SnapshotLoader

    site.add("2021/04/a.md", title="Border talks", regions="[Central Asia]",
             topics="[Water, Borders]", redirect_from="[2021/04/old-a/]")
    site.add("2021/04/b.md", title="Water deal", date="2021-04-29T09:15:00+06:00",
             countries=("Kazakhstan", "Uzbekistan", "China"))
    build(site.project)
    store = Store(site.root / CACHE_FILE, code_fingerprint())
    try:
        snapshot = store.snapshot()
        assert snapshot is not None and snapshot.rels == ["2021/04/a.md", "2021/04/b.md"]
        stored = store.checked(None)
        g = load_gazetteer()
        loader = SnapshotLoader(snapshot, g)
        for i, rel in enumerate(snapshot.rels):
            path = f"content/clippings/{rel}"
            lazy = snapshot.clipping(i, path, loader)
            assert type(lazy) is Clipping and "title" not in lazy.__dict__
            assert lazy.deferred_from == (loader, i) and not lazy.is_read
            assert lazy.path == path and lazy.month == "2021/04" and lazy.day.month == 4
            assert "title" not in lazy.__dict__  # path, day and month are not read
            (record,) = [item.record for (sha, r), item in stored.items() if r == rel]
            expected = clipping_from_record(record, g, path)
            assert lazy.sort_key == expected.sort_key  # (from the dates and slugs)
            assert "title" not in lazy.__dict__
            for f in dataclasses.fields(expected):
                assert getattr(lazy, f.name) == getattr(expected, f.name), f.name
            for derived in ("pairs", "sort_key", "day", "month"):
                assert getattr(lazy, derived) == getattr(expected, derived), derived
            assert lazy == expected and expected == lazy and hash(lazy) == hash(expected)
            assert lazy.redirect_from == (("2021/04/old-a/",) if rel.endswith("a.md") else ())
            with pytest.raises(dataclasses.FrozenInstanceError):
                lazy.title = "changed"
        unread = [snapshot.clipping(i, f"x/{rel}", loader)
                  for i, rel in enumerate(snapshot.rels)]
        load_all(unread)
        assert all(c.is_read for c in unread)
        assert [c.title for c in unread] == ["Border talks", "Water deal"]
    finally:
        store.close()


def test_checks_across_files_read_no_record_of_a_kept_clipping(site):
    """The fields the checks across files compare come from the snapshot's block of them:
    the same as the records', with the duplicate check's key of each original, and the
    records stay unread; a clipping already read gives its key too."""
    from digest.core.gazetteer import load_gazetteer
    from digest.incremental.records import URL_KEY, read_across
    from digest.incremental.snapshot import SnapshotLoader
    from digest.core.schema import normalise_url

    site.add("2021/04/a.md", title="Border talks", topics="[Water, Borders]",
             source_url="https://www.example.org/a/?utm_source=x")
    site.add("2021/04/b.md", title="Water deal", category="Analysis",
             source="Jamestown Foundation")
    build(site.project)
    store = Store(site.root / CACHE_FILE, code_fingerprint())
    try:
        snapshot = store.snapshot()
        assert snapshot is not None
        stored = {r: item.record for (sha, r), item in store.checked(None).items()}
        loader = SnapshotLoader(snapshot, load_gazetteer())
        kept = [snapshot.clipping(i, f"x/{rel}", loader) for i, rel in enumerate(snapshot.rels)]
        assert read_across(kept) == {"x/2021/04/a.md": normalise_url(
            "https://www.example.org/a/?utm_source=x")}
        assert all("title" not in c.__dict__ for c in kept)  # no record was read
        for c, rel in zip(kept, snapshot.rels):
            record = stored[rel]
            assert (c.slug, c.category, c.source, c.topics) == (
                record[6], record[3], record[5], tuple(record[8]))
            assert "title" not in c.__dict__
        read = [snapshot.clipping(i, f"y/{rel}", loader) for i, rel in enumerate(snapshot.rels)]
        assert sorted(c.title for c in read) == ["Border talks", "Water deal"]
        assert read_across(read) == {"y/2021/04/a.md": stored["2021/04/a.md"][URL_KEY]}
    finally:
        store.close()


def random_site(tmp_path: Path, monkeypatch, rng: random.Random, n: int
                ) -> tuple[Site, dict[str, str]]:
    """A digest of `n` random clippings in `tmp_path/work` (the current folder), not built;
    and its files' texts by path below the clippings folder."""
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    files: dict[str, str] = {}
    for k in range(n):
        rel, text = _random_clipping(rng, k)
        files[rel] = text
        work.add(rel, text)
    return work, files


def _built_random_site(tmp_path: Path, monkeypatch, seed: int) -> tuple[random.Random, Site]:
    """A digest of ten random clippings in `tmp_path/work` (the current folder), built."""
    rng = random.Random(seed)
    work = Site(tmp_path / "work", CONF)
    monkeypatch.chdir(work.root)
    for n in range(10):
        work.add(*_random_clipping(rng, n))
    build(work.project)
    return rng, work


@pytest.mark.parametrize("damage", ["garbage", "cut short", "records cut short",
                                    "records replaced", "other token", "unknown country"])
def test_a_damaged_or_foreign_snapshot_is_never_used(tmp_path, monkeypatch, damage):
    """The build reads the store (or groups the clippings afresh) instead, and the output is
    still the cold build's; the next build has a snapshot again."""
    monkeypatch.setattr("digest.core.index.RELATED_POOL", 2)
    restored = _spy_on_restore(monkeypatch)
    rng, work = _built_random_site(tmp_path, monkeypatch, 7)
    folder = work.root / ".digest-cache"
    snapshot, records = folder / "snapshot", folder / "records"
    if damage == "garbage":
        snapshot.write_bytes(b"\x00garbage" * 50)
    elif damage == "cut short":
        snapshot.write_bytes(snapshot.read_bytes()[:-7])
    elif damage == "records cut short":
        records.write_bytes(records.read_bytes()[:-20])
    elif damage == "records replaced":
        first, rest = records.read_bytes().split(b"\n", 1)
        records.write_bytes(b'"0123456789abcdef0123456789abcdef"\n' + rest)
    elif damage == "other token":
        head, rest = snapshot.read_bytes().split(b"\n", 1)
        token = json.loads(head)["token"]
        snapshot.write_bytes(head.replace(token.encode(), b"f" * len(token)) + b"\n" + rest)
    else:  # readable, but a group names a country the gazetteer does not have
        head, rest = snapshot.read_bytes().split(b"\n", 1)
        data = json.loads(head)
        data["groups"] = [[k, "QQ" if k == "country" else key, n, size]
                          for k, key, n, size in data["groups"]]
        snapshot.write_bytes(json.dumps(data).encode() + b"\n" + rest)
    work.add(*_random_clipping(rng, 50))
    report = build(work.project)
    assert report.incremental and restored == []
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)
    work.add(*_random_clipping(rng, 51))
    assert build(work.project).incremental and restored == [1]


def test_the_records_file_grows_by_what_changed(tmp_path, monkeypatch):
    """A build adds the records of the clippings it added or edited to the last build's
    records file (so that one clipping does not rewrite them all); a full build writes the
    file afresh, without the records no clipping uses."""
    rng, work = _built_random_site(tmp_path, monkeypatch, 3)
    records = work.root / ".digest-cache/records"
    before = records.read_bytes()
    assert before.count(b"\n") == 11  # its token, then one line per clipping
    rel, text = _random_clipping(rng, 20)
    work.add(rel, text)
    assert build(work.project).incremental
    after = records.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 12
    work.add(rel, text.replace("Excerpt", "An edited excerpt"))  # the old record stays
    assert build(work.project).incremental
    assert records.read_bytes().count(b"\n") == 13
    assert not build(work.project, full=True).incremental
    fresh = records.read_bytes()
    assert fresh.count(b"\n") == 12 and fresh.split(b"\n")[0] != before.split(b"\n")[0]


@pytest.mark.parametrize("damage", ["missing", "cut short", "other token", "garbage"])
def test_a_damaged_or_foreign_list_of_files_makes_a_full_build(tmp_path, monkeypatch, damage):
    """The list of the last build's files (`.digest-cache/outputs`) tells an incremental
    build what it may keep and what to delete: when it is not the one the store recorded,
    the build is a full one, the same as a cold build; the next is incremental again."""
    rng, work = _built_random_site(tmp_path, monkeypatch, 11)
    listing = work.root / ".digest-cache/outputs"
    head, rest = listing.read_bytes().split(b"\n", 1)
    assert json.loads(head)["count"] == rest.count(b"\n") + 1 == len(_tree(work.root / "output"))
    if damage == "missing":
        listing.unlink()
    elif damage == "cut short":
        listing.write_bytes(listing.read_bytes()[:-30])
    elif damage == "other token":
        token = json.loads(head)["token"]
        listing.write_bytes(head.replace(token.encode(), b"0" * len(token)) + b"\n" + rest)
    else:
        listing.write_bytes(head + b"\n" + rest.replace(b"\t", b" "))
    work.add(*_random_clipping(rng, 60))
    assert not build(work.project).incremental
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)
    work.add(*_random_clipping(rng, 61))
    assert build(work.project).incremental


def test_a_warning_stays_a_warning_on_the_next_builds(site):
    # An alias (Kyrgyz Republic) and an outlet not in the registry are warnings: the first
    # build reports them and succeeds, and so must every build after it, which takes the
    # clipping's check from the store.
    site.add("2021/04/alias.md", countries=["Kyrgyz Republic", "Tajikistan"],
             source="Unlisted Outlet Weekly")
    for full in (False, False, True, False):
        report = build(site.project, full=full)
        assert report.clippings == 1
        assert report.warnings, "the warnings are reported on every build"
        assert all(p.severity == "warning" for p in report.warnings)
        assert any("Kyrgyz Republic" in p.message for p in report.warnings)


def test_nothing_in_the_cache_is_executed(site):
    """The cache holds data only: code put into it (as a table of an older version held
    template code, or as a record) is never run; the build ignores it or starts afresh."""
    site.add("2021/04/a.md")
    build(site.project)
    marker = site.root / "ran"
    code = f"open({str(marker)!r}, 'w').close()"
    db = sqlite3.connect(site.root / CACHE_FILE)
    with db:
        db.execute("CREATE TABLE IF NOT EXISTS templates (key TEXT PRIMARY KEY, python TEXT)")
        db.execute("INSERT OR REPLACE INTO templates VALUES ('x', ?)", (code,))
        db.execute("UPDATE checked SET record = ?", (json.dumps(["__import__('os')", code]),))
    db.close()
    site.add("2021/04/b.md", title="Another", source_url="https://example.org/b")
    build(site.project)
    build(site.project, full=True)
    assert not marker.exists()
    names = {row[0] for row in sqlite3.connect(site.root / CACHE_FILE).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "templates" not in names  # a table of code is dropped with the old layout


def test_an_output_restored_with_its_store_is_followed_and_another_is_not(tmp_path,
                                                                         monkeypatch):
    """A CI cache restores output/ and .digest-cache/ together as copies (a new folder): the
    next build follows them; an output/ that holds other bytes makes a full build."""
    rng, work = _built_random_site(tmp_path, monkeypatch, 11)
    output = work.root / "output"
    copy = work.root / "restored"
    shutil.copytree(output, copy)
    shutil.rmtree(output)
    copy.rename(output)  # (the same files, another inode)
    work.add(*_random_clipping(rng, 60))
    report = build(work.project)
    assert report.incremental
    _assert_same_as_cold(work, tmp_path / "cold", monkeypatch)
    shutil.copytree(output, copy)
    shutil.rmtree(output)
    copy.rename(output)
    page = next(output.rglob("*.html"))
    page.write_text(page.read_text() + "<!-- edited -->")  # (bytes the build did not write)
    work.add(*_random_clipping(rng, 61))
    assert not build(work.project).incremental
    _assert_same_as_cold(work, tmp_path / "cold2", monkeypatch)
