"""Run the workflow's test cases (statemachine/MockConfigFile.json) and check how each one ends.

One runner for every Step Functions endpoint that understands AWS's mock configuration: the
local sandbox (`make test`) and Step Functions Local in Docker (`make test-sfn-local`). Given a
boto3 Step Functions client and a state machine ARN, it starts "<ARN>#<test case>", waits for
the end, reads the history and compares the end with statemachine/mock-expectations.json.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.workflow import WORKFLOW_FUNCTIONS, WorkflowResources, workflow_substitutions
from domain.exemptions import Exemption
from statemachine import ASL_PATH, render_definition
from statemachine.mock_config import MockConfig, iter_states, reachable_states

EXPECTATIONS_PATH: Final = ASL_PATH.with_name("mock-expectations.json")

_ATTEMPT_EVENTS: Final = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_LAMBDA_SCHEDULED: Final = "LambdaFunctionScheduled"
_RUNNING: Final = "RUNNING"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExpectedEnd(_Strict):
    status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    final_state: str
    """The last state the execution entered."""
    error: str | None = None
    cause_contains: str | None = None
    output: dict[str, Any] = Field(default_factory=dict)
    """Dotted path in the execution's output ("evaluation.keys.0.result") -> value."""
    visits: dict[str, int] = Field(default_factory=dict)
    """State -> how many times it was entered."""
    attempts: dict[str, int] = Field(default_factory=dict)
    """Task state -> how many times it was invoked, retries included."""
    not_visited: tuple[str, ...] = ()


class CaseWorld(_Strict):
    """What the real functions find when `make mock-payloads` derives a case's answers.

    The user itself is the one the mocked Prepare answer's snapshot describes, as it was before the
    runbook, and as the mocked Conclude answer's keys say after it.
    """

    config: Literal["discovered", "undiscovered", "not_recorded", "deleted"] = "discovered"
    """AWS Config's inventory: the user discovered, not yet, not recorded in the region, or deleted."""
    notification: Literal["new", "already_notified", "publish_fails"] = "new"
    """The owner's notice: news, already sent within the window, or refused by the owners' topic."""
    coordination: Literal["free", "event_replayed", "user_locked"] = "free"
    """The coordination table: empty, the event already handled by an earlier execution (which recorded
    its outcome), or the user locked by another live execution."""


class CaseExpectation(_Strict):
    description: str
    input: dict[str, Any] | None = None
    """The execution's input; the file's shared `input` when absent."""
    deployment: dict[str, Any] = Field(default_factory=dict)
    """Settings of this case on top of the shared ones; only what the functions read (dryRun ...):
    every case runs on the same state machine."""
    exemptions: tuple[Exemption, ...] = ()
    """The exemption table's content when the case runs (what the real Prepare reads)."""
    world: CaseWorld = Field(default_factory=CaseWorld)
    expect: ExpectedEnd


class CaseExpectations(_Strict):
    comment: str = ""
    state_machine: str
    deployment: dict[str, Any]
    """The deployment settings the cases assume (cdk.json names), e.g. maxPollAttempts."""
    input: dict[str, Any]
    cases: dict[str, CaseExpectation]

    def settings(self) -> DeploymentSettings:
        return DeploymentSettings.from_context(self.deployment)

    def settings_for(self, case: str) -> DeploymentSettings:
        """The shared settings with the case's own on top (what its functions run with)."""
        return DeploymentSettings.from_context({**self.deployment, **self.cases[case].deployment})

    def input_for(self, case: str) -> dict[str, Any]:
        return self.cases[case].input or self.input


