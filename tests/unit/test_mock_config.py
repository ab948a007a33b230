"""The Step Functions Local mock config stays true to the ASL (runs everywhere, no sandbox, no Docker).

The checker's rules are tested on a small mock config written here for the lean workflow; the shipped
statemachine/MockConfigFile.json and mock-expectations.json are checked in TestShippedCases.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel

from deployment.workflow import CONCLUDE, PREPARE, WORKFLOW_FUNCTIONS
from domain.evaluation import WorkflowState
from domain.preparation import Preparation
from keywarden.workflow_cases import (
    CaseExpectations,
    expectation_problems,
    load_expectations,
    sfn_local_definition,
)
from lambdas.conclusion import Conclusion, conclude
from statemachine import definition_text
from statemachine.mock_config import (
    MockConfig,
    MockConfigError,
    consistency_problems,
    expand_invocations,
    iter_states,
    load_mock_config,
)
from tests.factories import (
    automation,
    compliance_event,
    conclude_request,
    conclude_settings,
    deactivated,
    iam_user,
    key,
    prepared,
)
from tests.unit.fakes import conclude_ports

MACHINE = "keywarden-remediation"
RESULT_MODELS: dict[str, type[BaseModel]] = {PREPARE.handler: Preparation, CONCLUDE.handler: Conclusion}

BOB = iam_user([key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120)])
PREPARED = prepared(BOB)
CONCLUDED = conclude(
    conclude_request(WorkflowState(prepared=PREPARED, automation=automation("Success"))),
    conclude_settings(),
    conclude_ports(deactivated(BOB, "AKIAAAAAAAAAAAAAAAA1")),
)


def invoked(payload: BaseModel) -> dict[str, Any]:
    """A Lambda Invoke response carrying what the function returned."""
    return {"Return": {"StatusCode": 200, "Payload": payload.model_dump(mode="json")}}


def lean_config() -> dict[str, Any]:
    """Three cases of the lean workflow, mocked as Step Functions Local reads them."""
    remediated = {
        "Prepare": "PreparedRemediate",
        "StartAutomation": "AutomationThrottledTwiceThenStarted",
        "GetAutomationStatus": "AutomationSucceeded",
        "Conclude": "ConcludedRemediated",
        "RecordRemediation": "Recorded",
    }
    return {
        "StateMachines": {
            MACHINE: {
                "TestCases": {
                    "KeyDeactivated": remediated,
                    "DryRun": {
                        "Prepare": "PreparedDryRun",
                        "Conclude": "ConcludedRemediated",
                        "RecordRemediation": "Recorded",
                    },
                    "PrepareFailed": {
                        "Prepare": "LambdaFailed",
                        "Conclude": "ConcludedRemediated",
                        "RecordRemediation": "Recorded",
                        "AlertOperators": "OperatorsAlerted",
                    },
                }
            }
        },
        "MockedResponses": {
            "PreparedRemediate": {"0": invoked(PREPARED)},
            "PreparedDryRun": {"0": invoked(prepared(BOB, dry_run=True))},
            "AutomationThrottledTwiceThenStarted": {
                "0-1": {
                    "Throw": {"Error": "Ssm.AutomationExecutionLimitExceededException", "Cause": "limit"}
                },
                "2": {"Return": {"AutomationExecutionId": "auto-1"}},
            },
            "AutomationSucceeded": {
                "0": {
                    "Return": {
                        "AutomationExecution": {
                            "AutomationExecutionId": "auto-1",
                            "AutomationExecutionStatus": "Success",
                        }
                    }
                }
            },
            "ConcludedRemediated": {"0": invoked(CONCLUDED)},
            "Recorded": {"0": {"Return": {}}},
            "LambdaFailed": {"0": {"Throw": {"Error": "Lambda.Unknown", "Cause": "Task timed out"}}},
            "OperatorsAlerted": {"0": {"Return": {"MessageId": "m-1"}}},
        },
    }


def lean_expectations() -> dict[str, Any]:
    ended = {"status": "SUCCEEDED", "final_state": "Remediated"}
    return {
        "state_machine": MACHINE,
        "deployment": {"maxPollAttempts": 4, "pollIntervalSeconds": 1},
        "input": compliance_event(),
        "cases": {
            "KeyDeactivated": {"description": "deactivated", "expect": ended},
            "DryRun": {"description": "dry run", "deployment": {"dryRun": True}, "expect": ended},
            "PrepareFailed": {
                "description": "Prepare fails",
                "expect": {"status": "FAILED", "final_state": "RemediationFailed", "error": "Lambda.Unknown"},
            },
        },
    }


def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(definition_text())
    return definition


def renamed(definition: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The definition with one state renamed everywhere (as an editor's rename would do)."""
    changed: dict[str, Any] = json.loads(json.dumps(definition).replace(f'"{old}"', f'"{new}"'))
    return changed


