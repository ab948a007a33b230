"""run_cases.mjs on small definitions of its own: it answers as Step Functions Local does, any workflow."""

from __future__ import annotations

import re
from typing import Any, Final

import pytest

from tests.second_interpreter.runner import RunnerReport, run_cases, state_machine_arn

MACHINE: Final = "runner-check"
ISO_MILLISECONDS: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _answers(*answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n): answer for n, answer in enumerate(answers)}


def _config(cases: dict[str, dict[str, str]], responses: dict[str, Any]) -> dict[str, Any]:
    return {"StateMachines": {MACHINE: {"TestCases": cases}}, "MockedResponses": responses}


# A polling loop with a retrier and two catchers; the Wait would take an hour if it were not instant.
POLLING: Final = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:ssm:getAutomationExecution",
            "Parameters": {"AutomationExecutionId": "id-1"},
            "ResultPath": "$.answer",
            "Retry": [{"ErrorEquals": ["Ssm.ThrottlingException"], "IntervalSeconds": 60, "MaxAttempts": 2}],
            "Catch": [
                {"ErrorEquals": ["Ssm.SsmException"], "ResultPath": "$.caught", "Next": "CaughtByName"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "CaughtAny"},
            ],
            "Next": "Again",
        },
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.answer.n", "NumericLessThan": 2, "Next": "Pause"}],
            "Default": "Done",
        },
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "Call"},
        "Done": {"Type": "Succeed"},
        "CaughtByName": {"Type": "Fail", "Error": "CaughtByName", "CausePath": "$.caught.Cause"},
        "CaughtAny": {"Type": "Fail", "Error": "CaughtAny", "CausePath": "$.caught.Error"},
    },
}
THROTTLED: Final = {"Throw": {"Error": "Ssm.ThrottlingException", "Cause": "slow down"}}
POLLING_CONFIG: Final = _config(
    {
        "RetriedThenLooped": {"Call": "ThrottledThenTwoAnswers"},
        "ThrowCaughtByName": {"Call": "SsmException"},
        "AnswersRunOut": {"Call": "OneAnswer"},
        "TaskNotMocked": {},
    },
    {
        "ThrottledThenTwoAnswers": _answers(THROTTLED, {"Return": {"n": 1}}, {"Return": {"n": 2}}),
        "SsmException": _answers({"Throw": {"Error": "Ssm.SsmException", "Cause": "the cause"}}),
        "OneAnswer": _answers({"Return": {"n": 1}}),
    },
)


@pytest.fixture(scope="module")
def polling() -> RunnerReport:
    cases = POLLING_CONFIG["StateMachines"][MACHINE]["TestCases"]
    return run_cases(POLLING, POLLING_CONFIG, MACHINE, [(case, {}) for case in cases])


def test_answers_are_taken_in_order_across_retries_and_loops(polling: RunnerReport) -> None:
    """Given a Throw the retrier matches and then two answers,
    When the loop calls the Task again after an hour-long Wait,
    Then the retry takes answer 1, the second loop answer 2, and the Wait took no time."""
    run = polling.cases["RetriedThenLooped"]
    assert (run.status, run.problems) == ("SUCCEEDED", ())
    assert run.attempts == {"Call": 3}
    # A retry is no new entry; a loop is.
    assert run.path == ("Call", "Again", "Pause", "Call", "Again", "Done")
    assert run.output == {"answer": {"n": 2}}


def test_a_thrown_error_is_caught_by_its_name_with_its_cause(polling: RunnerReport) -> None:
    """Given a mocked Throw Ssm.SsmException, When the Task runs, Then the catcher naming it gets it."""
    run = polling.cases["ThrowCaughtByName"]
    assert (run.status, run.error, run.cause) == ("FAILED", "CaughtByName", "the cause")
    assert run.path[-1] == "CaughtByName"


def test_an_invocation_past_the_last_answer_fails_the_case_uncaught(polling: RunnerReport) -> None:
    """Given one answer, When the loop invokes the Task a second time,
    Then the case fails with States.Runtime, which not even a States.ALL catcher takes."""
    run = polling.cases["AnswersRunOut"]
    problem = "test case AnswersRunOut has no mocked answer for invocation 1 of Task Call (it defines 1)"
    assert run.problems == (problem,)
    assert (run.status, run.error, run.cause) == ("FAILED", "States.Runtime", problem)
    assert "CaughtAny" not in run.path


def test_a_task_without_mocked_answer_fails_the_case(polling: RunnerReport) -> None:
    """Given a case that mocks nothing, When its Task runs, Then the case fails and says which Task."""
    run = polling.cases["TaskNotMocked"]
    problem = "no mocked answer for Task Call (the second interpreter has no AWS behind it)"
    assert run.problems == (problem,)
    assert (run.status, run.error, run.attempts) == ("FAILED", "States.Runtime", {"Call": 1})


