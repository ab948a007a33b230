"""A Choice rule on a path that does not exist fails the execution with States.Runtime, as in AWS."""

from __future__ import annotations

from typing import Any

import pytest

from keywarden.sandbox.stepfunctions.choice_paths import invalid_path_cause
from tests.interpreter.running import Execute, runtime_cause

INPUT = {"present": "here", "count": 3, "flag": True, "when": "2026-11-28T12:00:00Z", "nothing": None}


def choice(rule: dict[str, Any]) -> dict[str, Any]:
    """A machine whose first state, Check, goes to Matched when `rule` holds and to Unmatched otherwise."""
    return {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{**rule, "Next": "Matched"}], "Default": "Unmatched"},
            "Matched": {"Type": "Pass", "Result": {"took": "Matched"}, "End": True},
            "Unmatched": {"Type": "Pass", "Result": {"took": "Unmatched"}, "End": True},
        },
    }


def check_failed_on(path: str) -> str:
    return runtime_cause("Check", 2, invalid_path_cause(path))


@pytest.mark.parametrize(
    "comparison",
    [
        {"StringEquals": "here"},
        {"StringMatches": "*"},
        {"NumericGreaterThanEquals": 0},
        {"BooleanEquals": True},
        {"TimestampEquals": "2026-11-28T12:00:00Z"},
        {"IsNull": True},
        {"IsNull": False},  # moto: "missing is not null" matched
        {"IsString": False},  # the failure branch of the first workflow tested this way
        {"IsNumeric": False},
        {"IsBoolean": False},
        {"IsTimestamp": False},
    ],
    ids=lambda comparison: "-".join(f"{k}={v}" for k, v in comparison.items()),
)
def test_a_comparison_on_a_missing_variable_fails_the_execution(
    execute: Execute, comparison: dict[str, Any]
) -> None:
    # Given a Choice rule whose Variable names a field the input lacks
    definition = choice({"Variable": "$.missing", **comparison})

    # When the execution reaches it
    outcome = execute(definition, INPUT)

    # Then the execution fails there, neither branch taken
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == check_failed_on("$.missing")
    assert outcome.path == ["Check"]


@pytest.mark.parametrize(
    ("variable", "operator"),
    [
        ("$.present", "StringEqualsPath"),
        ("$.count", "NumericGreaterThanEqualsPath"),
        ("$.flag", "BooleanEqualsPath"),
        ("$.when", "TimestampLessThanPath"),
    ],
)
def test_a_comparison_with_a_missing_path_operand_fails_the_execution(
    execute: Execute, variable: str, operator: str
) -> None:
    # Given a rule comparing a present field with one the input lacks
    definition = choice({"Variable": variable, operator: "$.missing"})

    # When it is evaluated
    outcome = execute(definition, INPUT)

    # Then the execution fails naming the missing operand (moto named the field 'ComparisonFuncValue')
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == check_failed_on("$.missing")


@pytest.mark.parametrize(
    ("rule", "missing"),
    [
        (
            {
                "And": [
                    {"Variable": "$.count", "NumericEquals": 3},
                    {"Variable": "$.gone", "StringEquals": "x"},
                ]
            },
            "$.gone",
        ),
        (
            {
                "Or": [
                    {"Variable": "$.gone", "StringEquals": "x"},
                    {"Variable": "$.count", "NumericEquals": 3},
                ]
            },
            "$.gone",
        ),
        ({"Not": {"Variable": "$.gone", "IsNull": True}}, "$.gone"),
        (
            {
                "Not": {
                    "And": [
                        {"Variable": "$.flag", "BooleanEquals": True},
                        {"Or": [{"Variable": "$.a.b", "IsString": True}]},
                    ]
                }
            },
            "$.a.b",
        ),
    ],
    ids=["and", "or", "not", "not-and-or"],
)
def test_a_missing_path_inside_and_or_not_fails_the_execution(
    execute: Execute, rule: dict[str, Any], missing: str
) -> None:
    # Given a composite rule that has to evaluate a comparison on a missing path
    # When it is evaluated
    outcome = execute(choice(rule), INPUT)

    # Then the execution fails on that path
    assert (outcome.status, outcome.error, outcome.cause) == (
        "FAILED",
        "States.Runtime",
        check_failed_on(missing),
    )


def test_a_missing_context_object_path_fails_the_execution(execute: Execute) -> None:
    # Given a rule on a context object field that does not exist
    definition = choice({"Variable": "$$.Execution.Missing", "StringEquals": "x"})

    # When it is evaluated
    outcome = execute(definition, INPUT)

    # Then the cause names the path as written, with both dollars
    assert (outcome.status, outcome.cause) == ("FAILED", check_failed_on("$$.Execution.Missing"))


@pytest.mark.parametrize(("is_present", "next_state"), [(True, "Unmatched"), (False, "Matched")])
def test_is_present_on_a_missing_path_answers_instead_of_failing(
    execute: Execute, is_present: bool, next_state: str
) -> None:
    # Given IsPresent on a missing field (the one operator AWS allows there)
    definition = choice({"Variable": "$.missing", "IsPresent": is_present})

    # When it is evaluated
    outcome = execute(definition, INPUT)

    # Then it is simply false that the field is present
    assert (outcome.status, outcome.path) == ("SUCCEEDED", ["Check", next_state])


def test_an_is_present_guard_in_and_keeps_the_comparison_from_running(execute: Execute) -> None:
    # Given the usual guard: And [IsPresent, comparison] on a missing field
    definition = choice(
        {"And": [{"Variable": "$.missing", "IsPresent": True}, {"Variable": "$.missing", "IsString": True}]}
    )

    # When it is evaluated
    outcome = execute(definition, INPUT)

    # Then And stops at the guard and the Default is taken
    assert (outcome.status, outcome.output) == ("SUCCEEDED", {"took": "Unmatched"})


def test_null_is_a_present_value_that_is_null(execute: Execute) -> None:
    # Given IsNull on a field that is there with the value null
    outcome = execute(choice({"Variable": "$.nothing", "IsNull": True}), INPUT)

    # Then the rule matches: only absence is an error
    assert (outcome.status, outcome.output) == ("SUCCEEDED", {"took": "Matched"})


def branch_with_missing_path() -> dict[str, Any]:
    """A branch whose Choice, Check, reads $.missing."""
    return {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.missing", "StringEquals": "x", "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]


def test_no_catch_takes_a_choice_failure_in_a_parallel_branch(execute: Execute) -> None:
    # Given a Parallel state catching States.ALL around a branch whose Choice reads a missing path
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [branch_with_missing_path()],
                "Catch": CATCH_ALL,
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the branch runs
    outcome = execute(definition, INPUT)

    # Then the execution fails with the branch's own error and cause: States.ALL does not catch it
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == runtime_cause("Check", 4, invalid_path_cause("$.missing"))
    assert "Handled" not in outcome.path


def test_no_catch_takes_a_choice_failure_in_a_map_iteration(execute: Execute) -> None:
    # Given a Map state catching States.ALL whose second item lacks the field its Choice reads
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                # One item at a time: the failing item's history event id is then always the same.
                "MaxConcurrency": 1,
                "ItemProcessor": branch_with_missing_path(),
                "Catch": CATCH_ALL,
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the items are processed
    outcome = execute(definition, {"items": [{"missing": "x"}, {"other": 1}]})

    # Then the execution fails on the second item's Choice, once prefixed with where
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == runtime_cause("Check", 11, invalid_path_cause("$.missing"))
    assert "Handled" not in outcome.path