def lambda_answer_problems(config: MockConfig, definition: dict[str, Any]) -> list[str]:
    """Mocked answers of the workflow's functions that are not what the function returns."""
    handlers = {f"${{{f.substitution}}}": f.handler for f in WORKFLOW_FUNCTIONS}
    states = dict(iter_states(definition))
    problems, mocked = [], set()
    for machine in config.StateMachines.values():
        for case in machine.TestCases.values():
            for state, response in case.items():
                handler = handlers.get(states.get(state, {}).get("Resource", ""))
                if handler is None:
                    continue
                mocked.add(handler)
                for answer in config.answers(response):
                    if answer.is_throw:
                        continue
                    # A plain function ARN Task takes the Invoke response's Payload as its result.
                    if answer.Return.get("StatusCode") != 200:
                        problems.append(f"{response}: not an Invoke response")
                        continue
                    try:
                        RESULT_MODELS[handler].model_validate(answer.Return["Payload"])
                    except ValueError as error:
                        problems.append(f"{response}: {error}")
    problems += [f"{f.handler} is mocked by no case" for f in WORKFLOW_FUNCTIONS if f.handler not in mocked]
    return problems


LEAN = MockConfig.model_validate(lean_config())
LEAN_EXPECTATIONS = CaseExpectations.model_validate(lean_expectations())


def test_a_mock_config_true_to_the_workflow_has_no_problem() -> None:
    """Given a mock config of the lean workflow and its expectations,
    When checked against the ASL,
    Then nothing is found, and every mocked function answers what it really returns."""
    assert consistency_problems(LEAN, asl()) == []
    assert expectation_problems(LEAN_EXPECTATIONS, LEAN, asl()) == []
    assert lambda_answer_problems(LEAN, asl()) == []


@pytest.mark.parametrize(
    "state", ["Prepare", "StartAutomation", "GetAutomationStatus", "Conclude", "AlertOperators"]
)
def test_renaming_a_mocked_state_in_the_asl_is_caught(state: str) -> None:
    """Given a mocked state,
    When it is renamed in the ASL,
    Then the mock config is said to name no such state."""
    problems = consistency_problems(LEAN, renamed(asl(), state, f"{state}Renamed"))
    assert any(f"the workflow has no state named {state!r}" in p for p in problems), problems


def test_renaming_a_state_the_expectations_name_is_caught() -> None:
    """Given an expected final state,
    When it is renamed in the ASL,
    Then the expectation is said to name no such state."""
    problems = expectation_problems(LEAN_EXPECTATIONS, LEAN, renamed(asl(), "RemediationFailed", "Failed"))
    assert "PrepareFailed: the workflow has no state named 'RemediationFailed'" in problems


def test_a_mocked_state_that_no_longer_can_be_reached_is_caught() -> None:
    """Given the ASL no longer branches to StartAutomation, When checked, Then its mock is unreachable."""
    definition = asl()
    definition["States"]["IsRemediationAllowed"]["Choices"][0]["Next"] = "Conclude"
    problems = consistency_problems(LEAN, definition)
    assert f"{MACHINE}#KeyDeactivated: no execution can reach 'StartAutomation'" in problems


def test_states_inside_maps_and_parallels_are_known() -> None:
    """Given a definition with a Task inside a Map and one inside a Parallel,
    When a case mocks them,
    Then both are found and reachable."""
    definition = {
        "StartAt": "EachKey",
        "States": {
            "EachKey": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "PutKey",
                    "States": {"PutKey": {"Type": "Task", "Resource": "r", "End": True}},
                },
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Alert", "States": {"Alert": {"Type": "Task", "Resource": "r", "End": True}}}
                ],
                "End": True,
            },
        },
    }
    config = MockConfig.model_validate(
        {
            "StateMachines": {MACHINE: {"TestCases": {"Nested": {"PutKey": "Done", "Alert": "Done"}}}},
            "MockedResponses": {"Done": {"0": {"Return": {}}}},
        }
    )
    assert {"PutKey", "Alert"} <= set(dict(iter_states(definition)))
    assert consistency_problems(config, definition) == []


