# keywarden: `make demo` and `make test` work on a fresh machine with Python 3.11+, Node 20 and make.
# Each target installs what it needs, at the versions pinned in pyproject.toml and constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PIP_VERSION := 26.3
INSTALL := $(PIP) install --quiet --constraint constraints.txt

.PHONY: demo test lint unit e2e test-sfn-local mock-payloads bench-audit constraints clean synth

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "keywarden needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip==$(PIP_VERSION)

# The demo needs the package and the sandbox only.
$(VENV)/.demo: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]'
	@touch $@

# Tests and lint add their own groups (infra: the CDK app, its template tests and cfn-lint).
$(VENV)/.test: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]' --group test --group lint --group infra
	@touch $@ $(VENV)/.demo

# The CDK CLI, at the version pinned in package.json / package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Offline and without credentials: synth needs neither. cdk-nag runs inside synth (app.py);
# cfn-lint checks the template (W3005, redundant DependsOn written by CDK, is ignored).
NO_AWS := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

synth: $(VENV)/.test node_modules/.package-lock.json
	$(NO_AWS) node_modules/.bin/cdk synth --quiet --no-notices
	$(BIN)/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

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

# Needs Docker: the workflow's mock-config test cases in AWS Step Functions Local, with the same
# expectations as the sandbox run in `make test` (tests/sfn_local/).
SFN_LOCAL_IMAGE ?= amazon/aws-stepfunctions-local
SFN_LOCAL_PORT  ?= 8083
SFN_LOCAL_MOCK  := /home/StepFunctionsLocal/MockConfigFile.json
test-sfn-local: $(VENV)/.test
	docker run --detach --rm --name keywarden-sfn-local -p 127.0.0.1:$(SFN_LOCAL_PORT):8083 \
		--mount type=bind,readonly,source=$(CURDIR)/statemachine/MockConfigFile.json,destination=$(SFN_LOCAL_MOCK) \
		-e SFN_MOCK_CONFIG=$(SFN_LOCAL_MOCK) $(SFN_LOCAL_IMAGE)
	SFN_LOCAL_ENDPOINT=http://127.0.0.1:$(SFN_LOCAL_PORT) SFN_LOCAL_REQUIRED=1 $(BIN)/pytest tests/sfn_local; \
		status=$$?; docker stop keywarden-sfn-local >/dev/null; exit $$status

# After changing the workflow or a Lambda's answer: re-derive every mocked Lambda payload of
# statemachine/MockConfigFile.json from the real functions (`--check` only compares).
mock-payloads: $(VENV)/.test
	$(BIN)/python -m keywarden.sandbox.mocked_payloads

# Figures, not a test: audit history --account over 20,000 audit items in the sandbox.
bench-audit: $(VENV)/.test
	$(BIN)/python benchmarks/audit_history.py

# After changing a pin in pyproject.toml: record every installed version.
constraints: $(VENV)/.test
	{ echo "# Every package keywarden installs, at the version it was tested with."; \
	  echo "# Regenerate with: make constraints"; \
	  $(PIP) freeze --exclude-editable | grep -v '^keywarden'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache cdk.out node_modules
