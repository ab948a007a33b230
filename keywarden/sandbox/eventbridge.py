"""EventBridge to Step Functions delivery, which moto does not do (it raises NotImplementedError).

`Rule.send_to_targets` is wrapped: state machine targets start an execution with the event
(honouring Input, InputPath and InputTransformer); every other target goes to moto as before.
A delivery that fails goes to the target's dead-letter queue, as EventBridge does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.events.models import EventTemplateParser, Rule
from moto.stepfunctions.responses import get_backend
from moto.utilities.arns import parse_arn


@dataclass(frozen=True)
class Delivery:
    rule_name: str
    event_id: str
    target_arn: str
    execution_arn: str | None
    error: str | None = None


def _iso_time(event: dict[str, Any]) -> dict[str, Any]:
    """moto keeps "time" as epoch seconds; EventBridge delivers an ISO 8601 string."""
    delivered = {k: v for k, v in event.items() if k != "ingestion-time"}
    moment = delivered.get("time")
    if isinstance(moment, (int, float)):
        delivered["time"] = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def _select(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.removeprefix("$").strip(".").split("."):
        if part:
            value = value[part]
    return value


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _select(event, target["InputPath"])
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return event


@dataclass
class StepFunctionsDelivery:
    """Starts executions for rules whose targets are state machines; remembers every delivery."""

    deliveries: list[Delivery] = field(default_factory=list)

    def deliver(self, rule: Rule, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = parse_arn(target["Arn"])
        try:
            payload = _target_input(target, event)
            execution = get_backend(arn.account, arn.region).start_execution(
                target["Arn"],
                name=f"{rule.name[:40]}-{uuid.uuid4().hex[:20]}",
                execution_input=payload if isinstance(payload, str) else json.dumps(payload),
            )
        except Exception as error:  # noqa: BLE001 - EventBridge turns any failed delivery into a DLQ message
            self.deliveries.append(Delivery(rule.name, event["id"], target["Arn"], None, repr(error)))
            dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letter:
                rule._send_to_sqs_queue(parse_arn(dead_letter).resource_id, event)
            return
        self.deliveries.append(Delivery(rule.name, event["id"], target["Arn"], execution.exec_arn))


@contextmanager
def stepfunctions_targets(delivery: StepFunctionsDelivery) -> Iterator[StepFunctionsDelivery]:
    """Deliver matching events to state machine targets while the context is open."""
    original = Rule.send_to_targets

    def send_to_targets(rule: Rule, original_event: Any, transform_input: bool = True) -> None:
        if not rule.event_pattern.matches_event(original_event):
            return
        event = _iso_time(dict(original_event))
        state_machines = [t for t in rule.targets if parse_arn(t["Arn"]).service == "states"]
        others = [t for t in rule.targets if t not in state_machines]
        if others:
            with mock.patch.object(rule, "targets", others):
                original(rule, original_event, transform_input)
        for target in state_machines:
            delivery.deliver(rule, target, event)

    with mock.patch.object(Rule, "send_to_targets", send_to_targets):
        yield delivery
