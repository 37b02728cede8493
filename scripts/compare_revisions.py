#!/usr/bin/env python3
"""Compare two revisions of digest on the same inputs, in one invocation.

    .venv/bin/python scripts/compare_revisions.py output OLD [NEW]
    .venv/bin/python scripts/compare_revisions.py speed OLD [NEW] --size 20000 --runs 2

Each revision (a commit; NEW defaults to HEAD) is checked out into a temporary worktree and
run with its own code and theme (`PYTHONPATH=<worktree>/src`, the project's virtual
environment for the libraries).

`output` builds, with each revision: the golden fixture site; a 3,000-clipping generated
digest with regions and topics; and the same after a scripted series of 30 edits (clippings
added, edited, re-dated, renamed and deleted, a registry entry added and removed, an alias
warning added and mended, a template and a setting changed), each step an incremental
build. It prints, for every step, the files whose bytes differ (the search index, which
Pagefind does not write the same way twice, left out).

`speed` generates a corpus of `--size` clippings and runs, alternating between the
revisions, `--runs` cold builds and `--plus` +1 rebuilds (search on), then `--plus` +1
rebuilds with search off; it prints medians of wall time, CPU seconds (the build's and its
children's: workers and Pagefind) and the peak memory of the largest process, the median of
each alternated pair's ratio, and each build's own report of its phases and of the Python
build's peak memory (`rss_build_mib`, before Pagefind runs).
Nothing here is a test: the figures go to docs/performance.md and the issue's note.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
sys.path.insert(0, str(REPO / "scripts"))

import gen_corpus  # noqa: E402


def worktree(rev: str, into: Path) -> Path:
    path = into / f"rev-{rev[:10]}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(path), rev],
                   check=True, capture_output=True)
    return path


def drop_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)],
                   capture_output=True)


def run_build(tree: Path, project: Path, *args: str) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user and system, of the build and the processes it waited
    for: its workers and Pagefind's), peak RSS in MiB of the largest process, output of
    `digest build`."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), DIGEST_TIMINGS="1")
    start = time.perf_counter()
    proc = subprocess.Popen([str(PYTHON), "-m", "digest.cli", "build", *args], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build with {tree.name} failed in {project}:\n{out[-3000:]}")
    return (time.perf_counter() - start, usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss // 1024, out)


def differing(a: Path, b: Path) -> list[str]:
    """Files present in one tree only or with other bytes (pagefind/ left out)."""
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                and not p.relative_to(root).as_posix().startswith("pagefind/")}
    fa, fb = files(a), files(b)
    out = sorted(f"only {a.parent.name}: {n}" for n in fa - fb)
    out += sorted(f"only {b.parent.name}: {n}" for n in fb - fa)
    _, mismatch, errors = filecmp.cmpfiles(a, b, sorted(fa & fb), shallow=False)
    return out + sorted(mismatch + errors)


def corpus(n: int, into: Path, search: bool) -> Path:
    """A generated digest of `n` clippings, every fifth with regions."""
    gen_corpus.write(n, into)
    for i, path in enumerate(sorted((into / "content/clippings").rglob("*.md"))):
        if i % 5 == 0:
            text = path.read_text(encoding="utf-8")
            region = ("Central Asia", "CSTO", "Europe")[i % 3]
            path.write_text(text.replace("\nsource:", f"\nregions: [{region}]\nsource:", 1),
                            encoding="utf-8")
    conf = into / "pelicanconf.py"
    conf.write_text(conf.read_text() + f"DIGEST_SEARCH = {search}\n")
    shutil.rmtree(into / "theme")
    return into


def for_revision(base: Path, tree: Path, into: Path) -> Path:
    """A copy of project `base` with the revision's theme."""
    shutil.copytree(base, into, ignore=shutil.ignore_patterns("output", ".digest-cache",
                                                              ".digest-build", "theme"))
    shutil.copytree(tree / "theme", into / "theme")
    return into


