# One entry point for everything: `make test` and `make demo` work on a fresh clone.
# They create a project-local virtualenv (.venv) and install the pinned Codex CLI from npm
# into a project-local folder (.codex-cli), never globally.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CODEX_VERSION := 0.169.0
CODEX_DIR := .codex-cli
CODEX_BIN := $(CURDIR)/$(CODEX_DIR)/node_modules/.bin/codex

.PHONY: install codex test lint unit demo bench docs clean contract-old

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

# The CLI contract against older CLIs (manual; not part of `make test`): npm releases into
# .codex-old/<version> (0.117.0 is the oldest the SDK supports), and the native CLI of PyPI's
# openai-codex-cli-bin (0.163.0) in a venv.
# Before 0.160.0 two things differ, so those two tests are left out there: an unreachable
# provider fails the turn at once (exit 1) instead of reconnecting until the SDK's timeout,
# and a thread has no single-writer lock (a second run continuing it is not refused).
OLD_DIR := .codex-old
CONTRACT := $(PY) -m pytest -p no:cacheprovider -q --pyargs codex_local_sdk.testing.contracts.test_cli_contract
OLD_CLI_DIFFERENCES := not test_unreachable_provider_is_ended_by_the_timeout and not test_one_run_at_a_time_per_thread

contract-old: install
	for v in 0.160.0 0.130.0 0.117.0; do \
	  test -x $(OLD_DIR)/$$v/node_modules/.bin/codex || \
	    npm install --prefix $(OLD_DIR)/$$v --no-audit --no-fund --loglevel=error @openai/codex@$$v || exit 1; \
	done
	test -x $(OLD_DIR)/cli-bin/bin/python || $(PYTHON) -m venv $(OLD_DIR)/cli-bin
	$(OLD_DIR)/cli-bin/bin/pip install --quiet 'openai-codex-cli-bin==0.163.0'
	$(CONTRACT) --codex-bin "$$($(OLD_DIR)/cli-bin/bin/python -c 'import codex_cli_bin; print(codex_cli_bin.bundled_codex_path())')"
	$(CONTRACT) --codex-bin $(OLD_DIR)/0.160.0/node_modules/.bin/codex
	$(CONTRACT) --codex-bin $(OLD_DIR)/0.130.0/node_modules/.bin/codex -k "$(OLD_CLI_DIFFERENCES)"
	$(CONTRACT) --codex-bin $(OLD_DIR)/0.117.0/node_modules/.bin/codex -k "$(OLD_CLI_DIFFERENCES)"

clean:
	rm -rf $(VENV) $(CODEX_DIR) $(OLD_DIR) .mypy_cache .pytest_cache .ruff_cache
