"""The regeneration tool: mocked Lambda payloads re-derived from the real functions (make mock-payloads)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from keywarden.sandbox.devtools.mocked_payloads import (
    DerivedPayload,
    PayloadDerivationError,
    apply_payloads,
    check,
    lambda_states,
    main,
)
from keywarden.workflow_cases import CaseExpectations, load_expectations
from statemachine import definition_text
from statemachine.mock_config import MOCK_CONFIG_PATH

pytestmark = pytest.mark.e2e

EXPECTATIONS = load_expectations()
MACHINE = EXPECTATIONS.state_machine
SOME_CASES = ("KeyDeactivated", "UserExempt")
"""A remediation and an exemption: both Lambda functions, in two worlds, in about two seconds a run."""


def shipped() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(MOCK_CONFIG_PATH.read_text(encoding="utf-8"))
    return raw


def some_cases() -> CaseExpectations:
    return EXPECTATIONS.model_copy(update={"cases": {c: EXPECTATIONS.cases[c] for c in SOME_CASES}})


def payload(raw: dict[str, Any], response: str) -> Any:
    return raw["MockedResponses"][response]["0"]["Return"]["Payload"]


def test_the_lambda_states_are_read_from_the_asl() -> None:
    """Given the workflow's ASL, Then its Lambda states are Prepare and Conclude, by their substitutions."""
    assert lambda_states(json.loads(definition_text())) == {
        "Prepare": "PrepareFunctionArn",
        "Conclude": "ConcludeFunctionArn",
    }


def test_placeholders_and_stale_payloads_are_filled_in_from_the_real_functions(tmp_path: Path) -> None:
    """Given placeholder answers (only the fixture parts: Prepare's snapshot, Conclude's key statuses) and
    a stale outcome, When checked then regenerated, Then --check says what differs and changes nothing,
    and regeneration writes the real functions' answers, as shipped."""
    raw = shipped()
    stale = copy.deepcopy(raw)
    prepare_alice = payload(raw, "PrepareAlice")
    stale["MockedResponses"]["PrepareAlice"]["0"]["Return"]["Payload"] = {"before": prepare_alice["before"]}
    stale["MockedResponses"]["ConcludeUserExempt"]["0"]["Return"]["Payload"] = {
        "keys": [{"status_after": "Active"}]
    }
    payload(stale, "ConcludeKeyDeactivated")["outcome"] = "NO_CHANGE"
    config, expectations = tmp_path / "MockConfigFile.json", tmp_path / "expectations.json"
    config.write_text(json.dumps(stale, indent=2) + "\n")
    expectations.write_text(some_cases().model_dump_json(exclude_unset=True))

    options = ["--mock-config", str(config), "--expectations", str(expectations)]
    assert main([*options, "--check"]) == 1
    assert json.loads(config.read_text()) == stale

    assert main(options) == 0

    regenerated = json.loads(config.read_text())
    assert payload(regenerated, "PrepareAlice")["action"] == "REMEDIATE"
    assert payload(regenerated, "PrepareAliceExempt")["decision"]["exemption"]["user"] == "alice"
    assert payload(regenerated, "ConcludeUserExempt")["outcome"] == "EXEMPT"
    assert payload(regenerated, "ConcludeKeyDeactivated")["outcome"] == "REMEDIATED"
    assert regenerated == raw


def test_a_lambda_state_a_case_reaches_without_mocking_it_is_named() -> None:
    """Given UserExempt without a mocked Conclude, When checked, Then the tool names the state to mock."""
    raw = shipped()
    del raw["StateMachines"][MACHINE]["TestCases"]["UserExempt"]["Conclude"]
    only_exempt = EXPECTATIONS.model_copy(update={"cases": {"UserExempt": EXPECTATIONS.cases["UserExempt"]}})
    with pytest.raises(PayloadDerivationError, match="UserExempt reaches the Lambda state Conclude"):
        check(raw, only_exempt)


def test_a_snapshot_fixture_must_be_written_by_hand() -> None:
    """Given a Prepare answer whose snapshot is not a snapshot, When checked, Then the tool says that it
    is the IAM fixture and must be written by hand."""
    raw = shipped()
    raw["MockedResponses"]["PrepareAliceExempt"]["0"]["Return"]["Payload"] = {"before": {"found": "maybe"}}
    only_exempt = EXPECTATIONS.model_copy(update={"cases": {"UserExempt": EXPECTATIONS.cases["UserExempt"]}})
    failures = check(raw, only_exempt).failures
    assert failures
    assert "UserExempt, state Prepare: a mocked Prepare answer's `before` is the IAM fixture" in failures[0]


def test_a_response_shared_by_cases_whose_real_answers_differ_is_refused() -> None:
    derived = [
        DerivedPayload("KeyDeactivated", "Prepare", "PrepareAlice", 0, {"action": "REMEDIATE"}),
        DerivedPayload("DryRun", "Prepare", "PrepareAlice", 0, {"action": "DRY_RUN"}),
    ]
    with pytest.raises(PayloadDerivationError, match="shared by KeyDeactivated and DryRun"):
        apply_payloads(shipped(), derived)


def test_a_range_whose_invocations_answer_differently_must_be_split() -> None:
    raw = shipped()
    answers = raw["MockedResponses"]["ConcludeKeyDeactivated"]
    raw["MockedResponses"]["ConcludeKeyDeactivated"] = {"0-1": answers["0"]}
    derived = [
        DerivedPayload("KeyDeactivated", "Conclude", "ConcludeKeyDeactivated", 0, {"outcome": "REMEDIATED"}),
        DerivedPayload("KeyDeactivated", "Conclude", "ConcludeKeyDeactivated", 1, {"outcome": "FAILED"}),
    ]
    with pytest.raises(PayloadDerivationError, match="the invocations 0-1 answer differently"):
        apply_payloads(raw, derived)


def test_only_return_payloads_change_and_the_invoke_response_stays_around_them() -> None:
    raw = shipped()
    derived = [DerivedPayload("KeyDeactivated", "Conclude", "ConcludeKeyDeactivated", 0, {"outcome": "X"})]
    updated, changed = apply_payloads(raw, derived)
    assert changed == ["ConcludeKeyDeactivated"]
    assert updated["MockedResponses"]["ConcludeKeyDeactivated"] == {
        "0": {"Return": {"StatusCode": 200, "Payload": {"outcome": "X"}}}
    }
    assert raw == shipped()  # the input is not modified