def edits(project: Path, tree: Path) -> list[tuple[str, callable]]:
    """The 30 scripted edits, each a (description, function) applied to a project (and to
    the revision's worktree, for the registry)."""
    clippings = project / "content/clippings"
    files = sorted(clippings.rglob("*.md"))
    registry = tree / "src/digest/data/sources.yml"
    out = []

    def add(k):
        def do():
            src = files[k * 37 % len(files)]
            text = src.read_text(encoding="utf-8")
            title = text.split("title: ", 1)[1].split("\n", 1)[0]
            text = text.replace(title, f"{title} follow-up {k}", 1)
            text = text.replace("source_url: https://example.org/", f"source_url: https://example.org/f{k}/")
            (src.parent / f"follow-up-{k}-{src.name}").write_text(text, encoding="utf-8")
        return do

    def edit(k):
        def do():
            p = files[k * 53 % len(files)]
            p.write_text(p.read_text(encoding="utf-8") + f"\nAn added sentence {k}.\n",
                         encoding="utf-8")
        return do

    def redate(k):
        def do():
            p = files[k * 71 % len(files)]
            if not p.exists():
                return
            text = p.read_text(encoding="utf-8")
            date = text.split("date: ", 1)[1][:10]
            new = f"{int(date[:4])}-{'01' if date[5:7] != '01' else '02'}-15"
            target = clippings / new[:4] / new[5:7] / p.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace(f"date: {date}", f"date: {new}"), encoding="utf-8")
            p.unlink()
        return do

    def rename(k):
        def do():
            p = files[k * 89 % len(files)]
            if p.exists():
                p.rename(p.with_name(f"renamed-{k}-{p.name}"))
        return do

    def delete(k):
        def do():
            p = files[k * 97 % len(files)]
            if p.exists():
                p.unlink()
        return do

    def registry_add():
        with open(registry, "a", encoding="utf-8") as fh:
            fh.write("- name: Compare Weekly\n  domains: [compare.example]\n  kind: news site\n"
                     "  country: KG\n")

    def registry_remove():
        text = registry.read_text(encoding="utf-8")
        registry.write_text(text.split("- name: Compare Weekly")[0], encoding="utf-8")

    def alias(on):
        def do():
            p = clippings / "2023/06/alias-warning.md"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("---\ntitle: Alias warning clipping\ndate: 2023-06-05\ncategory: News\n"
                         f"countries: [{'Kyrgyz Republic' if on else 'Kyrgyzstan'}, Tajikistan]\n"
                         "source: Compare Weekly\n---\n\nAn excerpt.\n", encoding="utf-8")
        return do

    def template(k):
        def do():
            t = project / "theme/templates/article.html"
            t.write_text(t.read_text(encoding="utf-8") + f"\n{{# edit {k} #}}\n", encoding="utf-8")
        return do

    def setting(value):
        def do():
            c = project / "pelicanconf.py"
            c.write_text(c.read_text() + f"\nDIGEST_LISTING_LATEST = {value}\n")
        return do

    out += [(f"add {k}", add(k)) for k in range(3)]
    out += [(f"edit {k}", edit(k)) for k in range(3)]
    out += [("registry entry added", registry_add), ("alias warning added", alias(True))]
    out += [(f"re-date {k}", redate(k)) for k in range(3)]
    out += [(f"rename {k}", rename(k)) for k in range(3)]
    out += [("template changed", template(1)), ("alias mended", alias(False))]
    out += [(f"delete {k}", delete(k)) for k in range(4)]
    out += [("setting changed", setting(12)), ("registry entry removed", registry_remove)]
    out += [(f"add {k}", add(k)) for k in range(3, 6)]
    out += [(f"edit {k}", edit(k)) for k in range(3, 5)]
    out += [("template changed again", template(2)), ("setting changed again", setting(25))]
    out += [("delete 4", delete(4))]
    return out


def compare_output(old: str, new: str, scratch: Path) -> int:
    trees = [worktree(old, scratch), worktree(new, scratch)]
    failures = 0
    try:
        golden = []
        for tree in trees:
            site = for_revision(REPO / "tests/fixtures/golden/site", tree, scratch / f"golden-{tree.name}")
            run_build(tree, site)
            golden.append(site / "output")
        found = differing(*golden)
        print(f"golden site: {len(found)} differing files", *found[:20], sep="\n  ")
        failures += bool(found)
        base = corpus(3000, scratch / "corpus", search=False)
        projects = [for_revision(base, tree, scratch / f"c-{tree.name}") for tree in trees]
        for tree, project in zip(trees, projects):
            run_build(tree, project)
        found = differing(projects[0] / "output", projects[1] / "output")
        print(f"3,000 clippings, cold: {len(found)} differing files", *found[:20], sep="\n  ")
        failures += bool(found)
        steps = [edits(project, tree) for tree, project in zip(trees, projects)]
        for n, ((what, a), (_, b)) in enumerate(zip(*steps), 1):
            a(), b()
            kinds = []
            for tree, project in zip(trees, projects):
                *_, out = run_build(tree, project)
                kinds.append("incremental" if "pages rendered" in out else "full")
            found = differing(projects[0] / "output", projects[1] / "output")
            print(f"step {n:2} ({what}; {' / '.join(kinds)}): {len(found)} differing files",
                  *found[:10], sep="\n  ")
            failures += bool(found)
    finally:
        for tree in trees:
            drop_worktree(tree)
    return 1 if failures else 0