def test_only_task_states_can_be_mocked() -> None:
    """Given a case that mocks the Pass state CountPoll, When checked, Then it is refused."""
    raw = lean_config()
    raw["StateMachines"][MACHINE]["TestCases"]["KeyDeactivated"]["CountPoll"] = "Recorded"
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert f"{MACHINE}#KeyDeactivated: 'CountPoll' is not a Task state; only Tasks can be mocked" in problems


def test_an_unknown_or_unused_mocked_response_is_caught() -> None:
    """Given a case naming a response that does not exist, leaving another unused, When checked,
    Then both are said."""
    raw = lean_config()
    for case in raw["StateMachines"][MACHINE]["TestCases"].values():
        case.pop("AlertOperators", None)
    raw["StateMachines"][MACHINE]["TestCases"]["KeyDeactivated"]["Conclude"] = "Nope"
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert f"{MACHINE}#KeyDeactivated: 'Conclude' uses unknown mocked response 'Nope'" in problems
    assert "mocked response 'OperatorsAlerted' is used by no test case" in problems


def test_a_mocked_function_answer_that_the_function_never_gives_is_caught() -> None:
    """Given a mocked Prepare answer without the action the workflow branches on,
    When checked,
    Then it is said to be no answer of Prepare."""
    raw = lean_config()
    del raw["MockedResponses"]["PreparedRemediate"]["0"]["Return"]["Payload"]["action"]
    problems = lambda_answer_problems(MockConfig.model_validate(raw), asl())
    assert len(problems) == 1
    assert problems[0].startswith("PreparedRemediate: 1 validation error for Preparation\naction")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"0": {"Return": {}}, "2": {"Return": {}}}, "invocation '2' should start at 1"),
        ({"1": {"Return": {}}}, "invocation '1' should start at 0"),
        ({"0-2": {"Return": {}}, "2": {"Return": {}}}, "invocation '2' should start at 3"),
        ({"3-1": {"Return": {}}}, "ends before it starts"),
        ({"first": {"Return": {}}}, "neither a number nor a range"),
        ({}, "answers no invocation"),
    ],
)
def test_invocation_numbering_must_be_contiguous_from_zero(answers: dict[str, Any], message: str) -> None:
    """Given a mocked response numbered with a gap, overlap or typo, When read, Then the problem is said."""
    raw = lean_config()
    raw["MockedResponses"]["OperatorsAlerted"] = answers
    with pytest.raises(MockConfigError, match=message):
        MockConfig.model_validate(raw).answers("OperatorsAlerted")


def test_ranges_expand_to_one_answer_per_invocation() -> None:
    """Given two throttles then a start ("0-1", "2"), When expanded, Then there are three answers in order."""
    expanded = expand_invocations(
        "AutomationThrottledTwiceThenStarted", LEAN.MockedResponses["AutomationThrottledTwiceThenStarted"]
    )
    assert [a.is_throw for a in expanded] == [True, True, False]


@pytest.mark.parametrize(
    "answer",
    [
        {"Return": {}, "Throw": {"Error": "E", "Cause": "c"}},
        {},
        {"Throw": {"Error": "Ssm.ThrottlingException"}},
        {"Throw": {"Error": "", "Cause": "c"}},
        {"Throw": {"Error": "E", "Cause": "c", "Extra": 1}},
    ],
    ids=["both", "neither", "throw-without-cause", "empty-error", "unknown-field"],
)
def test_each_answer_is_a_return_or_a_throw_with_error_and_cause(answer: dict[str, Any]) -> None:
    """Given a malformed answer, When the mock config is read, Then it is refused."""
    raw = lean_config()
    raw["MockedResponses"]["OperatorsAlerted"] = {"0": answer}
    with pytest.raises(ValueError, match="MockedResponses"):
        MockConfig.model_validate(raw)


def test_aws_sdk_errors_are_named_as_aws_names_them() -> None:
    """Given a throttle spelled as moto spells it (ssm.), When checked, Then it is said AWS never gives it."""
    raw = lean_config()
    throttled = raw["MockedResponses"]["AutomationThrottledTwiceThenStarted"]["0-1"]["Throw"]
    throttled["Error"] = "ssm.AutomationExecutionLimitExceededException"
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert any("throws 'ssm.AutomationExecutionLimitExceededException'" in p for p in problems), problems


