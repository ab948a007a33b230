"""The ASL file: the rules every version of the workflow keeps, and its contract with the functions.

What the workflow does for each case is tested through the functions (test_conclusion.py ...) and
the mock-config cases; this file states the rules of the definition itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from deployment.workflow import CONCLUDE, PREPARE, WORKFLOW_FUNCTIONS
from domain.preparation import Preparation
from domain.runbook import AUTOMATION_TERMINAL
from domain.tables import AuditTable
from lambdas.conclusion import ConcludeRequest, Conclusion
from lambdas.preparation import PrepareRequest
from statemachine import SUBSTITUTIONS, definition_text, placeholders, render_definition

VALUES = {name: f"value-of-{name}" for name in SUBSTITUTIONS} | {
    "MaxPollAttempts": "40",
    "PollIntervalSeconds": "15",
}
BEFORE_CONCLUDE = ("Prepare", "StartAutomation", "GetAutomationStatus")
"""The Task states whose failures Conclude records (each adds its part of the state when it succeeds)."""
RESULT_MODELS: dict[str, type[BaseModel]] = {
    PREPARE.substitution: Preparation,
    CONCLUDE.substitution: Conclusion,
}
REQUEST_MODELS: dict[str, type[BaseModel]] = {
    PREPARE.substitution: PrepareRequest,
    CONCLUDE.substitution: ConcludeRequest,
}
_PATH = re.compile(r"(?<!\$)\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
"""A reference to the state ($.a.b), not to the context object ($$.Execution ...)."""


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    rendered: dict[str, Any] = json.loads(render_definition(VALUES))
    return rendered


def successors(state: dict[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(next state, the path that way writes): Next and Choices write nothing, a Catch its ResultPath."""
    for name in [state.get("Next"), state.get("Default"), *(c["Next"] for c in state.get("Choices", []))]:
        if name:
            yield name, state.get("ResultPath", "$") if state["Type"] in ("Task", "Pass") else None
    for catch in state.get("Catch", []):
        yield catch["Next"], catch.get("ResultPath", "$")


def written_on_every_way(definition: dict[str, Any]) -> dict[str, set[str]]:
    """For each state, the paths written on every way from StartAt to it (a must-analysis)."""
    states = definition["States"]
    known: dict[str, set[str] | None] = dict.fromkeys(states)
    known[definition["StartAt"]] = set()
    changed = True
    while changed:
        changed = False
        for name, state in states.items():
            entry = known[name]
            if entry is None:
                continue
            for target, path in successors(state):
                out = entry | ({path} if path and path != "$" else set())
                merged = out if known[target] is None else known[target] & out  # type: ignore[operator]
                if merged != known[target]:
                    known[target], changed = merged, True
    return {name: paths or set() for name, paths in known.items()}


def reads(value: Any, guarded: bool = False) -> Iterator[tuple[str, bool]]:
    """Every state path a piece of a state reads, and whether it is only tested for presence."""
    if isinstance(value, dict):
        presence = "IsPresent" in value
        for field, inner in value.items():
            if isinstance(inner, str) and (field.endswith(("Path", ".$")) or field == "Variable"):
                yield from ((f"${m}", guarded or presence) for m in _PATH.findall(inner))
            else:
                yield from reads(inner, guarded)
    elif isinstance(value, list):
        for inner in value:
            yield from reads(inner, guarded)


def test_every_placeholder_is_a_declared_substitution() -> None:
    """Given the ASL file, When its ${Name}s are listed, Then they are exactly the declared substitutions."""
    assert placeholders(definition_text()) == set(SUBSTITUTIONS)


def test_rendering_refuses_missing_or_unknown_values() -> None:
    """Given substitutions missing a name, or with an unknown one, When rendered, Then the name is said."""
    with pytest.raises(ValueError, match="AuditTableName"):
        render_definition({k: v for k, v in VALUES.items() if k != "AuditTableName"})
    with pytest.raises(ValueError, match="Typo"):
        render_definition(VALUES | {"Typo": "x"})


def test_every_transition_names_an_existing_state(definition: dict[str, Any]) -> None:
    """Given the definition,
    When every Next, Default, Choice and Catch is followed,
    Then each names a state."""
    targets = {target for state in definition["States"].values() for target, _ in successors(state)}
    assert targets <= set(definition["States"])


def test_every_task_catches_every_error(definition: dict[str, Any]) -> None:
    """Given any Task, When it fails after its retries, Then a Catch of States.ALL takes the execution on."""
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


