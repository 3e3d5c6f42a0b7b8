# Two commands on a fresh machine: `make run` opens the IDE on the sample project,
# `make test` runs the whole suite. Both create .venv and install the project into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench lint templates system-deps clean package package-test js-store js-tools

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgresql,mysql,package]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# The offline npm module store JavaScript scripts require() (app/runtime/js/store) and the
# embedded sample database (app/runtime/js/sampledb: PGlite), installed by `npm ci` from the
# committed lockfiles (packaging/npm_ci.py: the pinned Node wheel's npm, else the system's); again
# only when a lockfile changes.
JS_STORE := app/runtime/js/store
JS_SAMPLEDB := app/runtime/js/sampledb
JS_STAMP := $(JS_STORE)/node_modules/.customdb-$(shell cat $(JS_STORE)/package-lock.json $(JS_SAMPLEDB)/package-lock.json | cksum | cut -d' ' -f1)

$(JS_STAMP): $(JS_STORE)/package-lock.json $(JS_SAMPLEDB)/package-lock.json $(STAMP)
	$(PY) packaging/npm_ci.py $(JS_STORE) $(JS_SAMPLEDB)
	@touch $@

js-store: $(JS_STAMP)

# TypeScript's native language server and the modules' types (resources/typescript): completion and
# live diagnostics of JavaScript scripts in the editor; installed the same way as the store.
TS_DIR := resources/typescript
TS_STAMP := $(TS_DIR)/node_modules/.customdb-$(shell cksum $(TS_DIR)/package-lock.json | cut -d' ' -f1)

$(TS_STAMP): $(TS_DIR)/package-lock.json $(STAMP)
	$(PY) packaging/npm_ci.py $(TS_DIR)
	@touch $@

js-tools: $(TS_STAMP)

system-deps:
	@bash packaging/linux/install-system-deps.sh

run: system-deps $(STAMP) $(JS_STAMP) $(TS_STAMP)
	$(VENV)/bin/customdb-studio $(ARGS)

test: system-deps $(STAMP) $(JS_STAMP) $(TS_STAMP)
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/ruff check app tests tools

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests tools

# The bundled script templates (resources/templates) are rendered from one source per script kind
# and language (tools/templates/); edit those and run this. A test fails when the two disagree.
templates: $(STAMP)
	$(PY) tools/templates/generate.py

# The one-folder app from packaging/customdb-studio.spec (the Windows/macOS installers wrap the same
# build, see .github/workflows/release.yml); package-test runs the built app's --smoke-test.
PACKAGE_STAMP := $(VENV)/.package-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,postgresql,mysql,package]'
	@rm -f $(VENV)/.package-*
	@touch $@

package: system-deps $(PACKAGE_STAMP) $(JS_STAMP) $(TS_STAMP)
	@bash packaging/linux/install-build-deps.sh
	@start=$$(date +%s); \
	$(PY) packaging/make_icons.py --out build/icons >/dev/null && \
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/customdb-studio.spec && \
	echo "built dist/customdb-studio in $$(( $$(date +%s) - start )) s, $$(du -sh dist/customdb-studio | cut -f1)"

package-test: package
	QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
		dist/customdb-studio/customdb-studio --smoke-test

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache $(JS_STORE)/node_modules $(JS_SAMPLEDB)/node_modules
