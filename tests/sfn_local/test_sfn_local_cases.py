"""The same test cases in AWS Step Functions Local (Docker image amazon/aws-stepfunctions-local).

`make test-sfn-local` starts the image with statemachine/MockConfigFile.json mounted and
SFN_MOCK_CONFIG pointing at it, then runs this module. Anywhere else it is skipped: it needs a
Step Functions Local endpoint (SFN_LOCAL_ENDPOINT, default http://127.0.0.1:8083).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

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
"""Set by `make test-sfn-local`: an unreachable endpoint fails instead of skipping."""
BOOT_SECONDS = 60.0

EXPECTATIONS = load_expectations()
CONFIG = load_mock_config()


def _reachable(endpoint: str, wait_seconds: float) -> bool:
    address = urlsplit(endpoint)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with socket.create_connection((address.hostname or "localhost", address.port or 80), timeout=2):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(1)


@pytest.fixture(scope="module")
def sfn() -> Any:
    if not _reachable(ENDPOINT, BOOT_SECONDS if REQUIRED else 0):
        if REQUIRED:
            pytest.fail(f"no Step Functions Local endpoint at {ENDPOINT} after {BOOT_SECONDS:.0f} s")
        pytest.skip(
            f"no Step Functions Local endpoint at {ENDPOINT} (needs Docker: run `make test-sfn-local`)"
        )
    return boto3.client(
        "stepfunctions",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # Step Functions Local checks no credentials
    )


@pytest.fixture(scope="module")
def state_machine_arn(sfn: Any) -> Iterator[str]:
    arn = str(
        sfn.create_state_machine(
            name=EXPECTATIONS.state_machine,
            definition=sfn_local_definition(EXPECTATIONS.settings()),
            roleArn="arn:aws:iam::123456789012:role/keywarden-workflow",
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
    answers = answers_per_state(CONFIG, EXPECTATIONS.state_machine, case)
    assert mismatches(runs[case], EXPECTATIONS.cases[case].expect, answers) == []