@pytest.mark.parametrize("step", BEFORE_CONCLUDE)
def test_every_catch_before_conclude_leads_to_conclude_with_the_failure(
    definition: dict[str, Any], step: str
) -> None:
    """Given a step before Conclude,
    When it fails,
    Then its Catch leads to Conclude with the error in $.failure."""
    catches = definition["States"][step]["Catch"]
    assert [(c["Next"], c["ResultPath"]) for c in catches] == [("Conclude", "$.failure")]


def test_a_failure_of_conclude_or_of_the_record_is_still_recorded_and_alerted(
    definition: dict[str, Any],
) -> None:
    """Given Conclude or the audit write fails, When caught,
    Then RecordFailure writes what is always known, and the operators are alerted whether or not it could."""
    states = definition["States"]
    for step in ("Conclude", "RecordRemediation", "ConfirmRecorded"):
        assert "RecordFailure" in {c["Next"] for c in states[step]["Catch"]}, step
    assert states["IsRecorded"]["Default"] == "RecordFailure"
    record = states["RecordFailure"]
    assert {record["Next"], *(c["Next"] for c in record["Catch"])} == {"AlertOperatorsOfFailure"}
    alert = states["AlertOperatorsOfFailure"]
    assert states[alert["Next"]]["Type"] == "Fail"
    assert {states[c["Next"]]["Type"] for c in alert["Catch"]} == {"Fail"}


def test_every_path_read_is_written_on_every_way_there_or_tested_first(definition: dict[str, Any]) -> None:
    """Given any state reading $.something (a Choice rule, a parameter, a wait, a Fail's error),
    When the execution gets there by any way, success or Catch,
    Then a step on every such way wrote it, or the rule only tests whether it is present."""
    written = written_on_every_way(definition)
    for name, state in definition["States"].items():
        for path, guarded in reads(
            {k: v for k, v in state.items() if k not in ("ResultSelector", "ResultPath", "Catch")}
        ):
            if not guarded:
                assert any(path == w or path.startswith(w + ".") for w in written[name]), (name, path)


def test_what_the_workflow_reads_of_a_function_is_in_its_answer(definition: dict[str, Any]) -> None:
    """Given each function's answer model,
    When the workflow reads $.prepared.x or $.conclusion.x,
    Then x is a field the function always returns."""
    result_paths = {
        state["ResultPath"]: RESULT_MODELS[state["Resource"].removeprefix("value-of-")]
        for state in definition["States"].values()
        if state.get("Resource", "").removeprefix("value-of-") in RESULT_MODELS
    }
    assert set(result_paths) == {"$.prepared", "$.conclusion"}
    for state in definition["States"].values():
        for path, _ in reads(state):
            for prefix, model in result_paths.items():
                if path.startswith(prefix + "."):
                    field = path.removeprefix(prefix + ".").split(".")[0]
                    assert field in model.model_fields, path
                    assert model.model_fields[field].is_required(), path


def test_each_function_is_given_exactly_what_its_request_model_reads(definition: dict[str, Any]) -> None:
    """Given the Prepare and Conclude Tasks,
    When the workflow invokes their functions,
    Then each is passed exactly the fields of its request model (none missing, none ignored)."""
    invoked = {
        state["Resource"].removeprefix("value-of-"): state["Parameters"]
        for state in definition["States"].values()
        if state.get("Resource", "").startswith("value-of-")
    }
    assert set(invoked) == {f.substitution for f in WORKFLOW_FUNCTIONS}
    for function, parameters in invoked.items():
        assert {p.removesuffix(".$") for p in parameters} == set(REQUEST_MODELS[function].model_fields), (
            function
        )
    assert invoked[CONCLUDE.substitution]["execution_input.$"] == "$$.Execution.Input"


def test_the_poll_loop_ends_on_exactly_the_terminal_statuses_or_its_bounds(
    definition: dict[str, Any],
) -> None:
    """Given the poll loop, When an automation ends, the poll bound is reached, or the automation stayed
    queued past the queue's patience, Then the loop ends, and on no other status."""
    queued, rule = definition["States"]["IsAutomationFinished"]["Choices"]
    assert queued["Next"] == "CountQueuedPoll"
    statuses = {r["StringEquals"] for r in rule["Or"] if "StringEquals" in r}
    assert statuses == {s.value for s in AUTOMATION_TERMINAL} | {"Pending"}
    assert [r for r in rule["Or"] if "StringEquals" not in r] == [
        {"Variable": "$.automation.poll.number", "NumericGreaterThanEqualsPath": "$.automation.poll.max"}
    ]
    assert rule["Next"] == "Conclude"


def test_queue_time_is_polled_apart_and_never_counted_as_a_poll(definition: dict[str, Any]) -> None:
    """Given an automation SSM keeps Pending in its queue, When the workflow polls it,
    Then it counts a queued poll (never `poll.number`), waits a minute and polls again, 360 times at most."""
    states = definition["States"]
    queued = states["IsAutomationFinished"]["Choices"][0]
    assert queued["And"] == [
        {"Variable": "$.automation.last_poll.status", "StringEquals": "Pending"},
        {"Variable": "$.automation.queued.number", "NumericLessThanPath": "$.automation.queued.max"},
    ]
    count = states["CountQueuedPoll"]
    assert count["ResultPath"] == "$.automation.queued"
    assert states[count["Next"]] == {
        "Type": "Wait",
        "Comment": states["WaitInQueue"]["Comment"],
        "Seconds": 60,
        "Next": "GetAutomationStatus",
    }
    assert states["StartAutomation"]["ResultSelector"]["queued"] == {"number": 0, "max": 360}
    assert "poll" not in json.dumps(count["Parameters"])


def _mean_patience_seconds(retrier: dict[str, Any]) -> float:
    """The mean wait of a retrier until its attempts run out (full jitter: half of each interval)."""
    interval, total = float(retrier["IntervalSeconds"]), 0.0
    for _ in range(retrier["MaxAttempts"]):
        total += min(interval, retrier["MaxDelaySeconds"]) / 2
        interval *= retrier["BackoffRate"]
    return total


def test_an_automation_slot_is_reserved_before_the_start_and_waited_for_about_six_hours(
    definition: dict[str, Any],
) -> None:
    """Given ReserveAutomationSlot, When every slot is taken, Then its conditional update is retried with
    full jitter for about 6 hours (the patience README and the setting state), then caught into Conclude."""
    states = definition["States"]
    assert states["IsRemediationAllowed"]["Choices"][0]["Next"] == "ReserveAutomationSlot"
    reserve = states["ReserveAutomationSlot"]
    assert reserve["Resource"] == "arn:aws:states:::aws-sdk:dynamodb:updateItem"
    assert reserve["Next"] == "StartAutomation"
    parameters = reserve["Parameters"]
    assert parameters["UpdateExpression"] == "ADD holders :me"
    assert parameters["ConditionExpression"] == (
        "attribute_not_exists(holders) OR size(holders) < :max OR contains(holders, :member)"
    )
    assert parameters["ExpressionAttributeValues"][":max"] == {"N": "value-of-MaxConcurrentAutomations"}
    slot_taken, *_ = reserve["Retry"]
    assert slot_taken["ErrorEquals"] == ["DynamoDb.ConditionalCheckFailedException"]
    assert slot_taken["JitterStrategy"] == "FULL"
    assert 5.5 * 3600 < _mean_patience_seconds(slot_taken) < 6.5 * 3600
    assert reserve["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Conclude"}
    ]


def test_the_runbook_is_started_with_string_lists_and_retried_when_throttled(
    definition: dict[str, Any],
) -> None:
    """Given StartAutomation, When the runbook is started,
    Then every runbook parameter is a list of strings, and SSM's concurrency limit and throttling are
    retried with exponential backoff and full jitter."""
    start = definition["States"]["StartAutomation"]
    for name, value in start["Parameters"]["Parameters"].items():
        assert (isinstance(value, list) and all(isinstance(v, str) for v in value)) or (
            name.endswith(".$") and value.startswith("States.Array(")
        ), name
    retried = {e for r in start["Retry"] for e in r["ErrorEquals"]}
    assert {"Ssm.AutomationExecutionLimitExceededException", "Ssm.ThrottlingException"} <= retried
    assert all(r["BackoffRate"] > 1 and r.get("JitterStrategy") == "FULL" for r in start["Retry"])


def test_audit_items_are_never_overwritten(definition: dict[str, Any]) -> None:
    """Given the workflow's own DynamoDB writes, When an item exists already, Then the write is refused."""
    puts = [s for s in definition["States"].values() if s.get("Resource", "").endswith("dynamodb:putItem")]
    assert puts
    assert all(s["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk)" for s in puts)


def test_the_failure_record_is_indexed_like_every_other_record(definition: dict[str, Any]) -> None:
    """Given RecordFailure's item, When written,
    Then it has a recorded_at in the audit format, and account and outcome shards among the index's."""
    item = definition["States"]["RecordFailure"]["Parameters"]["Item"]
    random_shard = f"States.MathRandom(0, {AuditTable.INDEX_SHARDS - 1})"
    assert item["outcome_shard"]["S.$"] == f"States.Format('FAILED#{{}}', {random_shard})"
    assert item["account_shard"]["S.$"].endswith(f"{random_shard})")
    assert item["recorded_at"] == {"S.$": "$$.State.EnteredTime"}  # the audit_timestamp format