# Lambda as a function ARN and as lambda:invoke, a Map over three items, and the Context Object.
FUNCTION: Final = "arn:aws:lambda:us-east-1:123456789012:function:checked"
INTEGRATIONS: Final = {
    "StartAt": "Plain",
    "States": {
        "Plain": {
            "Type": "Task",
            "Resource": FUNCTION,
            "Parameters": {
                "id.$": "$$.Execution.Id",
                "name.$": "$$.Execution.Name",
                "input.$": "$$.Execution.Input",
                "started.$": "$$.Execution.StartTime",
                "entered.$": "$$.State.EnteredTime",
                "machine.$": "$$.StateMachine.Id",
            },
            "ResultPath": "$.plain",
            "Next": "Invoke",
        },
        "Invoke": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$.plain"},
            "ResultSelector": {"status.$": "$.StatusCode", "payload.$": "$.Payload"},
            "ResultPath": "$.invoked",
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Put",
                "States": {
                    "Put": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::dynamodb:putItem",
                        "Parameters": {"TableName": "t", "Item": {}},
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.puts",
            "End": True,
        },
    },
}
INTEGRATIONS_CONFIG: Final = _config(
    {
        "Shapes": {"Plain": "PlainAnswer", "Invoke": "InvokeAnswer", "Put": "ThreePuts"},
        "FunctionError": {"Plain": "Unhandled"},
    },
    {
        "PlainAnswer": _answers({"Return": {"StatusCode": 200, "Payload": {"from": "plain"}}}),
        "InvokeAnswer": _answers({"Return": {"StatusCode": 200, "Payload": {"from": "invoke"}}}),
        "ThreePuts": {"0-1": {"Return": {}}, "2": {"Return": {"third": True}}},
        "Unhandled": _answers(
            {
                "Return": {
                    "StatusCode": 200,
                    "FunctionError": "Unhandled",
                    "Payload": {"errorType": "KeyError", "errorMessage": "'user'"},
                }
            }
        ),
    },
)
ITEMS: Final = {"items": ["a", "b", "c"]}


@pytest.fixture(scope="module")
def integrations() -> RunnerReport:
    return run_cases(
        INTEGRATIONS, INTEGRATIONS_CONFIG, MACHINE, [("Shapes", ITEMS), ("FunctionError", ITEMS)]
    )


def test_lambda_answers_take_the_shape_of_their_integration(integrations: RunnerReport) -> None:
    """Given Invoke responses as mocked answers,
    When a function-ARN Task and a lambda:invoke Task run,
    Then the first gets the Payload, the second the whole response (as in Step Functions)."""
    run = integrations.cases["Shapes"]
    assert (run.status, run.problems) == ("SUCCEEDED", ())
    assert run.output["plain"] == {"from": "plain"}
    assert run.output["invoked"] == {"status": 200, "payload": {"from": "invoke"}}


def test_map_iterations_share_the_answers_and_show_in_the_path(integrations: RunnerReport) -> None:
    """Given answers "0-1" and "2", When a Map runs three items, Then they take them in turn."""
    run = integrations.cases["Shapes"]
    assert run.output["puts"] == [{}, {}, {"third": True}]
    assert run.attempts["Put"] == 3
    assert run.path == ("Plain", "Invoke", "Each", "Put", "Put", "Put")


def test_the_context_object_is_the_executions(integrations: RunnerReport) -> None:
    """Given the case "Shapes", When a Task reads the Context Object,
    Then it gets this execution's ARN, name and input, and Step Functions' time format."""
    run = integrations.cases["Shapes"]
    [(state, built)] = [(s, i) for s, i in run.lambda_inputs]  # lambda:invoke is no function-ARN input
    assert state == "Plain"
    assert built["id"] == f"arn:aws:states:us-east-1:123456789012:execution:{MACHINE}:Shapes"
    assert built["name"] == "Shapes"
    assert built["input"] == ITEMS
    assert built["machine"] == state_machine_arn(MACHINE)
    assert ISO_MILLISECONDS.match(built["started"])
    assert ISO_MILLISECONDS.match(built["entered"])


def test_a_function_error_fails_the_task_with_its_error_type(integrations: RunnerReport) -> None:
    """Given an Invoke response with FunctionError, When the Task runs, Then it fails with errorType."""
    run = integrations.cases["FunctionError"]
    assert (run.status, run.error) == ("FAILED", "KeyError")
    assert run.cause == '{"errorType":"KeyError","errorMessage":"\'user\'"}'


# Two ASL features the library gets wrong, which the runner adapts without changing their meaning.
ADJUSTED: Final = {
    "StartAt": "Replace",
    "States": {
        "Replace": {
            "Type": "Pass",
            "Parameters": {"outcome": "BROKEN", "why.$": "$.why"},
            "ResultPath": "$",
            "Next": "Stop",
        },
        "Stop": {"Type": "Fail", "ErrorPath": "States.Format('app.{}', $.outcome)", "CausePath": "$.why"},
    },
}


def test_result_path_dollar_and_intrinsic_error_paths_mean_what_the_asl_says() -> None:
    """Given ResultPath "$" and an ErrorPath with States.Format,
    When the runner runs them, Then the result replaces the input and the error is formatted."""
    report = run_cases(ADJUSTED, _config({"Plain": {}}, {}), MACHINE, [("Plain", {"why": "because"})])
    run = report.cases["Plain"]
    assert (run.status, run.error, run.cause) == ("FAILED", "app.BROKEN", "because")
    assert [note.split(":")[0] for note in report.adjustments] == ["Replace", "Stop"]


def test_a_case_the_mock_config_lacks_is_refused() -> None:
    """Given a case name the mock config does not define, When the runner is asked, Then it refuses."""
    with pytest.raises(pytest.fail.Exception, match="has no test case runner-check#Missing"):
        run_cases(ADJUSTED, _config({}, {}), MACHINE, [("Missing", {})])
