"""EventBridge to Step Functions delivery, which moto does not do (it raises NotImplementedError).

`Rule.send_to_targets` is wrapped: state machine targets start an execution with the event
(honouring Input, InputPath and InputTransformer); every other target goes to moto as before.

As EventBridge does ("Event retry policy and using dead-letter queues",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html): a delivery
that fails with a throttling or 5xx error is retried with exponential back-off, on the virtual
clock, for up to 24 hours and 185 attempts (or the target's RetryPolicy); then, and at once for
any other error, the event goes to the target's dead-letter queue with the message attributes
RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.
AWS does not publish its back-off's schedule: here it is 1, 2, 4... seconds, capped at 480 s
(185 attempts then span about 23.5 hours), without jitter so that runs repeat exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto.events.models import EventTemplateParser, Rule
from moto.sqs.models import sqs_backends
from moto.stepfunctions.responses import get_backend
from moto.utilities.arns import parse_arn

from keywarden.sandbox.aws.throttling import ThrottledCallError, ThrottlingLimits
from keywarden.sandbox.scheduler import Scheduler

MAXIMUM_RETRY_ATTEMPTS = 185
MAXIMUM_EVENT_AGE_SECONDS = 86_400
BACKOFF_CAP_SECONDS = 480


@dataclass(frozen=True)
class Delivery:
    rule_name: str
    event_id: str
    target_arn: str
    execution_arn: str | None
    error: str | None = None
    attempt: int = 1
    """1 for the first try; a retried delivery counts up."""


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


def backoff_seconds(attempt: int) -> float:
    """How long after failed attempt `attempt` (1, 2...) the next one is made."""
    return float(min(2 ** (attempt - 1), BACKOFF_CAP_SECONDS))


@dataclass(frozen=True)
class _Failure:
    code: str
    message: str
    retryable: bool


def _failure(error: Exception) -> _Failure:
    """What EventBridge makes of a failed delivery: its error code, and whether it retries."""
    if isinstance(error, ThrottledCallError):
        return _Failure(error.code, str(error), retryable=True)
    code = getattr(error, "code", None)
    status = getattr(error, "status_code", None) or getattr(error, "STATUS", None)
    if not isinstance(code, str):
        code = getattr(error, "TYPE", None) or type(error).__name__
    retryable = isinstance(status, int) and (status >= 500 or status == 429)
    return _Failure(str(code), str(getattr(error, "message", None) or error), retryable)


@dataclass
class StepFunctionsDelivery:
    """Starts executions for rules whose targets are state machines; remembers every delivery."""

    deliveries: list[Delivery] = field(default_factory=list)
    scheduler: Scheduler | None = None
    """Where retries are scheduled (without one, a failed delivery goes to the DLQ at once)."""
    limits: ThrottlingLimits | None = None
    """StartExecution's bucket (a throttled start is retried like any throttled delivery)."""
    dead_lettered: list[dict[str, str]] = field(default_factory=list)
    """The message attributes of each event sent to a dead-letter queue."""
    _started: int = 0
    copies: int = 1
    """How many times each matching event is delivered to each target (see `delivering_each`)."""

    @contextmanager
    def delivering_each(self, copies: int) -> Iterator[None]:
        """Deliver every event `copies` times while the context is open (same event id each time)."""
        previous, self.copies = self.copies, copies
        try:
            yield
        finally:
            self.copies = previous

    def deliver(
        self,
        rule: Rule,
        target: dict[str, Any],
        event: dict[str, Any],
        attempt: int = 1,
        first_try: datetime | None = None,
    ) -> None:
        """Deliver `event` to a state machine target (attempt 1, or a retry of the one at `first_try`)."""
        arn = parse_arn(target["Arn"])
        if first_try is None:
            first_try = self.scheduler.clock.now() if self.scheduler else datetime.now(UTC)
        try:
            if self.limits is not None:
                self.limits.take_or_raise("stepfunctions", "StartExecution")
            payload = _target_input(target, event)
            execution = get_backend(arn.account, arn.region).start_execution(
                target["Arn"],
                name=self._execution_name(rule),
                execution_input=payload if isinstance(payload, str) else json.dumps(payload),
            )
        except Exception as error:  # noqa: BLE001 - EventBridge turns any failed delivery into a retry or a DLQ message
            failed = Delivery(rule.name, event["id"], target["Arn"], None, repr(error), attempt)
            self.deliveries.append(failed)
            self._after_failure(rule, target, event, attempt, _failure(error), first_try)
            return
        arn_started = execution.exec_arn
        self.deliveries.append(Delivery(rule.name, event["id"], target["Arn"], arn_started, None, attempt))

    def _execution_name(self, rule: Rule) -> str:
        """Random-looking but the same in every run of a scenario: the jitter of a Retry is drawn
        from the execution's id (stepfunctions_jitter.py), so a random name would change the times."""
        self._started += 1
        digest = hashlib.sha256(f"{rule.arn}|{self._started}".encode()).hexdigest()
        return f"{rule.name[:40]}-{digest[:20]}"

    def _after_failure(
        self,
        rule: Rule,
        target: dict[str, Any],
        event: dict[str, Any],
        attempt: int,
        failure: _Failure,
        first_try: datetime,
    ) -> None:
        policy = target.get("RetryPolicy", {})
        attempts = int(policy.get("MaximumRetryAttempts", MAXIMUM_RETRY_ATTEMPTS))
        maximum_age = float(policy.get("MaximumEventAgeInSeconds", MAXIMUM_EVENT_AGE_SECONDS))
        retried = attempt - 1
        if not failure.retryable or self.scheduler is None:
            self._dead_letter(rule, target, event, failure, retried, "")
            return
        next_try = self.scheduler.clock.now() + timedelta(seconds=backoff_seconds(attempt))
        age = next_try - first_try
        if retried >= attempts:
            self._dead_letter(rule, target, event, failure, retried, "MaximumRetryAttempts")
            return
        if age.total_seconds() > maximum_age:
            self._dead_letter(rule, target, event, failure, retried, "MaximumEventAgeInSeconds")
            return
        self.scheduler.spawn_in(
            backoff_seconds(attempt),
            lambda: self.deliver(rule, target, event, attempt + 1, first_try),
            name=f"retry-{event['id'][:8]}-{attempt + 1}",
        )

    def _dead_letter(
        self,
        rule: Rule,
        target: dict[str, Any],
        event: dict[str, Any],
        failure: _Failure,
        retried: int,
        exhausted: str,
    ) -> None:
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        if not dead_letter:
            return
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target["Arn"],
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message[:256],
            "RETRY_ATTEMPTS": str(retried),
        }
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        self.dead_lettered.append(attributes)
        queue = parse_arn(dead_letter)
        sqs_backends[queue.account][queue.region].send_message(
            queue.resource_id,
            json.dumps(event),
            message_attributes={
                name: {"DataType": "Number" if name == "RETRY_ATTEMPTS" else "String", "StringValue": value}
                for name, value in attributes.items()
            },
        )


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
            for _ in range(delivery.copies):
                delivery.deliver(rule, target, dict(event))

    with mock.patch.object(Rule, "send_to_targets", send_to_targets):
        yield delivery
