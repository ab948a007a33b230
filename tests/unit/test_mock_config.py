"""The Step Functions Local mock config stays true to the ASL (runs everywhere, no sandbox, no Docker)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel

from domain.action_decision import ActionDecision
from domain.compliance_event import RemediationRequest
from domain.credentials import SnapshotResult
from keywarden.workflow_cases import (
    expectation_problems,
    load_expectations,
    sfn_local_definition,
)
from lambdas.models import Evaluation
from statemachine import FUNCTION_HANDLERS, definition_text
from statemachine.mock_config import (
    MockConfig,
    MockConfigError,
    consistency_problems,
    expand_invocations,
    iter_states,
    load_mock_config,
)

SHIPPED = load_mock_config()
EXPECTATIONS = load_expectations()


def asl() -> dict[str, Any]:
    return json.loads(definition_text())


def raw_config() -> dict[str, Any]:
    return SHIPPED.model_dump(exclude_unset=True)


def renamed(definition: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The definition with one state renamed everywhere (as an editor's rename would do)."""
    return json.loads(json.dumps(definition).replace(f'"{old}"', f'"{new}"'))


def test_the_shipped_mock_config_fits_the_workflow() -> None:
    assert consistency_problems(SHIPPED, asl()) == []
    assert expectation_problems(EXPECTATIONS, SHIPPED, asl()) == []


def test_the_required_cases_are_all_there() -> None:
    assert set(SHIPPED.StateMachines[EXPECTATIONS.state_machine].TestCases) == {
        # issue 7's cases
        "KeyDeactivated",
        "KeySkippedRecentlyUsed",
        "RunbookFailed",
        "RunbookTimedOut",
        "StartThrottledTwice",
        "AutomationStillInProgress",
        "UserDeletedBeforeRemediation",
        # owner notifications, audit failure branch, dry run and exemptions
        "DuplicateNotificationSuppressed",
        "SnapshotServiceUnavailable",
        "DryRun",
        "UserExempt",
    }


MOCKED_STATES = sorted(
    {state for case in SHIPPED.StateMachines["keywarden-remediation"].TestCases.values() for state in case}
)


@pytest.mark.parametrize("state", MOCKED_STATES)
def test_renaming_a_mocked_state_in_the_asl_is_caught(state: str) -> None:
    problems = consistency_problems(SHIPPED, renamed(asl(), state, f"{state}Renamed"))
    assert any(f"the workflow has no state named {state!r}" in p for p in problems), problems


def test_renaming_a_state_the_expectations_name_is_caught() -> None:
    problems = expectation_problems(EXPECTATIONS, SHIPPED, renamed(asl(), "RemediationFailed", "Failed"))
    assert "RunbookFailed: the workflow has no state named 'RemediationFailed'" in problems


def test_a_mocked_state_that_no_longer_can_be_reached_is_caught() -> None:
    definition = asl()
    definition["States"]["ShouldNotifyOwner"]["Choices"][0]["Next"] = "NoOwnerNotification"
    problems = consistency_problems(SHIPPED, definition)
    assert "keywarden-remediation#KeyDeactivated: no execution can reach 'NotifyOwner'" in problems


@pytest.mark.parametrize(
    ("inner_state", "container"),
    [
        ("PutAuditItem", "RecordRemediation"),
        ("ClaimKey", "ClaimOwnerNotification"),
        ("PutFailureRecord", "RecordFailure"),
    ],
    ids=["map", "claims-map", "parallel"],
)
def test_states_inside_maps_and_parallels_are_known(inner_state: str, container: str) -> None:
    assert inner_state in dict(iter_states(asl()))
    assert inner_state not in asl()["States"]
    assert f'"{inner_state}"' in json.dumps(asl()["States"][container])  # nested in a Map or Parallel
    problems = consistency_problems(SHIPPED, renamed(asl(), inner_state, f"{inner_state}Renamed"))
    assert any(f"the workflow has no state named {inner_state!r}" in p for p in problems), problems


def test_only_task_states_can_be_mocked() -> None:
    raw = raw_config()
    raw["StateMachines"]["keywarden-remediation"]["TestCases"]["KeyDeactivated"]["CountPoll"] = (
        "OwnerNotified"
    )
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert (
        "keywarden-remediation#KeyDeactivated: 'CountPoll' is not a Task state; only Tasks can be mocked"
        in problems
    )


def test_an_unknown_or_unused_mocked_response_is_caught() -> None:
    raw = raw_config()
    raw["StateMachines"]["keywarden-remediation"]["TestCases"]["KeyDeactivated"]["Evaluate"] = "Nope"
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert "keywarden-remediation#KeyDeactivated: 'Evaluate' uses unknown mocked response 'Nope'" in problems
    assert "mocked response 'EvaluateKeyDeactivated' is used by no test case" in problems


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
    raw = raw_config()
    raw["MockedResponses"]["OwnerNotified"] = answers
    with pytest.raises(MockConfigError, match=message):
        MockConfig.model_validate(raw).answers("OwnerNotified")


