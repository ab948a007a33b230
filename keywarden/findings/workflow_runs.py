"""Starting keywarden's workflows from the command line, and waiting for them (bounded).

`remediate` and `sweep` start an execution with StartExecution and, with --wait, poll
DescribeExecution until it ends or the patience runs out: never forever.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keywarden.aws_connection import ResourceTarget, aws_errors

FIRST_POLL_SECONDS = 1.0
LONGEST_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class ExecutionEnd:
    """How an execution ended (or that it had not when the patience ran out)."""

    execution_arn: str
    status: str
    """SUCCEEDED, FAILED, TIMED_OUT, ABORTED; RUNNING when the wait gave up."""
    output: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def finished(self) -> bool:
        return self.status != "RUNNING"

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def start_execution(
    sfn: Any, state_machine_arn: str, name: str, workflow_input: Any, target: ResourceTarget
) -> str:
    """Start one execution named `name`; its ARN."""
    with aws_errors(f"starting {state_machine_arn}", target=target):
        answer = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(workflow_input)
        )
    return str(answer["executionArn"])


def _ending(description: dict[str, Any]) -> ExecutionEnd:
    output = description.get("output")
    return ExecutionEnd(
        execution_arn=str(description["executionArn"]),
        status=str(description["status"]),
        output=json.loads(output) if output else None,
        error=description.get("error"),
        cause=description.get("cause"),
    )


def wait_for_execution(
    sfn: Any,
    execution_arn: str,
    timeout_seconds: float,
    target: ResourceTarget,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ExecutionEnd:
    """Poll DescribeExecution (1 s, doubling up to 10 s) until the execution ends or
    `timeout_seconds` pass; then the last status seen (RUNNING if it had not ended)."""
    give_up_at = clock() + timeout_seconds
    pause = FIRST_POLL_SECONDS
    while True:
        with aws_errors(f"reading execution {execution_arn}", target=target):
            ending = _ending(sfn.describe_execution(executionArn=execution_arn))
        left = give_up_at - clock()
        if ending.finished or left <= 0:
            return ending
        sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL_SECONDS)
