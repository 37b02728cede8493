"""The web editor's configuration: made from the schema, gazetteer and registry, so that
whatever its form can save passes `digest check`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.core.cmsconfig import cms_config
from digest.core.frontmatter import dump, parse
from digest.core.gazetteer import load_gazetteer
from digest.core.registry import load_registry
from digest.core.rules import validate
from digest.core.schema import FIELD_NAMES

TODAY = dt.date(2026, 12, 2)
GZ, REG = load_gazetteer(), load_registry()
CONFIG = cms_config(GZ, REG, ["Analysis", "News", "Opinion"], "owner/digest", "main",
                    "https://owner.github.io/digest", TODAY)
FIELDS = {f["name"]: f for f in CONFIG["collections"][0]["fields"]}


def _js_free(pattern: str) -> str:
    """A JavaScript pattern of the config as Python reads it (the same syntax here)."""
    return pattern


def _pattern(name: str) -> str:
    return _js_free(FIELDS[name]["pattern"][0])


def _value(field: dict) -> st.SearchStrategy:
    """What the CMS's widget for `field` can save."""
    widget = field["widget"]
    if widget == "select":
        options = [o["value"] if isinstance(o, dict) else o for o in field["options"]]
        if field.get("multiple"):
            return st.lists(st.sampled_from(options), min_size=field.get("min", 0),
                            max_size=4, unique=True)
        return st.sampled_from(options)
    if widget == "list":
        return st.lists(st.from_regex(field["field"]["pattern"][0], fullmatch=True),
                        max_size=3, unique_by=lambda t: re.sub(r"[^a-z0-9]+", "-", t.lower()))
    if widget == "datetime":
        return st.dates(dt.date(1990, 1, 1), TODAY).map(dt.date.isoformat)
    return st.from_regex(field["pattern"][0], fullmatch=True)


@st.composite
def saved_clipping(draw) -> dict:
    values = {}
    for name, field in FIELDS.items():
        if name == "body":
            continue
        if field.get("required") or draw(st.booleans()):
            values[name] = draw(_value(field))
    return values


def test_every_field_of_the_schema_is_in_the_form_with_its_rules():
    names = [f["name"] for f in CONFIG["collections"][0]["fields"]]
    assert names[:-1] == [n for n in FIELD_NAMES if n in names]  # the schema's order
    assert names[-1] == "body"
    # (the slug is the file's name; redirect_from follows a rename, which the form cannot do)
    assert set(FIELD_NAMES) - set(names) == {"slug", "redirect_from"}
    assert FIELDS["countries"]["options"] == [c.name for c in GZ.countries]
    assert "Kyrgyzstan" in FIELDS["countries"]["options"]
    assert {s.name for s in REG.sources} == set(FIELDS["source"]["options"])
    assert FIELDS["title"]["required"] and not FIELDS["author"]["required"]
    assert FIELDS["date"]["format"] == "YYYY-MM-DD"
    assert "the headline" in FIELDS["title"]["hint"].lower()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(saved_clipping())
def test_whatever_the_form_saves_passes_the_check(values):
    text = dump({k: v for k, v in values.items()}, "The excerpt, as the editor wrote it.")
    day = dt.date.fromisoformat(values["date"])
    rel = PurePosixPath(f"{day.year:04d}/{day.month:02d}/saved-clipping.md")
    fm = parse(text, str(rel))
    result = validate(fm, gazetteer=GZ, registry=REG, rel=rel, today=TODAY)
    assert result.errors == [], (values, result.errors)


def test_a_pattern_refuses_what_the_check_refuses():
    assert not re.match(_pattern("source_url"), "javascript:alert(1)")
    assert not re.match(_pattern("source_url"), "https://localhost/x")
    assert not re.match(_pattern("title"), "Two\nlines")
    assert not re.match(_pattern("title"), "x" * 301)
    assert not re.match(_pattern("author"), "<b>Me</b>")
    assert not re.match(_pattern("date"), "2027-01-01")  # after this year
    assert re.match(_pattern("source_url"), "https://www.rferl.org/a/31234567.html")