def compare_speed(old: str, new: str, scratch: Path, size: int, runs: int, plus: int) -> int:
    trees = [worktree(old, scratch), worktree(new, scratch)]
    try:
        base = corpus(size, scratch / "corpus", search=True)
        figures: dict[str, dict[str, list]] = {t.name: {} for t in trees}
        projects = {}
        for r in range(runs):
            for tree in trees:  # alternating: old, new, old, new
                project = scratch / f"p-{tree.name}"
                shutil.rmtree(project, ignore_errors=True)
                projects[tree.name] = for_revision(base, tree, project)
                wall, cpu, mib, out = run_build(tree, project)
                figures[tree.name].setdefault("cold", []).append((wall, cpu, mib))
                print(f"cold {tree.name} run {r + 1}: {wall:.1f} s, {cpu:.1f} s CPU, {mib} MiB; "
                      f"{_timings(out)}", flush=True)
        for phase, search in (("+1", True), ("+1 search off", False)):
            if not search:
                for tree in trees:
                    conf = projects[tree.name] / "pelicanconf.py"
                    conf.write_text(conf.read_text() + "DIGEST_SEARCH = False\n")
                    run_build(tree, projects[tree.name])  # the full build the change makes
            for r in range(plus):
                for tree in trees:
                    _add_one(projects[tree.name], f"{phase}-{r}")
                    wall, cpu, mib, out = run_build(tree, projects[tree.name])
                    figures[tree.name].setdefault(phase, []).append((wall, cpu, mib))
                    print(f"{phase} {tree.name} run {r + 1}: {wall:.2f} s, {cpu:.2f} s CPU, "
                          f"{mib} MiB; {_timings(out)}", flush=True)
        print(f"\n{size:,} clippings, medians (wall s, CPU s, peak MiB of the largest "
              "process); new/old: the median of each alternated pair's ratio (the machine's "
              "speed drifts over an invocation), wall and CPU:")
        for phase in ("cold", "+1", "+1 search off"):
            a, b = (figures[t.name][phase] for t in trees)
            (wa, ca), (wb, cb) = ((statistics.median(w for w, _, _ in x),
                                   statistics.median(c for _, c, _ in x)) for x in (a, b))
            ma, mb = max(m for *_, m in a), max(m for *_, m in b)
            wall = statistics.median(y[0] / x[0] for x, y in zip(a, b))
            cpu = statistics.median(y[1] / x[1] for x, y in zip(a, b))
            print(f"  {phase:14} {trees[0].name}: {wa:7.2f} s {ca:6.1f} s CPU {ma:4} MiB   "
                  f"{trees[1].name}: {wb:7.2f} s {cb:6.1f} s CPU {mb:4} MiB   "
                  f"new/old {wall:.3f}, CPU {cpu:.3f}")
    finally:
        for tree in trees:
            drop_worktree(tree)
    return 0


def _timings(out: str) -> str:
    """The `timings:` line a build prints with DIGEST_TIMINGS set."""
    found = [line for line in out.splitlines() if line.startswith("timings: ")]
    return found[-1][len("timings: "):] if found else ""


def _add_one(project: Path, tag: str) -> None:
    tag = tag.replace(" ", "-").replace("+", "plus")
    files = sorted((project / "content/clippings").rglob("*.md"))
    src = files[len(files) // 2]
    text = src.read_text(encoding="utf-8")
    title = text.split("title: ", 1)[1].split("\n", 1)[0]
    text = text.replace(title, f"{title} {tag}", 1).replace(
        "source_url: https://example.org/", f"source_url: https://example.org/{tag}/")
    (src.parent / f"{tag}-{src.name}").write_text(
        text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("output", "speed"))
    parser.add_argument("old")
    parser.add_argument("new", nargs="?", default="HEAD")
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=2, help="cold builds of each revision")
    parser.add_argument("--plus", type=int, default=3, help="+1 rebuilds of each, per kind")
    args = parser.parse_args()
    revs = [subprocess.run(["git", "-C", str(REPO), "rev-parse", r], check=True,
                           capture_output=True, text=True).stdout.strip()
            for r in (args.old, args.new)]
    with tempfile.TemporaryDirectory(prefix="digest-compare-") as tmp:
        if args.what == "output":
            return compare_output(*revs, Path(tmp))
        return compare_speed(*revs, Path(tmp), args.size, args.runs, args.plus)


if __name__ == "__main__":
    sys.exit(main())
