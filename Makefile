# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# make test TEST_WORKERS=auto runs the suite in one process per core (pytest-xdist); the default,
# 0, runs it in one: the fault and worker tests time real processes, and two suites sharing two
# cores made some of them miss their moment.
TEST_WORKERS ?= 0
# The browser tests, after the others (BROWSER_TESTS= leaves them out).
BROWSER_TESTS ?= tests/browser
XDIST = $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadscope)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint bench fuzz loadtest install install-dev assets clean docs

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Cairn needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	-scripts/test-services.sh pdf
	$(BIN)/cairn migrate --noinput
	$(BIN)/cairn demo
	@echo
	@echo "  Cairn is running at http://127.0.0.1:8000/"
	@echo "  Sign in as demo-owner (or demo-editor, demo-viewer), password summit-demo"
	@echo
	BIN=$(BIN) scripts/serve.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Installs the Debian packages the tests need (Chromium, poppler, the PDF libraries) if missing.
# The browser tests run in a pytest session of their own: their live server lives as long as its
# session and shares the in-memory SQLite connection, so a request it is still answering must
# not meet another test's transaction.
test: lint
	scripts/test-services.sh packages
	$(BIN)/cairn check --fail-level WARNING
	$(BIN)/cairn makemigrations --check --dry-run
	$(BIN)/pytest $(XDIST) --ignore=tests/browser $(PYTEST_ARGS)
	$(if $(BROWSER_TESTS),$(BIN)/pytest $(XDIST) $(BROWSER_TESTS) $(PYTEST_ARGS))

# Fuzz the API with schemathesis (its own virtualenv): any server error or undocumented status fails.
fuzz: $(VENV)/.installed-dev
	BIN=$(BIN) scripts/fuzz.sh

# Load and faults on a production-shaped cluster (scripts/cluster.sh: PostgreSQL, Redis, nginx,
# two app servers, two workers), then SQLite: one table in test-artifacts/loadtest.md.
loadtest: $(VENV)/.installed
	$(BIN)/python loadtest/run.py

# Speed checks (not tests): figures in benchmarks/results.json and a table.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

# The documentation site (mkdocs.yml), offline, into var/site; --strict: a broken link fails.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir var/site

# Re-fetch the vendored front-end assets from npm (only to change a pinned version).
assets:
	scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) .venv-tools var test-artifacts
