"""What a test of the interpreter reads back from one execution, and AWS's wording of a Runtime cause."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

ROLE_ARN = "arn:aws:iam::123456789012:role/interpreter-tests"
FINISHED_WITHIN_SECONDS = 10.0


@dataclass(frozen=True)
class Outcome:
    status: str
    error: str | None
    cause: str | None
    output: Any
    path: list[str]
    """The states entered, in order."""


Execute = Callable[[dict[str, Any], Any], Outcome]
"""Run a definition once on an input: `execute(definition, workflow_input)`."""


def finished(sfn: Any, execution_arn: str) -> dict[str, Any]:
    """DescribeExecution once the execution has left RUNNING (fails the test after a timeout)."""
    deadline = time.monotonic() + FINISHED_WITHIN_SECONDS
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            pytest.fail(f"{execution_arn} still RUNNING after {FINISHED_WITHIN_SECONDS} s")
        time.sleep(0.01)
    return dict(described)


def runtime_cause(state: str, event_id: int, cause: str) -> str:
    """A States.Runtime cause as AWS writes it: prefixed with the state that failed."""
    return (
        f"An error occurred while executing the state '{state}' (entered at the event id #{event_id}). "
        f"{cause}"
    )
