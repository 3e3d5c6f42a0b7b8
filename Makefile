# Two commands on a fresh machine: `make run` opens the IDE on the sample project,
# `make test` runs the whole suite. Both create .venv and install the project into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench lint system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,postgresql,mysql]'
	@rm -f $(VENV)/.installed-*
	@touch $@

system-deps:
	@bash packaging/linux/install-system-deps.sh

run: system-deps $(STAMP)
	$(VENV)/bin/customdb-studio $(ARGS)

test: system-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/ruff check app tests

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
