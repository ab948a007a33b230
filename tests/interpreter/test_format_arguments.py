"""States.Format takes exactly one argument per {} placeholder, as in AWS; otherwise the state fails."""

from __future__ import annotations

from typing import Any

import pytest

from keywarden.sandbox.stepfunctions.format_arguments import argument_count_cause
from tests.interpreter.running import Execute, runtime_cause

INPUT = {"user": "henry", "key": "AKIAHENRY00000000001"}


def formatting(expression: str) -> dict[str, Any]:
    """A machine whose only state, Compose, puts `expression` in the field "message"."""
    return {
        "StartAt": "Compose",
        "States": {"Compose": {"Type": "Pass", "Parameters": {"message.$": expression}, "End": True}},
    }


@pytest.mark.parametrize(
    ("expression", "template", "placeholders", "arguments"),
    [
        ("States.Format('{} owns {}', $.user, $.key, $.user)", "{} owns {}", 2, 3),  # moto: dropped silently
        ("States.Format('no placeholder', $.user)", "no placeholder", 0, 1),
        ("States.Format('{} owns {}', $.user)", "{} owns {}", 2, 1),  # moto: a Python IndexError as cause
        ("States.Format('{}')", "{}", 1, 0),
    ],
    ids=["one-too-many", "none-expected", "one-too-few", "none-given"],
)
def test_a_format_whose_arguments_do_not_match_its_placeholders_fails_the_execution(
    execute: Execute, expression: str, template: str, placeholders: int, arguments: int
) -> None:
    # Given a States.Format with more or fewer arguments than {} placeholders
    # When the state builds its parameters
    outcome = execute(formatting(expression), INPUT)

    # Then the execution fails with States.Runtime, saying how many of each there were
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    expected = argument_count_cause(template, placeholders, arguments)
    assert outcome.cause == runtime_cause("Compose", 2, expected)


def test_a_format_with_one_argument_per_placeholder_is_built(execute: Execute) -> None:
    # Given as many arguments as placeholders
    outcome = execute(formatting("States.Format('{} owns {}', $.user, $.key)"), INPUT)

    # Then the message is composed
    assert (outcome.status, outcome.output) == ("SUCCEEDED", {"message": "henry owns AKIAHENRY00000000001"})


def test_no_catch_takes_a_format_failure_in_a_task(execute: Execute) -> None:
    # Given a Task catching States.ALL whose Parameters pass States.Format one argument too many
    definition = {
        "StartAt": "List",
        "States": {
            "List": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                "Parameters": {"QueueNamePrefix.$": "States.Format('{}', $.user, $.key)"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    # When the Task builds its request
    outcome = execute(definition, INPUT)

    # Then the execution fails: States.Runtime is beyond States.ALL
    assert (outcome.status, outcome.error) == ("FAILED", "States.Runtime")
    assert outcome.cause == runtime_cause("List", 2, argument_count_cause("{}", 1, 2))
    assert outcome.path == ["List"]