def _fake_bundle(root) -> str:
    """A bundle as `make admin-bundle` leaves it (its script a line, its integrity true)."""
    import base64
    import hashlib
    import json

    folder = root / ".admin-bundle" / "decap-cms-3.16.3"
    folder.mkdir(parents=True)
    data = b"window.CMS_LOADED = true;\n"
    (folder / "decap-cms.js").write_bytes(data)
    (folder / "1.decap-cms.js").write_bytes(b"// a chunk\n")
    (folder / "ab12.wasm").write_bytes(b"\0asm\1\0\0\0")
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    (folder / "manifest.json").write_text(json.dumps({"files": {
        "decap-cms.js": integrity, "1.decap-cms.js": "x", "ab12.wasm": "y"}}))
    return integrity


def test_digest_admin_writes_the_config_and_says_when_the_admin_is_off(site):
    from typer.testing import CliRunner

    from digest.cli import app

    site.add("2021/04/a.md", category="Opinion")
    runner = CliRunner()
    result = runner.invoke(app, ["admin"])
    assert result.exit_code == 2
    assert "set DIGEST_ADMIN_REPO = 'owner/name' in pelicanconf.py" in result.output
    with open(site.root / "pelicanconf.py", "a") as fh:
        fh.write('DIGEST_ADMIN_REPO = "example/digest"\n')
    result = runner.invoke(app, ["admin"])
    assert result.exit_code == 0, result.output
    assert "the admin is off: its bundle is not fetched (run `make admin-bundle`)" in \
        result.output
    import yaml

    config = yaml.safe_load((site.root / "output/admin/config.yml").read_text())
    fields = {f["name"]: f for f in config["collections"][0]["fields"]}
    assert "Opinion" in fields["category"]["options"]  # the categories in use
    assert config["backend"]["repo"] == "example/digest"
    assert not (site.root / "output/admin/index.html").exists()
    (site.root / "data").mkdir()
    (site.root / "data/categories.yml").write_text("categories: [Interview, '<b>x</b>']\n")
    assert runner.invoke(app, ["admin"]).exit_code == 0
    config = yaml.safe_load((site.root / "output/admin/config.yml").read_text())
    options = config["collections"][0]["fields"][2]["options"]
    assert "Interview" in options and "<b>x</b>" not in options  # an editor's own list
    assert config["collections"][1]["files"][0]["file"] == "data/categories.yml"
    integrity = _fake_bundle(site.root)
    result = runner.invoke(app, ["admin", "--out", "adm"])
    assert result.exit_code == 0 and "the editor is at adm/index.html" in result.output
    page = (site.root / "adm/index.html").read_text()
    assert f'<script src="decap-cms.js" integrity="{integrity}"></script>' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_the_build_publishes_the_editor_and_scans_it(site):
    from digest.build import build
    from digest.errors import BuildError

    site.add("2021/04/a.md")
    with open(site.root / "pelicanconf.py", "a") as fh:
        fh.write('SITEURL = "https://digest.example.org"\nRELATIVE_URLS = False\n'
                 'DIGEST_ADMIN = True\nDIGEST_ADMIN_REPO = "example/digest"\n')
    report = build(site.project)
    assert [w.message[:44] for w in report.warnings] == [
        "the web editor's bundle is not fetched (run "]
    assert (site.root / "output/admin/config.yml").is_file()
    _fake_bundle(site.root)
    report = build(site.project)
    assert report.warnings == []
    out = site.root / "output/admin"
    assert sorted(p.name for p in out.iterdir()) == [
        "1.decap-cms.js", "ab12.wasm", "config.yml", "decap-cms.js", "index.html"]
    assert "admin/" not in (site.root / "output/sitemap.xml").read_text()
    kept = (out / "decap-cms.js").stat().st_mtime_ns
    site.add("2021/04/b.md", title="Another clipping", source_url="https://rferl.org/a/2.html")
    assert build(site.project).incremental
    assert (out / "decap-cms.js").stat().st_mtime_ns == kept  # the editor, unchanged, kept
    # The editor's page may load its bundle and nothing else.
    bundle = site.root / ".admin-bundle/decap-cms-3.16.3"
    import json

    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["decap-cms.js"] = "sha384-x\"></script><script src=\"https://evil.example/x.js"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BuildError, match="safety scan"):
        build(site.project)
