"""Run a tiny ASL definition in moto's interpreter, with keywarden's corrections, and read the outcome.

The strict-path rules are on unless pytest runs with --lenient-paths: then moto's own (lenient)
behaviour runs, and the tests of this folder that assert AWS's rules are expected to fail.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.stepfunctions.interpreter import aws_faithful_interpreter
from keywarden.sandbox.stepfunctions.strict_paths import aws_strict_paths
from tests.interpreter.running import ROLE_ARN, Execute, Outcome, finished


@pytest.fixture
def stepfunctions(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Step Functions client on moto, with keywarden's interpreter corrections (strict unless told)."""
    strict = not request.config.getoption("lenient_paths")
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        aws_faithful_interpreter(VirtualClock()),
        aws_strict_paths(strict=strict),
    ):
        yield boto3.client("stepfunctions", region_name="us-east-1")


@pytest.fixture
def execute(stepfunctions: Any) -> Execute:
    """Create a state machine from `definition`, run it once on `workflow_input`, return how it ended."""
    numbers = itertools.count()

    def run(definition: dict[str, Any], workflow_input: Any) -> Outcome:
        number = next(numbers)
        machine = stepfunctions.create_state_machine(
            name=f"machine-{number}", definition=json.dumps(definition), roleArn=ROLE_ARN
        )["stateMachineArn"]
        execution = stepfunctions.start_execution(
            stateMachineArn=machine, name=f"run-{number}", input=json.dumps(workflow_input)
        )["executionArn"]
        described = finished(stepfunctions, execution)
        events = stepfunctions.get_execution_history(executionArn=execution)["events"]
        return Outcome(
            status=described["status"],
            error=described.get("error"),
            cause=described.get("cause"),
            output=json.loads(described["output"]) if "output" in described else None,
            path=[e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
        )

    return run
