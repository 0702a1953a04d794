# One entry point for everything: `make test` and `make demo` work on a fresh clone.
# They create a project-local virtualenv (.venv) and install the pinned Codex CLI from npm
# into a project-local folder (.codex-cli), never globally.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CODEX_VERSION := 0.169.0
CODEX_DIR := .codex-cli
CODEX_BIN := $(CURDIR)/$(CODEX_DIR)/node_modules/.bin/codex

.PHONY: install codex test lint unit demo bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'
	touch $@

codex: $(CODEX_DIR)/.installed-$(CODEX_VERSION)

$(CODEX_DIR)/.installed-$(CODEX_VERSION):
	mkdir -p $(CODEX_DIR)
	npm install --prefix $(CODEX_DIR) --no-audit --no-fund --loglevel=error @openai/codex@$(CODEX_VERSION)
	$(CODEX_BIN) --version
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: install
	$(PY) -m pytest tests

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet -f docs/mkdocs.yml

test: lint docs codex
	CODEX_BIN=$(CODEX_BIN) $(PY) -m pytest

bench: install
	$(PY) -m tests.bench

demo: install codex
	CODEX_BIN=$(CODEX_BIN) $(PY) docs/examples/demo.py

clean:
	rm -rf $(VENV) $(CODEX_DIR) .mypy_cache .pytest_cache .ruff_cache
