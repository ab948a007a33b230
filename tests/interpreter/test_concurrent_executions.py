"""Executions run concurrently on one virtual clock: overlapping waits cost the longest, in a fixed order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.stepfunctions.interpreter import aws_faithful_interpreter
from tests.interpreter.running import ROLE_ARN

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WAIT_THEN_PASS = {
    "StartAt": "Hold",
    "States": {
        "Hold": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Done"},
        "Done": {"Type": "Pass", "End": True},
    },
}


def _run_together(waits: list[int]) -> tuple[float, list[tuple[str, str]]]:
    """Start one execution per wait at the same instant, run them; the simulated seconds that
    passed and each execution's (name, stop date)."""
    clock = VirtualClock(START)
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        aws_faithful_interpreter(clock) as scheduler,
    ):
        sfn: Any = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="waits", definition=json.dumps(WAIT_THEN_PASS), roleArn=ROLE_ARN
        )
        with scheduler.paused():
            arns = [
                sfn.start_execution(
                    stateMachineArn=machine["stateMachineArn"],
                    name=f"wait-{n}",
                    input=json.dumps({"seconds": s}),
                )["executionArn"]
                for n, s in enumerate(waits)
            ]
            assert [sfn.describe_execution(executionArn=a)["status"] for a in arns] == ["RUNNING"] * len(arns)
        stops = []
        for arn in arns:
            described = sfn.describe_execution(executionArn=arn)
            assert described["status"] == "SUCCEEDED"
            stops.append((described["name"], described["stopDate"].astimezone(UTC).isoformat()))
        return clock.elapsed_seconds, stops


def test_two_executions_waiting_at_once_take_the_longer_wait_not_the_sum() -> None:
    """Given two executions started together, waiting 300 s and 120 s
    When they run
    Then 300 simulated seconds pass (not 420), and each stops at its own wait's end."""
    elapsed, stops = _run_together([300, 120])
    assert elapsed == 300
    assert stops == [("wait-0", "2026-11-28T12:05:00+00:00"), ("wait-1", "2026-11-28T12:02:00+00:00")]


def test_the_same_executions_give_the_same_times_every_run() -> None:
    """Given the same three executions
    When they run twice from scratch
    Then the simulated times are identical."""
    assert _run_together([60, 60, 30]) == _run_together([60, 60, 30])
