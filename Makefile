# keywarden: `make demo` and `make test` work on a fresh machine with Python 3.11+, Node 20 and make.
# Each target installs what it needs, at the versions pinned in pyproject.toml and constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PIP_VERSION := 26.3
INSTALL := $(PIP) install --quiet --constraint constraints.txt

.PHONY: demo test lint unit e2e bench-audit constraints clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "keywarden needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip==$(PIP_VERSION)

# The demo needs the package and the sandbox only.
$(VENV)/.demo: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]'
	@touch $@

# Tests and lint add their own groups.
$(VENV)/.test: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]' --group test --group lint
	@touch $@ $(VENV)/.demo

demo: $(VENV)/.demo
	$(BIN)/keywarden demo

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

unit: $(VENV)/.test
	$(BIN)/pytest tests/unit

e2e: $(VENV)/.test
	$(BIN)/pytest tests/e2e

# Figures, not a test: audit history --account over 20,000 audit items in the sandbox.
bench-audit: $(VENV)/.test
	$(BIN)/python benchmarks/audit_history.py

# After changing a pin in pyproject.toml: record every installed version.
constraints: $(VENV)/.test
	{ echo "# Every package keywarden installs, at the version it was tested with."; \
	  echo "# Regenerate with: make constraints"; \
	  $(PIP) freeze --exclude-editable | grep -v '^keywarden'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
