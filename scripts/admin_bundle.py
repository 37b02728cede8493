#!/usr/bin/env python3
"""Fetch the web editor's bundle (Decap CMS) from npm, pinned by version and integrity.

    .venv/bin/python scripts/admin_bundle.py [DEST]     (make admin-bundle; DEST: .admin-bundle)

`npm pack` downloads the package's tarball; its SHA-512 must equal the integrity pinned here
(npm's `dist.integrity` of that version), or nothing is written. The browser build
(`dist/decap-cms.js`, the chunks it loads and its WebAssembly) is extracted into DEST with
a manifest; `digest admin` and the build copy it into the site. Nothing is fetched at run
time, and the bundle is never committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE, VERSION = "decap-cms", "3.16.3"
INTEGRITY = ("sha512-hf+dPlCh7TJmWl8+6VRzHYOWhri5xgUknrZbDewaWe4s9B7xJ8PQugp2QHeSldMUKzav6"
             "+z0oIpwUYhUJDYtYw==")
KEEP = re.compile(r"^package/dist/(decap-cms\.js|\d+\.decap-cms\.js|[0-9a-f]+\.wasm)$")


def main(dest: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=tmp,
                           check=True, capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"error: npm pack {PACKAGE}@{VERSION} failed: {exc}", file=sys.stderr)
            return 1
        tgz = Path(tmp) / f"{PACKAGE}-{VERSION}.tgz"
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            print(f"error: {tgz.name} has integrity {digest}, not the pinned {INTEGRITY}",
                  file=sys.stderr)
            return 1
        out = dest / f"{PACKAGE}-{VERSION}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        files = {}
        with tarfile.open(tgz) as tar:
            for member in tar.getmembers():
                if member.isfile() and KEEP.match(member.name):
                    name = Path(member.name).name
                    data = tar.extractfile(member).read()
                    (out / name).write_bytes(data)
                    files[name] = "sha384-" + base64.b64encode(
                        hashlib.sha384(data).digest()).decode()
        if "decap-cms.js" not in files:
            print("error: the package has no dist/decap-cms.js", file=sys.stderr)
            return 1
        (out / "manifest.json").write_text(json.dumps(
            {"package": PACKAGE, "version": VERSION, "integrity": INTEGRITY,
             "files": files}, indent=1) + "\n")
    print(f"wrote {len(files)} files of {PACKAGE} {VERSION} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".admin-bundle")))
