"""`digest publish`: a production build committed to the gh-pages branch."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import ghp_import

from digest.build import build
from digest.build.output import scan_output, size_problems
from digest.errors import BuildError, UsageError
from digest.project import Project


@dataclass
class PublishPlan:
    """What `digest publish` pushes: the built folder, the branch and remote, the file count."""

    output: Path
    branch: str
    remote: str
    files: int
    cname: str
    warnings: list = field(default_factory=list)  # the build's and the size check's


def publish(project: Project, remote: str = "origin", branch: str = "gh-pages",
            dry_run: bool = False, push: bool = True, message: str | None = None) -> PublishPlan:
    """Build with production settings and commit `output/` to `branch` (pushing to `remote`).

    The build fails (and nothing is pushed) on any problem; with `dry_run` nothing is
    committed or pushed.
    """
    if not (project.root / ".git").exists():
        raise UsageError(f"{project.root} is not a git repository: publish commits the site to "
                         f"its '{branch}' branch")
    if push and not dry_run:
        remotes = subprocess.run(["git", "remote"], cwd=project.root, capture_output=True,
                                 text=True).stdout.split()
        if remote not in remotes:
            raise UsageError(f"no git remote named '{remote}': add one, or use --remote")
    report = build(project, production=True)
    # What is pushed is what was scanned: every file of output/ (an incremental build scans
    # the files it writes; a file changed by hand since is caught here).
    scan_output(project.output)
    size = size_problems(project.output, project.display(project.output) + "/")
    too_large = [p for p in size if p.is_error]
    if too_large:
        raise BuildError("the site is too large for GitHub Pages: nothing was pushed",
                         too_large)
    files = sum(1 for p in project.output.rglob("*") if p.is_file())
    cname_file = project.output / "CNAME"
    cname = cname_file.read_text().strip() if cname_file.exists() else ""
    plan = PublishPlan(project.output, branch, remote, files, cname, report.warnings + size)
    if dry_run:
        return plan
    cwd = Path.cwd()
    try:
        os.chdir(project.root)
        ghp_import.ghp_import(str(project.output), branch=branch, remote=remote, push=push,
                              nojekyll=True, cname=cname or None,
                              mesg=message or "Publish the digest")
    except ghp_import.GhpError as exc:
        raise BuildError(f"publishing failed: {exc}") from None
    finally:
        os.chdir(cwd)
    return plan
