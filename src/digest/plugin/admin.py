"""The web editor (Decap CMS) for contributors who do not use git, in the site's `admin/`:
its configuration made from the schema, gazetteer, registry and the categories in use, its
page under a Content Security Policy of its own, and the bundle fetched by `make
admin-bundle` (pinned by integrity; without it the admin is off). Written by `digest admin`
and, with DIGEST_ADMIN on, by the build."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from digest.errors import Problem, UsageError

BUNDLE = Path(".admin-bundle") / "decap-cms-3.16.3"  # below the project (make admin-bundle)
# What the editor needs and nothing more: its own files, GitHub's API and avatars, the local
# proxy on 127.0.0.1; its styles are inline (emotion), its Markdown parser is WebAssembly,
# and it compiles its config's JSON schema to functions (ajv: 'unsafe-eval'). Nothing a
# contributor writes is a script here: the page and its config are generated.
CSP = ("default-src 'none'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; style-src 'self' "
       "'unsafe-inline'; img-src 'self' data: blob: https://avatars.githubusercontent.com "
       "https://raw.githubusercontent.com; font-src 'self' data:; connect-src 'self' "
       "https://api.github.com https://github.com http://127.0.0.1:8081 "
       "http://localhost:8081; frame-src 'none'; worker-src 'self' blob:; "
       "base-uri 'none'; form-action 'none'")
_GITHUB = re.compile(r"github\.com[:/]([A-Za-z0-9-]+/[A-Za-z0-9._-]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class AdminReport:
    folder: Path
    bundled: bool  # the bundle was copied (else the admin is off: config only)
    repo: str


def github_repo(root: Path, setting: str) -> str:
    """The repository the editor commits to: DIGEST_ADMIN_REPO, else origin's on GitHub."""
    if setting:
        if not re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", setting):
            raise UsageError(f"DIGEST_ADMIN_REPO = {setting!r} is not a GitHub repository: "
                             "write it as 'owner/name'")
        return setting
    try:
        out = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        out = None
    found = _GITHUB.search(out.stdout.strip()) if out and out.returncode == 0 else None
    if found is None:
        raise UsageError("the web editor commits to a GitHub repository, and origin is not "
                         "one: set DIGEST_ADMIN_REPO = 'owner/name' in pelicanconf.py")
    return found.group(1)


def listed_categories(root: Path) -> list[str]:
    """The categories an editor listed in data/categories.yml (through the editor's Lists),
    each that a clipping may have; an unreadable file lists none."""
    from digest.core.cmsconfig import CATEGORIES_FILE

    try:
        data = yaml.safe_load((root / CATEGORIES_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    items = data.get("categories") if isinstance(data, dict) else None
    return [c.strip() for c in items or [] if isinstance(c, str) and
            re.fullmatch(r"[^<>\x00-\x1f\x7f-\x9f]{1,60}", c.strip())]


def admin_page(sitename: str, integrity: str) -> str:
    """The editor's page: the bundle by its integrity, under its own policy, not indexed."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<title>Editor · {html.escape(sitename)}</title>
<link href="config.yml" type="text/yaml" rel="cms-config-url">
</head>
<body>
<script src="decap-cms.js" integrity="{html.escape(integrity)}"></script>
</body>
</html>
"""


def admin_files(root: Path, settings: dict, categories: list[str], today: dt.date
                ) -> tuple[str, str, dict[str, str] | None]:
    """The editor's config.yml, the repository it commits to, and the bundle's files by name
    with their integrity (None when the bundle is not fetched)."""
    from digest.core.cmsconfig import cms_config
    from digest.core.gazetteer import load_gazetteer
    from digest.core.registry import load_registry

    repo = github_repo(root, str(settings.get("DIGEST_ADMIN_REPO") or ""))
    categories = [*categories, *listed_categories(root)]
    site = str(settings.get("SITEURL") or "")
    config = cms_config(load_gazetteer(), load_registry(), categories, repo,
                        str(settings.get("DIGEST_ADMIN_BRANCH") or "main"),
                        site if site.startswith("https://") else "", today,
                        str(settings.get("DIGEST_ADMIN_OAUTH") or ""))
    text = "# Made by `digest admin` from the clipping schema, the gazetteer and the registry:\n" \
           "# edit those, not this file.\n" + yaml.safe_dump(
               config, sort_keys=False, allow_unicode=True, width=100)
    manifest = root / BUNDLE / "manifest.json"
    if not manifest.is_file():
        return text, repo, None
    return text, repo, json.loads(manifest.read_text())["files"]


def write_admin(root: Path, settings: dict, categories: list[str], folder: Path,
                today: dt.date) -> AdminReport:
    """Write `folder/config.yml`, and, with the bundle fetched, `index.html` and the bundle."""
    text, repo, files = admin_files(root, settings, categories, today)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(text, encoding="utf-8")
    if files is None:
        for stale in ("index.html", "decap-cms.js"):
            (folder / stale).unlink(missing_ok=True)
        return AdminReport(folder, False, repo)
    for name in files:
        shutil.copyfile(root / BUNDLE / name, folder / name)
    (folder / "index.html").write_text(scanned_page(settings, files), encoding="utf-8")
    return AdminReport(folder, True, repo)


def admin_pages(gen, out) -> None:
    """Plan the editor's files (DIGEST_ADMIN): rendered when its config or bundle changed."""
    from digest.plugin.planner import signature

    root = Path(gen.settings["PATH"]).parent
    categories = sorted(g.name for g in gen.index.groups["category"])
    now = gen.inputs.now or dt.datetime.now(dt.timezone.utc)
    text, repo, files = admin_files(root, gen.settings, categories, now.date())
    names = ["admin/config.yml"]
    if files is None:
        gen.result.warnings.append(Problem(
            "admin/", None, "the web editor's bundle is not fetched (run `make "
            "admin-bundle`): the admin is off, only its config.yml is written", "warning"))
    else:
        names += ["admin/index.html", *(f"admin/{name}" for name in files)]
    sig = signature([text, json.dumps(files, sort_keys=True)])
    kept = [out.carry_if(name, sig) for name in names]
    if not all(kept):
        for name in names:
            out.claim(name, sig)
        out.job("admin", root, text, files)


def write_admin_job(gen, root: Path, text: str, files: dict[str, str] | None) -> None:
    folder = Path(gen.output_path) / "admin"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(text, encoding="utf-8")
    for name in files or ():
        shutil.copyfile(root / BUNDLE / name, folder / name)
    if files is not None:
        (folder / "index.html").write_text(scanned_page(gen.settings, files), encoding="utf-8")


def scanned_page(settings: dict, files: dict[str, str]) -> str:
    """The editor's page, refused if it would load anything but its bundle (a damaged
    manifest, whose integrity is not one)."""
    from digest.content.render import script_problems
    from digest.errors import BuildError

    page = admin_page(str(settings.get("SITENAME") or "Digest"), files["decap-cms.js"])
    found = script_problems(page, admin=True)
    if found:
        raise BuildError("the web editor's page failed the safety scan: run `make "
                         "admin-bundle` again", [Problem("admin/index.html", None, m)
                                                 for m in found])
    return page