def test_step_functions_local_gets_a_fully_rendered_definition() -> None:
    """Given the cases' deployment settings (4 polls), When rendered for Step Functions Local,
    Then no placeholder is left and the poll bound is the cases' one."""
    text = sfn_local_definition(LEAN_EXPECTATIONS.settings())
    assert "${" not in text
    rendered = json.loads(text)
    assert set(dict(iter_states(rendered))) == set(dict(iter_states(asl())))
    assert (
        rendered["States"]["StartAutomation"]["ResultSelector"]["poll"]["max.$"] == "States.StringToJson('4')"
    )
    assert (
        rendered["States"]["Prepare"]["Resource"]
        == "arn:aws:lambda:us-east-1:123456789012:function:keywarden-prepare"
    )


def test_a_case_may_change_what_the_functions_read_but_not_the_workflow() -> None:
    """Given a case that sets dryRun (read by Prepare) and one that sets maxPollAttempts (in the ASL),
    When checked, Then only the second is refused: every case runs on one state machine."""
    assert LEAN_EXPECTATIONS.settings_for("DryRun").dry_run is True
    assert LEAN_EXPECTATIONS.settings_for("KeyDeactivated").dry_run is False
    expectations = lean_expectations()
    expectations["cases"]["DryRun"]["deployment"] = {"dryRun": True, "maxPollAttempts": 9}
    problems = expectation_problems(CaseExpectations.model_validate(expectations), LEAN, asl())
    assert any(
        p.startswith("DryRun: its deployment settings change the workflow definition") for p in problems
    )


def test_expectations_for_every_case_and_no_other() -> None:
    """Given expectations missing a case, When checked, Then the case is named."""
    expectations = copy.deepcopy(lean_expectations())
    del expectations["cases"]["PrepareFailed"]
    problems = expectation_problems(CaseExpectations.model_validate(expectations), LEAN, asl())
    assert (
        "test cases without expectations: ['PrepareFailed']; expectations without test case: []" in problems
    )


def test_the_required_cases_are_all_there() -> None:
    """Given the shipped mock config,
    When its cases are listed,
    Then issue 7's cases, and those of notifications, dry run and exemptions, are there."""
    assert set(load_mock_config().StateMachines[MACHINE].TestCases) >= {
        # issue 7's cases
        "KeyDeactivated",
        "KeySkippedRecentlyUsed",
        "RunbookFailed",
        "RunbookTimedOut",
        "StartThrottledTwice",
        "AutomationStillInProgress",
        "UserDeletedBeforeRemediation",
        # owner notifications, dry run and exemptions
        "DuplicateNotificationSuppressed",
        "DryRun",
        "UserExempt",
    }


class TestShippedCases:
    """The shipped mock config and expectations, checked with the same rules as the lean one above."""

    def test_the_shipped_mock_config_fits_the_workflow(self) -> None:
        """Given statemachine/MockConfigFile.json and mock-expectations.json,
        When checked against the ASL,
        Then nothing is found."""
        shipped = load_mock_config()
        assert consistency_problems(shipped, asl()) == []
        assert expectation_problems(load_expectations(), shipped, asl()) == []

    def test_the_shipped_function_answers_are_what_the_functions_return(self) -> None:
        """Given every mocked answer of Prepare and Conclude in the shipped config,
        When read as the functions' answers,
        Then each is one, and each function is mocked somewhere."""
        assert lambda_answer_problems(load_mock_config(), asl()) == []

    def test_each_case_world_is_what_its_expected_end_says(self) -> None:
        """Given the shipped UserExempt case, When its world and expected end are read,
        Then alice's exemption is in its world and Conclude records EXEMPT; no other case has exemptions."""
        expectations = load_expectations()
        [exemption] = expectations.cases["UserExempt"].exemptions
        assert (exemption.user, exemption.expires_at.isoformat()) == ("alice", "2026-12-31T00:00:00+00:00")
        assert expectations.cases["UserExempt"].expect.output["conclusion.outcome"] == "EXEMPT"
        assert all(not expectations.cases[c].exemptions for c in expectations.cases if c != "UserExempt")