def test_ranges_expand_to_one_answer_per_invocation() -> None:
    answers = SHIPPED.MockedResponses["AutomationThrottledTwiceThenStarted"]
    expanded = expand_invocations("AutomationThrottledTwiceThenStarted", answers)
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
    raw = raw_config()
    raw["MockedResponses"]["OwnerNotified"] = {"0": answer}
    with pytest.raises(ValueError, match="MockedResponses"):
        MockConfig.model_validate(raw)


def test_aws_sdk_errors_are_named_as_aws_names_them() -> None:
    raw = raw_config()
    throttled = raw["MockedResponses"]["AutomationThrottledTwiceThenStarted"]["0-1"]["Throw"]
    throttled["Error"] = "ssm.AutomationExecutionLimitExceededException"  # moto's spelling, not AWS's
    problems = consistency_problems(MockConfig.model_validate(raw), asl())
    assert any("throws 'ssm.AutomationExecutionLimitExceededException'" in p for p in problems), problems


LAMBDA_RESULT_MODELS: dict[str, type[BaseModel]] = {
    "lambdas.handlers.parse_event.handler": RemediationRequest,
    "lambdas.handlers.snapshot_user.handler": SnapshotResult,
    "lambdas.handlers.decide_action.handler": ActionDecision,
    "lambdas.handlers.evaluate.handler": Evaluation,
}


def test_mocked_lambda_answers_are_invoke_responses_carrying_what_the_handler_returns() -> None:
    handlers = {f"${{{name}}}": handler for name, handler in FUNCTION_HANDLERS.items()}
    states = dict(iter_states(asl()))
    checked: set[str] = set()
    for machine in SHIPPED.StateMachines.values():
        for case in machine.TestCases.values():
            for state, response in case.items():
                handler = handlers.get(states.get(state, {}).get("Resource", ""))
                if handler is None:
                    continue
                for answer in SHIPPED.answers(response):
                    if answer.is_throw:
                        continue
                    # A plain function ARN Task takes the Invoke response's Payload as its result.
                    assert answer.Return["StatusCode"] == 200, (state, response)
                    LAMBDA_RESULT_MODELS[handler].model_validate(answer.Return["Payload"])
                    checked.add(handler)
    assert checked == set(FUNCTION_HANDLERS.values())  # every workflow function is mocked somewhere


def test_step_functions_local_gets_a_fully_rendered_definition() -> None:
    text = sfn_local_definition(EXPECTATIONS.settings())
    assert "${" not in text
    rendered = json.loads(text)
    assert set(dict(iter_states(rendered))) == set(dict(iter_states(asl())))
    start = rendered["States"]["StartAutomation"]["ResultSelector"]["poll"]
    assert start["max.$"] == "States.StringToJson('4')"


def test_a_case_may_change_what_the_functions_read_but_not_the_workflow() -> None:
    # dryRun only reaches DecideAction's environment: fine. maxPollAttempts is in the ASL.
    assert EXPECTATIONS.settings_for("DryRun").dry_run is True
    assert EXPECTATIONS.settings_for("KeyDeactivated").dry_run is False
    expectations = copy.deepcopy(EXPECTATIONS.model_dump(exclude_unset=True))
    expectations["cases"]["DryRun"]["deployment"] = {"dryRun": True, "maxPollAttempts": 9}
    problems = expectation_problems(type(EXPECTATIONS).model_validate(expectations), SHIPPED, asl())
    changes_workflow = "DryRun: its deployment settings change the workflow definition"
    assert any(p.startswith(changes_workflow) for p in problems), problems


def test_each_case_world_is_what_its_expected_end_says() -> None:
    [exemption] = EXPECTATIONS.cases["UserExempt"].exemptions
    assert (exemption.user, exemption.expires_at.isoformat()) == ("alice", "2026-12-20T09:00:00+00:00")
    assert EXPECTATIONS.cases["UserExempt"].expect.output["evaluation.outcome"] == "EXEMPT"
    assert all(not EXPECTATIONS.cases[c].exemptions for c in EXPECTATIONS.cases if c != "UserExempt")


def test_expectations_for_every_case_and_no_other() -> None:
    expectations = copy.deepcopy(EXPECTATIONS.model_dump())
    del expectations["cases"]["RunbookFailed"]
    problems = expectation_problems(type(EXPECTATIONS).model_validate(expectations), SHIPPED, asl())
    missing = "test cases without expectations: ['RunbookFailed']; expectations without test case: []"
    assert missing in problems
