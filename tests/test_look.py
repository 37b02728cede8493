"""The output folder against the last build's list (`incremental.look`): only folders whose
change time moved are listed, and nothing a hand put there is missed for it."""

from __future__ import annotations

import os

import pytest

from digest.incremental import look as look_module
from digest.incremental.look import listing, look, read_times, times_text

FILES = ["index.html", "2021/05/a/index.html", "2021/05/b/index.html", "2021/06/c/index.html",
         "feeds/all.atom.xml", "pagefind/bundles.json", "pagefind/2021-q2/"]


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An output folder as a build lists it, its change times trusted at once."""
    monkeypatch.setattr(look_module, "RECENT_NS", 0)
    out = tmp_path / "output"
    for rel in FILES:
        if rel.endswith("/"):
            (out / rel).mkdir(parents=True)
            (out / rel / "pagefind.js").write_text("x")
            (out / rel / "fragment").mkdir()
            (out / rel / "fragment" / "p1.pf_fragment").write_text("x")
        else:
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text("x")
    return out


def listed_folders(monkeypatch, out, times):
    """The folders `look` lists (os.scandir calls), and its answer."""
    calls = []
    real = os.scandir

    def counting(path):
        calls.append(os.path.relpath(path, out))
        return real(path)

    monkeypatch.setattr(look_module.os, "scandir", counting)
    state = look(out, FILES, times)
    monkeypatch.setattr(look_module.os, "scandir", real)
    return calls, state


def test_an_unchanged_output_is_not_listed_again(site, monkeypatch):
    first, state = listed_folders(monkeypatch, site, {})
    assert len(first) == 9 and not state.missing and state.foreign == ()
    again, state = listed_folders(monkeypatch, site, read_times(state.times))
    assert again == [] and not state.missing and state.foreign == ()


def test_a_file_put_anywhere_is_found_and_only_its_folder_listed(site, monkeypatch):
    times = read_times(look(site, FILES, {}).times)
    (site / "2021/05/b/evil.html").write_text("<script>")
    (site / ".env").write_text("SECRET=1")
    calls, state = listed_folders(monkeypatch, site, times)
    assert sorted(calls) == [".", "2021/05/b"]
    assert state.foreign == (".env", "2021/05/b/evil.html") and not state.missing
    assert "2021/05/b" not in read_times(state.times)  # listed again next time


def test_a_folder_no_build_made_is_walked_whole_and_never_trusted(site, monkeypatch):
    (site / "2021/05/x/y").mkdir(parents=True)  # empty for now
    state = look(site, FILES, {})
    assert state.foreign == () and "2021/05" not in read_times(state.times)
    (site / "2021/05/x/y/late.html").write_text("x")  # no change of 2021/05 itself
    state = look(site, FILES, read_times(state.times))
    assert state.foreign == ("2021/05/x/y/late.html",)


def test_missing_pages_and_missing_search_files_are_told_apart(site):
    times = read_times(look(site, FILES, {}).times)
    (site / "pagefind/2021-q2/pagefind.js").unlink()  # inside a bundle: its own files
    state = look(site, FILES, times)
    assert state.missing and not state.pages_missing
    (site / "pagefind/bundles.json").unlink()
    state = look(site, FILES, times)
    assert state.missing and not state.pages_missing
    (site / "2021/06/c/index.html").unlink()
    state = look(site, FILES, times)
    assert state.pages_missing


def test_a_listed_file_replaced_by_a_folder_is_missing_and_its_files_foreign(site):
    (site / "feeds/all.atom.xml").unlink()
    (site / "feeds/all.atom.xml").mkdir()
    (site / "feeds/all.atom.xml/inside.js").write_text("x")
    state = look(site, FILES, {})
    assert state.pages_missing and state.foreign == ("feeds/all.atom.xml/inside.js",)


def test_a_folder_gone_whole_is_missing(site):
    import shutil

    shutil.rmtree(site / "2021")
    state = look(site, FILES, {})
    assert state.pages_missing and state.foreign == ()


def test_a_link_is_foreign_even_to_a_folder(site):
    os.symlink(site / "2021", site / "2021/06/link")
    assert look(site, FILES, {}).foreign == ("2021/06/link",)


def test_recent_change_times_are_not_kept(site, monkeypatch):
    monkeypatch.setattr(look_module, "RECENT_NS", 3600 * 10 ** 9)  # all of them recent
    assert look(site, FILES, {}).times == ""
    assert listing(site)[1] == ""


def test_a_full_builds_listing_gives_its_files_and_folder_times(site):
    files, text = listing(site)
    assert files == sorted([f for f in FILES if not f.endswith("/")] + [
        "pagefind/2021-q2/pagefind.js", "pagefind/2021-q2/fragment/p1.pf_fragment"])
    times = read_times(text)
    assert times[""] == os.lstat(site).st_ctime_ns
    assert times["2021/05/a"] == os.lstat(site / "2021/05/a").st_ctime_ns
    assert read_times(times_text(times)) == times


def test_a_clipping_file_is_read_again_whenever_its_change_time_moved(tmp_path, monkeypatch):
    """The hashing of the clipping files takes an unchanged file's hash from the record of
    the last one (incremental/outputs.py `hashes`): an edit that keeps the size and sets the
    modification time back is still seen (the change time moves), and a file changed in the
    last seconds before a hashing is read again by the next."""
    from digest.build import reading
    from digest.incremental.outputs import read_file_hashes

    root, cache = tmp_path / "clippings", tmp_path / "cache"
    (root / "2021/04").mkdir(parents=True)
    cache.mkdir()
    a, b = root / "2021/04/a.md", root / "2021/04/b.md"
    a.write_text("one")
    b.write_text("two")
    monkeypatch.setattr(reading, "RECENT_NS", 0)
    first = dict(reading.hash_with_record(str(root), cache))
    assert set(read_file_hashes(cache)) == {"2021/04/a.md", "2021/04/b.md"}
    reads = []
    real = reading._read
    monkeypatch.setattr(reading, "_read", lambda f: reads.append(f) or real(f))
    assert dict(reading.hash_with_record(str(root), cache)) == first and reads == []
    stamp = os.stat(a)
    a.write_text("uno")  # the same size, the modification time set back
    os.utime(a, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    again = dict(reading.hash_with_record(str(root), cache))
    assert reads == [str(a)] and again[str(a)] != first[str(a)]
    monkeypatch.setattr(reading, "RECENT_NS", 3600 * 10 ** 9)  # every file changed "just now"
    reading.hash_with_record(str(root), cache)
    assert read_file_hashes(cache) == {}  # (so every file is read next time)