def load_expectations(path: Path = EXPECTATIONS_PATH) -> CaseExpectations:
    return CaseExpectations.model_validate(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class CaseRun:
    """How one test case's execution ended, read back through the Step Functions API."""

    case: str
    execution_arn: str
    status: str
    error: str | None
    cause: str | None
    output: Any
    path: list[str]
    """Every state entered, in order (states inside a Map included)."""
    attempts: Counter[str]
    """Task state -> invocations, retries included (one Scheduled event each)."""
    lambda_inputs: list[tuple[str, Any]]
    """(state, input) of every Lambda function invocation, in order: what the workflow built."""


def _state_of(event: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> str | None:
    """The state entered at the start of an event's chain (previousEventId links)."""
    current = event
    while "stateEnteredEventDetails" not in current and current.get("previousEventId") in by_id:
        current = by_id[current["previousEventId"]]
    details = current.get("stateEnteredEventDetails")
    return str(details["name"]) if details else None


def _attempts(events: list[dict[str, Any]]) -> Counter[str]:
    """Attribute each Scheduled event to its state."""
    by_id = {event["id"]: event for event in events}
    states = (_state_of(event, by_id) for event in events if event["type"] in _ATTEMPT_EVENTS)
    return Counter(state for state in states if state is not None)


def _lambda_inputs(events: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    by_id = {event["id"]: event for event in events}
    inputs = []
    for event in events:
        state = _state_of(event, by_id) if event["type"] == _LAMBDA_SCHEDULED else None
        if state is not None:
            inputs.append((state, json.loads(event["lambdaFunctionScheduledEventDetails"]["input"])))
    return inputs


def run_case(
    sfn: Any,
    state_machine_arn: str,
    case: str,
    workflow_input: Mapping[str, Any],
    execution_name: str,
    timeout_seconds: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> CaseRun:
    """Start `case` on `state_machine_arn` (Step Functions Local's "#<case>" suffix) and wait for its end."""
    execution_arn = sfn.start_execution(
        stateMachineArn=f"{state_machine_arn}#{case}", name=execution_name, input=json.dumps(workflow_input)
    )["executionArn"]
    deadline = time.monotonic() + timeout_seconds
    described = sfn.describe_execution(executionArn=execution_arn)
    while described["status"] == _RUNNING:
        if time.monotonic() > deadline:
            raise TimeoutError(f"test case {case} still running after {timeout_seconds} s: {execution_arn}")
        sleep(0.5)
        described = sfn.describe_execution(executionArn=execution_arn)
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    output = described.get("output")
    return CaseRun(
        case=case,
        execution_arn=execution_arn,
        status=described["status"],
        error=described.get("error"),
        cause=described.get("cause"),
        output=json.loads(output) if output else None,
        path=[e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
        attempts=_attempts(events),
        lambda_inputs=_lambda_inputs(events),
    )


def run_cases(
    sfn: Any,
    state_machine_arn: str,
    expectations: CaseExpectations,
    name_suffix: str = "",
    before_case: Callable[[str], None] | None = None,
) -> dict[str, CaseRun]:
    """Run every case once, one after the other; each execution is named after its case.

    `before_case` prepares an endpoint for a case (the sandbox: its clock back at the event's time).
    """
    runs = {}
    for case in expectations.cases:
        if before_case is not None:
            before_case(case)
        runs[case] = run_case(sfn, state_machine_arn, case, expectations.input_for(case), case + name_suffix)
    return runs


class ReportedRun(_Strict):
    """One case as an interpreter without the Step Functions API reports it, as JSON
    (tests/second_interpreter/run_cases.mjs): the same facts a CaseRun reads from a history."""

    execution_arn: str
    status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    error: str | None
    cause: str | None
    output: Any
    path: tuple[str, ...]
    attempts: dict[str, int]
    lambda_inputs: tuple[tuple[str, Any], ...]
    problems: tuple[str, ...]
    """What went wrong in running the case itself (a Task without a mocked answer ...)."""

    def case_run(self, case: str) -> CaseRun:
        return CaseRun(
            case=case,
            execution_arn=self.execution_arn,
            status=self.status,
            error=self.error,
            cause=self.cause,
            output=self.output,
            path=list(self.path),
            attempts=Counter(self.attempts),
            lambda_inputs=list(self.lambda_inputs),
        )


_MISSING: Final = object()


def value_at(document: Any, dotted_path: str) -> Any:
    """`document["a"]["b"][0]` for "a.b.0"; a sentinel when any part is missing."""
    for part in dotted_path.split("."):
        if isinstance(document, dict) and part in document:
            document = document[part]
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return _MISSING
    return document


def mismatches(run: CaseRun, expected: ExpectedEnd, answers: Mapping[str, int]) -> list[str]:
    """How `run` differs from its expected end; `answers`: mocked state -> number of mocked answers."""
    found: list[str] = []

    def compare(what: str, actual: Any, wanted: Any) -> None:
        if actual != wanted:
            shown = "(missing)" if actual is _MISSING else repr(actual)
            found.append(f"{what}: expected {wanted!r}, got {shown}")

    compare("status", run.status, expected.status)
    compare("final state", run.path[-1] if run.path else None, expected.final_state)
    if expected.error is not None or run.status == "FAILED":
        compare("error", run.error, expected.error)
    if expected.cause_contains is not None and expected.cause_contains not in (run.cause or ""):
        found.append(f"cause: expected to contain {expected.cause_contains!r}, got {run.cause!r}")
    for path, value in expected.output.items():
        compare(f"output {path}", value_at(run.output, path), value)
    visits = Counter(run.path)
    for state, count in expected.visits.items():
        compare(f"visits of {state}", visits[state], count)
    for state, count in expected.attempts.items():
        compare(f"invocations of {state}", run.attempts[state], count)
    found.extend(f"{state} was entered" for state in expected.not_visited if visits[state])
    # A case uses every answer it mocks, and nothing else answers: it needs no AWS at all.
    for state, count in answers.items():
        compare(f"invocations of mocked state {state}", run.attempts[state], count)
    found.extend(f"Task state {state} ran unmocked" for state in run.attempts if state not in answers)
    return found


def answers_per_state(config: MockConfig, state_machine: str, case: str) -> dict[str, int]:
    """Mocked state -> how many invocations its mocked response answers, for one test case."""
    return {
        state: len(config.answers(response))
        for state, response in config.test_case(state_machine, case).items()
    }


def expectation_problems(
    expectations: CaseExpectations, config: MockConfig, definition: Mapping[str, Any]
) -> list[str]:
    """Everything in the expectations that does not fit the mock config or the workflow."""
    problems: list[str] = []
    cases = config.StateMachines.get(expectations.state_machine)
    if cases is None:
        return [f"the mock config has no state machine named {expectations.state_machine!r}"]
    if set(cases.TestCases) != set(expectations.cases):
        problems.append(
            f"test cases without expectations: {sorted(set(cases.TestCases) - set(expectations.cases))}; "
            f"expectations without test case: {sorted(set(expectations.cases) - set(cases.TestCases))}"
        )
    states = dict(iter_states(definition))
    reachable = reachable_states(definition)
    for name, case in expectations.cases.items():
        expect = case.expect
        named = {expect.final_state, *expect.visits, *expect.attempts, *expect.not_visited}
        problems.extend(f"{name}: the workflow has no state named {s!r}" for s in sorted(named - set(states)))
        problems.extend(
            f"{name}: no execution can reach {s!r}" for s in sorted((named & set(states)) - reachable)
        )
        final = states.get(expect.final_state, {})
        if final and not (final.get("Type") in ("Succeed", "Fail") or final.get("End")):
            problems.append(f"{name}: {expect.final_state!r} does not end the execution")
        if case.deployment and sfn_local_definition(expectations.settings_for(name)) != sfn_local_definition(
            expectations.settings()
        ):
            problems.append(
                f"{name}: its deployment settings change the workflow definition; every case runs on "
                "one state machine, so a case may only change what the functions read (dryRun ...)"
            )
    return problems


def sfn_local_definition(settings: DeploymentSettings, account_id: str = "123456789012") -> str:
    """The ASL as Step Functions Local gets it: every ARN a placeholder, since every Task is mocked."""
    region, names = "us-east-1", ResourceNames(settings.name_prefix)
    resources = WorkflowResources(
        audit_table=names.audit_table,
        notification_state_table=names.notification_state_table,
        exemption_table=names.exemption_table,
        owners_topic_arn=f"arn:aws:sns:{region}:{account_id}:{names.owners_topic}",
        operators_topic_arn=f"arn:aws:sns:{region}:{account_id}:{names.operators_topic}",
        automation_role_arn=f"arn:aws:iam::{account_id}:role/{names.prefix}-automation",
        coordination_table=names.coordination_table,
    )
    lambda_arn = f"arn:aws:lambda:{region}:{account_id}:function:"
    functions = {f.substitution: lambda_arn + names.function(f.handler) for f in WORKFLOW_FUNCTIONS}
    return render_definition(workflow_substitutions(settings, resources, functions))
