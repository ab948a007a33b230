"""A Fail state's ErrorPath and CausePath must select strings, as AWS requires; otherwise States.Runtime."""

from __future__ import annotations

from typing import Any

import pytest

from keywarden.sandbox.stepfunctions.fail_paths import not_a_string_cause
from tests.interpreter.running import Execute, runtime_cause

INPUT = {
    "failure": {"Error": "Ssm.ThrottlingException", "Cause": "Rate exceeded"},
    "reason": None,
    "attempts": 6,
    "details": {"step": "StartAutomation"},
    "keys": ["AKIA1"],
}


def failing(**fields: str) -> dict[str, Any]:
    """A machine whose only state, Stop, is a Fail state with `fields`."""
    return {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", **fields}}}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$.reason", None),
        ("$.attempts", 6),
        ("$.details", {"step": "StartAutomation"}),
        ("$.keys", ["AKIA1"]),
    ],
    ids=["null", "number", "object", "array"],
)
def test_a_cause_path_that_selects_no_string_fails_with_states_runtime(
    execute: Execute, path: str, value: Any
) -> None:
    # Given a Fail state whose CausePath selects a value that is not a string
    # When the execution reaches it
    outcome = execute(failing(Error="keywarden.FAILED", CausePath=path), INPUT)

    # Then the execution fails with States.Runtime instead of keywarden.FAILED
    # (moto: keywarden.FAILED with Python's repr of the value as the cause, or no cause for null)
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == runtime_cause("Stop", 2, not_a_string_cause("CausePath", path, value))


def test_an_error_path_that_selects_no_string_fails_with_states_runtime(execute: Execute) -> None:
    # Given a Fail state whose ErrorPath selects a number
    outcome = execute(failing(ErrorPath="$.attempts", Cause="stopped"), INPUT)

    # Then the execution fails with States.Runtime (moto: a Python AttributeError as the cause)
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == runtime_cause("Stop", 2, not_a_string_cause("ErrorPath", "$.attempts", 6))


def test_paths_that_select_strings_give_the_error_and_cause(execute: Execute) -> None:
    # Given a Fail state whose paths select the caught error's strings
    outcome = execute(failing(ErrorPath="$.failure.Error", CausePath="$.failure.Cause"), INPUT)

    # Then they are the execution's error and cause
    assert (outcome.status, outcome.error) == ("FAILED", "Ssm.ThrottlingException")
    assert outcome.cause == "Rate exceeded"


def test_an_intrinsic_cause_path_gives_its_string(execute: Execute) -> None:
    # Given a CausePath that is a States.Format call (AWS lists it among the string intrinsics allowed)
    fields = {"Error": "keywarden.FAILED", "CausePath": "States.Format('after {} attempts', $.attempts)"}

    # When the execution reaches it
    outcome = execute(failing(**fields), INPUT)

    # Then the formatted string is the cause
    assert (outcome.status, outcome.error) == ("FAILED", "keywarden.FAILED")
    assert outcome.cause == "after 6 attempts"
