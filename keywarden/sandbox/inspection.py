"""Reading back what a sandbox run did: the execution's path, and what was published on a topic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PublishedMessage:
    message_id: str
    topic_arn: str
    subject: str
    message: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class ExecutionReport:
    execution_arn: str
    status: str
    path: list[str]
    """Every state entered, in order (states inside Maps and Parallels included)."""
    state_transitions: int
    function_invocations: int
    """Lambda invocations the workflow scheduled (retries included)."""
    simulated_seconds: float
    error: str | None
    cause: str | None
    output: dict[str, Any] | None


def report_of(
    execution_arn: str, described: Mapping[str, Any], events: list[dict[str, Any]]
) -> ExecutionReport:
    """An ExecutionReport from DescribeExecution's answer and the execution's history events."""
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e.get("stateEnteredEventDetails")]
    stop: datetime = described.get("stopDate", described["startDate"])
    output = described.get("output")
    return ExecutionReport(
        execution_arn=execution_arn,
        status=described["status"],
        path=entered,
        state_transitions=len(entered),
        function_invocations=sum(1 for e in events if e["type"] == "LambdaFunctionScheduled"),
        simulated_seconds=(stop - described["startDate"]).total_seconds(),
        error=described.get("error"),
        cause=described.get("cause"),
        output=json.loads(output) if output else None,
    )


def read_inbox(sqs: Any, queue_url: str) -> list[PublishedMessage]:
    """Every SNS message waiting in an SQS queue subscribed to a topic (consumed)."""
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            envelope = json.loads(message["Body"])
            messages.append(
                PublishedMessage(
                    message_id=envelope["MessageId"],
                    topic_arn=envelope["TopicArn"],
                    subject=envelope.get("Subject") or "",
                    message=envelope["Message"],
                    attributes={k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                )
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages
