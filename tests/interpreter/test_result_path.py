"""A ResultPath that has to add a field to something other than an object fails the state, as in AWS."""

from __future__ import annotations

from typing import Any

import pytest

from keywarden.sandbox.stepfunctions.result_path import conflict_cause, reference_path_steps
from tests.interpreter.running import Execute

CONFLICT = "States.ReferencePathConflict"


def storing_at(result_path: str) -> dict[str, Any]:
    """A machine whose only state, Store, puts {"stored": true} at `result_path` in its input."""
    return {
        "StartAt": "Store",
        "States": {
            "Store": {"Type": "Pass", "Result": {"stored": True}, "ResultPath": result_path, "End": True}
        },
    }


@pytest.mark.parametrize(
    ("state_input", "result_path", "step"),
    [
        ({"user": "henry"}, "$.user.name", "name"),  # a string
        ({"count": 3}, "$.count.value", "value"),  # a number
        ({"keys": ["AKIA1"]}, "$.keys.first", "first"),  # an array
        ({"owner": None}, "$.owner.email", "email"),  # null: moto dropped the result and succeeded
        ({"a": {"b": "leaf"}}, "$['a'].b.c", "c"),
        ("plain text", "$.result", "result"),  # the whole input is a string
    ],
    ids=["string", "number", "array", "null", "deep", "input-string"],
)
def test_a_result_path_through_a_non_object_fails_with_a_reference_path_conflict(
    execute: Execute, state_input: Any, result_path: str, step: str
) -> None:
    # Given a ResultPath whose parent in the input is not an object
    # When the state stores its result
    outcome = execute(storing_at(result_path), state_input)

    # Then the state fails, naming the step that cannot be applied and the input
    assert (outcome.status, outcome.error) == ("FAILED", CONFLICT)
    assert outcome.cause == conflict_cause(step, state_input)


def test_the_conflict_cause_is_written_as_aws_writes_it() -> None:
    # Given the input of a Parallel state's successor (an array) and a ResultPath into it
    # Then the cause reads as in AWS, the input in compact JSON
    cause = conflict_cause("aggregated", [{"a": 1}, 2])
    assert cause == 'Unable to apply step "aggregated" to input [{"a":1},2]'


def test_a_result_path_into_a_parallel_output_fails(execute: Execute) -> None:
    # Given the common mistake: a ResultPath into the array a Parallel state produced
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}}],
                "Next": "Aggregate",
            },
            "Aggregate": {"Type": "Pass", "Result": 1, "ResultPath": "$.aggregated", "End": True},
        },
    }

    # When Aggregate stores its result
    outcome = execute(definition, {"user": "henry"})

    # Then it cannot: its input is [{"user": "henry"}]
    assert (outcome.status, outcome.error) == ("FAILED", CONFLICT)
    assert outcome.cause == 'Unable to apply step "aggregated" to input [{"user":"henry"}]'


def test_missing_fields_on_the_way_are_created(execute: Execute) -> None:
    # Given a ResultPath through fields the input does not have yet
    outcome = execute(storing_at("$.audit.last.result"), {"user": "henry"})

    # Then they are created as objects
    assert (outcome.status, outcome.output) == (
        "SUCCEEDED",
        {"user": "henry", "audit": {"last": {"result": {"stored": True}}}},
    )


def test_a_catch_takes_a_reference_path_conflict_of_a_task(execute: Execute) -> None:
    # Given a Task whose ResultPath conflicts with its input, and a Catch for States.ALL
    definition = {
        "StartAt": "List",
        "States": {
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                "Parameters": {},
                "ResultPath": "$.user.queues",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the Task has its result
    outcome = execute(definition, {"user": "henry"})

    # Then the Catch handles it (it is not States.Runtime), with AWS's error and cause
    assert (outcome.status, outcome.path) == ("SUCCEEDED", ["List", "Handled"])
    assert outcome.output == {
        "user": "henry",
        "error": {"Error": CONFLICT, "Cause": conflict_cause("queues", {"user": "henry"})},
    }


def test_a_task_failed_catcher_does_not_take_a_reference_path_conflict(execute: Execute) -> None:
    # Given the same Task caught only for States.TaskFailed
    definition = {
        "StartAt": "List",
        "States": {
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                "Parameters": {},
                "ResultPath": "$.user.queues",
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the Task has its result
    outcome = execute(definition, {"user": "henry"})

    # Then the conflict is not a task failure: the execution fails with it
    assert (outcome.status, outcome.error, outcome.path) == ("FAILED", CONFLICT, ["List"])


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", []),
        ("$.a.b", ["a", "b"]),
        ("$['a b'].c", ["a b", "c"]),
        ("$.a[2].b", ["a", 2, "b"]),
        ("a.b", None),  # not a reference path: left to moto
    ],
)
def test_a_reference_path_is_read_as_its_steps(path: str, steps: list[str | int] | None) -> None:
    """Given a reference path in dot or bracket notation, When it is read, Then it is its steps in order
    (anything else is left to moto)."""
    assert reference_path_steps(path) == steps


def test_a_map_catch_takes_a_reference_path_conflict_of_an_iteration(execute: Execute) -> None:
    # Given a Map state catching States.ALL whose iteration stores into a string
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.users",
                "ItemProcessor": {"StartAt": "Store", "States": storing_at("$.name.stored")["States"]},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the item {"name": "henry"} is processed
    outcome = execute(definition, {"users": [{"name": "henry"}]})

    # Then the Map's Catch has the iteration's own error (moto: a ValueError about custom error
    # names, as States.Runtime, beyond any Catch)
    assert (outcome.status, outcome.path) == ("SUCCEEDED", ["Each", "Store", "Handled"])
    cause = conflict_cause("stored", {"name": "henry"})
    assert outcome.output["error"] == {"Error": CONFLICT, "Cause": cause}
