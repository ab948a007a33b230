"""The same test cases in AWS Step Functions Local (Docker image amazon/aws-stepfunctions-local).

`make test-sfn-local` starts the pinned image (Makefile: SFN_LOCAL_IMAGE) with
statemachine/MockConfigFile.json mounted and SFN_MOCK_CONFIG pointing at it, then runs this module
with SFN_LOCAL_REQUIRED=1: the endpoint must answer the Step Functions API within BOOT_SECONDS, or
the module fails. Anywhere else it is skipped, with the reason, after one quick API call to
SFN_LOCAL_ENDPOINT (default http://127.0.0.1:8083): skipped cases are not cases run.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from keywarden.workflow_cases import (
    CaseRun,
    answers_per_state,
    load_expectations,
    mismatches,
    run_cases,
    sfn_local_definition,
)
from statemachine.mock_config import load_mock_config

ENDPOINT = os.environ.get("SFN_LOCAL_ENDPOINT", "http://127.0.0.1:8083")
REQUIRED = os.environ.get("SFN_LOCAL_REQUIRED") == "1"
"""Set by `make test-sfn-local`: an endpoint that does not answer fails instead of skipping."""
BOOT_SECONDS = 90.0
"""The image's JVM answers nothing (connections are dropped) for its first ~10 s, more on a busy host."""
ACCOUNT, REGION = "123456789012", "us-east-1"
"""Where the placeholder ARNs live; the Makefile starts the image with the same."""

EXPECTATIONS = load_expectations()
CONFIG = load_mock_config()


def _client(config: Config | None = None) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # Step Functions Local checks no credentials
        config=config,
    )


def _ready(deadline_seconds: float) -> str | None:
    """None once ListStateMachines answers (an open port is not a working API); else why not."""
    probe = _client(Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}))
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            probe.list_state_machines(maxResults=1)
            return None
        except (BotoCoreError, ClientError) as error:
            if time.monotonic() >= deadline:
                return f"{type(error).__name__}: {error}"
            time.sleep(1)


@pytest.fixture(scope="module")
def sfn() -> Any:
    problem = _ready(BOOT_SECONDS if REQUIRED else 0)
    if problem is not None:
        if REQUIRED:
            pytest.fail(
                f"Step Functions Local at {ENDPOINT} did not answer within {BOOT_SECONDS:.0f} s: {problem}"
            )
        pytest.skip(
            f"no Step Functions Local at {ENDPOINT} (needs Docker: run `make test-sfn-local`): {problem}"
        )
    return _client()


@pytest.fixture(scope="module")
def state_machine_arn(sfn: Any) -> Iterator[str]:
    arn = str(
        sfn.create_state_machine(
            name=EXPECTATIONS.state_machine,
            definition=sfn_local_definition(EXPECTATIONS.settings(), account_id=ACCOUNT),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/keywarden-workflow",
            type="STANDARD",
        )["stateMachineArn"]
    )
    yield arn
    sfn.delete_state_machine(stateMachineArn=arn)


@pytest.fixture(scope="module")
def runs(sfn: Any, state_machine_arn: str) -> dict[str, CaseRun]:
    return run_cases(sfn, state_machine_arn, EXPECTATIONS, name_suffix=f"-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("case", sorted(EXPECTATIONS.cases))
def test_each_case_ends_as_expected_in_step_functions_local(runs: dict[str, CaseRun], case: str) -> None:
    """Given the workflow in Step Functions Local with the repository's mock config, When each test case runs,
    Then it ends as its expectation says (status, final state, error, output, visits),
    using every answer it mocks and nothing else."""
    answers = answers_per_state(CONFIG, EXPECTATIONS.state_machine, case)
    assert mismatches(runs[case], EXPECTATIONS.cases[case].expect, answers) == []
