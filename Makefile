# keywarden: `make demo` and `make test` work on a fresh machine with Python 3.11+, Node 20 and make.
# Each target installs what it needs, at the versions pinned in pyproject.toml and constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PIP_VERSION := 26.3
# uv installs what pip would, at the same pins, several times faster (downloads in parallel, bytecode
# compiled on all cores): on a clean clone, 98 s with pip against 60 s with uv, measured here.
UV_VERSION := 0.13.9
INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python --constraint constraints.txt --compile-bytecode

.PHONY: demo test lint unit e2e bench-burst test-lambda-runtime test-sfn-local mock-payloads bench-audit bench-remediation constraints clean synth

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "keywarden needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet uv==$(UV_VERSION)

# The demo needs the package and the sandbox only.
$(VENV)/.demo: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]'
	@touch $@

# Tests and lint add their own groups (infra: the CDK app, its template tests and cfn-lint).
$(VENV)/.test: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) --editable '.[sandbox]' --group test --group lint --group infra
	@touch $@ $(VENV)/.demo

# The Node tools (the CDK CLI, aws-local-stepfunctions, the ASL validators), at the versions
# pinned in package.json / package-lock.json.
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

# The workflows (remediation, daily sweep), rendered with placeholder ARNs into build/ (not committed), through four ASL
# validators: npm asl-validator, @wmfs/statelint, amazon-states-language-service (the AWS
# Toolkit's) and PyPI statelint (keywarden/asl_validators.py; tests/asl_validators shows what each
# catches).
lint: $(VENV)/.test node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m keywarden.asl_validators build/remediation.asl.json build/sweep.asl.json

# tests/second_interpreter runs every mock-config case in aws-local-stepfunctions (Node).
# The suite runs in one pytest-xdist worker per core (PYTEST_WORKERS=0: in this process, no workers);
# each module's tests stay in one worker (--dist loadfile), so a module-scoped sandbox starts once.
PYTEST_WORKERS ?= auto
test: lint node_modules/.package-lock.json
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

unit: $(VENV)/.test
	$(BIN)/pytest tests/unit

e2e: $(VENV)/.test
	$(BIN)/pytest tests/e2e

# The functions run on Lambda's python3.13: the tests of lambdas/ and notifications/ under
# python3.13, with only what a function gets (Powertools, pydantic, boto3; no moto, typer, CDK).
# Not part of `make test` (a machine may lack python3.13): it says so and stops when absent.
PYTHON313 ?= python3.13
NEEDS_MORE_THAN_LAMBDA := test_audit_contract test_audit_output test_audit_periods test_audit_queries \
	test_config_recording_group test_mock_config test_notification_settings test_scenario_and_settings \
	test_scenario_iam_rules test_webhook_poster test_channels test_result_tables test_teams_stand_in \
	test_sweep_handlers test_automation_quota test_scheduler test_throttling
test-lambda-runtime:
	@$(PYTHON313) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || \
		{ echo "no python3.13 ($(PYTHON313)): nothing run; set PYTHON313=/path/to/python3.13"; exit 1; }
	$(PYTHON313) -m venv .venv-py313
	.venv-py313/bin/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	.venv-py313/bin/python -m pip install --quiet --disable-pip-version-check --constraint constraints.txt \
		'aws-lambda-powertools[tracer]' pydantic boto3 pytest pytest-socket
	PYTHONPATH=. .venv-py313/bin/python -m pytest -p no:cacheprovider tests/unit \
		$(foreach test,$(NEEDS_MORE_THAN_LAMBDA),--ignore=tests/unit/$(test).py)

# Needs Docker: the workflow's mock-config test cases in AWS Step Functions Local, with the same
# expectations as the sandbox run in `make test` (tests/sfn_local/). The image is pinned to a
# version tag: 2.0.0, the newest one found (pushed 2024-05-18, also `latest` when last checked;
# AWS calls Step Functions Local unsupported). A container left over from an interrupted run is
# removed first; readiness is a Step Functions API call (the test's sfn fixture), not an open
# port. Account and region are those of the placeholder ARNs.
SFN_LOCAL_IMAGE     ?= amazon/aws-stepfunctions-local:2.0.0
SFN_LOCAL_PORT      ?= 8083
SFN_LOCAL_CONTAINER := keywarden-sfn-local
SFN_LOCAL_MOCK      := /home/StepFunctionsLocal/MockConfigFile.json
test-sfn-local: $(VENV)/.test
	@command -v docker >/dev/null || { echo "make test-sfn-local needs Docker (no docker on PATH)"; exit 1; }
	docker rm --force $(SFN_LOCAL_CONTAINER) >/dev/null 2>&1 || true
	docker run --detach --rm --name $(SFN_LOCAL_CONTAINER) -p 127.0.0.1:$(SFN_LOCAL_PORT):8083 \
		--mount type=bind,readonly,source=$(CURDIR)/statemachine/MockConfigFile.json,destination=$(SFN_LOCAL_MOCK) \
		-e SFN_MOCK_CONFIG=$(SFN_LOCAL_MOCK) -e AWS_ACCOUNT_ID=123456789012 -e AWS_DEFAULT_REGION=us-east-1 \
		$(SFN_LOCAL_IMAGE)
	SFN_LOCAL_ENDPOINT=http://127.0.0.1:$(SFN_LOCAL_PORT) SFN_LOCAL_REQUIRED=1 $(BIN)/pytest tests/sfn_local; \
		status=$$?; docker rm --force $(SFN_LOCAL_CONTAINER) >/dev/null; exit $$status

# After changing the workflow or a Lambda's answer: re-derive every mocked Lambda payload of
# statemachine/MockConfigFile.json from the real functions (`--check` only compares).
mock-payloads: $(VENV)/.test
	$(BIN)/python -m keywarden.sandbox.devtools.mocked_payloads

# Figures, not a test: audit history --account over 20,000 audit items in the sandbox.
bench-audit: $(VENV)/.test
	$(BIN)/python benchmarks/audit_history.py

# Figures, not a test: the real time a remediation costs (simulate 1 user vs 100, issue 12).
bench-remediation: $(VENV)/.demo
	$(BIN)/python benchmarks/remediation_cost.py

# Figures, not a test: N flagged users at once (default 5,000) through the real workflow at SSM's
# default quota, beside ASR's and Config's pacing in the same emulator; a PNG in build/.
$(VENV)/.bench: pyproject.toml constraints.txt | $(VENV)/.test
	$(INSTALL) --editable '.[sandbox]' --group test --group lint --group infra --group bench
	@touch $@

bench-burst: $(VENV)/.test $(VENV)/.bench
	$(BIN)/python benchmarks/burst.py $(BENCH_ARGS)

# After changing a pin in pyproject.toml: record every installed version.
constraints: $(VENV)/.test
	{ echo "# Every package keywarden installs, at the version it was tested with."; \
	  echo "# Regenerate with: make constraints"; \
	  $(PIP) freeze --exclude-editable | grep -v -e '^keywarden' -e '^uv=='; } > constraints.txt

clean:
	rm -rf $(VENV) .venv-py313 .pytest_cache .mypy_cache .ruff_cache cdk.out node_modules
