"""The regeneration tool: mocked Lambda payloads re-derived from the real functions (make mock-payloads)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from keywarden.sandbox.mocked_payloads import (
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
"""A remediation and an exemption: every Lambda function, in two worlds, in about two seconds a run."""


def shipped() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(MOCK_CONFIG_PATH.read_text(encoding="utf-8"))
    return raw


def some_cases() -> CaseExpectations:
    return EXPECTATIONS.model_copy(update={"cases": {c: EXPECTATIONS.cases[c] for c in SOME_CASES}})


def payload(raw: dict[str, Any], response: str) -> Any:
    return raw["MockedResponses"][response]["0"]["Return"]["Payload"]


def test_the_clock_fields_are_read_from_the_asl() -> None:
    states = lambda_states(json.loads(definition_text()))
    assert {name: (s.function, s.clock_fields) for name, s in states.items()} == {
        "ParseEvent": ("ParseEventFunctionArn", ()),
        "SnapshotBefore": ("SnapshotUserFunctionArn", ("taken_at",)),
        "DecideAction": ("DecideActionFunctionArn", ("decided_at",)),
        "SnapshotAfter": ("SnapshotUserFunctionArn", ("taken_at",)),
        "Evaluate": ("EvaluateFunctionArn", ("evaluated_at",)),
    }


def test_placeholders_and_stale_payloads_are_filled_in_from_the_real_functions(tmp_path: Path) -> None:
    # Given: a new Lambda state's placeholder answers ({}), a stale Evaluate answer, and a
    # snapshot fixture with a field the real function does not return
    raw = shipped()
    stale = copy.deepcopy(raw)
    for response in ("DecideRemediate", "DecideExempt", "EvaluateExempt"):
        stale["MockedResponses"][response]["0"]["Return"]["Payload"] = {}
    payload(stale, "EvaluateKeyDeactivated")["outcome"] = "NO_CHANGE"
    payload(stale, "SnapshotUnusedKeyInactive")["user"]["mfa_enabled"] = True
    config, expectations = tmp_path / "MockConfigFile.json", tmp_path / "expectations.json"
    config.write_text(json.dumps(stale, indent=2) + "\n")
    expectations.write_text(some_cases().model_dump_json(exclude_unset=True))

    # When / Then: --check says what differs and changes nothing
    options = ["--mock-config", str(config), "--expectations", str(expectations)]
    assert main([*options, "--check"]) == 1
    assert json.loads(config.read_text()) == stale

    # When: the payloads are regenerated (the runs repeat until nothing changes)
    assert main(options) == 0

    # Then: each is what the real function answers, as shipped; nothing else moved
    regenerated = json.loads(config.read_text())
    assert payload(regenerated, "DecideRemediate")["action"] == "REMEDIATE"
    assert payload(regenerated, "DecideExempt")["exemption"]["reason"] == "break-glass access, ticket SEC-42"
    assert payload(regenerated, "EvaluateExempt")["outcome"] == "EXEMPT"
    assert payload(regenerated, "EvaluateKeyDeactivated")["outcome"] == "REMEDIATED"
    assert "mfa_enabled" not in payload(regenerated, "SnapshotUnusedKeyInactive")["user"]
    assert regenerated == raw


def test_a_lambda_state_a_case_reaches_without_mocking_it_is_named() -> None:
    raw = shipped()
    del raw["StateMachines"][MACHINE]["TestCases"]["UserExempt"]["DecideAction"]
    only_exempt = EXPECTATIONS.model_copy(update={"cases": {"UserExempt": EXPECTATIONS.cases["UserExempt"]}})
    with pytest.raises(PayloadDerivationError, match="UserExempt reaches the Lambda state DecideAction"):
        check(raw, only_exempt)


def test_a_snapshot_fixture_must_be_written_by_hand() -> None:
    raw = shipped()
    raw["MockedResponses"]["SnapshotUnusedKeyActive"]["0"]["Return"]["Payload"] = {}
    only_exempt = EXPECTATIONS.model_copy(update={"cases": {"UserExempt": EXPECTATIONS.cases["UserExempt"]}})
    failures = check(raw, only_exempt).failures
    assert failures
    assert "UserExempt, state SnapshotBefore: a mocked SnapshotUser answer is the IAM fixture" in failures[0]


def test_a_response_shared_by_cases_whose_real_answers_differ_is_refused() -> None:
    derived = [
        DerivedPayload("KeyDeactivated", "DecideAction", "DecideRemediate", 0, {"action": "REMEDIATE"}),
        DerivedPayload("DryRun", "DecideAction", "DecideRemediate", 0, {"action": "DRY_RUN"}),
    ]
    with pytest.raises(PayloadDerivationError, match="shared by KeyDeactivated and DryRun"):
        apply_payloads(shipped(), derived)


def test_a_range_whose_invocations_answer_differently_must_be_split() -> None:
    raw = shipped()
    answers = raw["MockedResponses"]["EvaluateKeyDeactivated"]
    raw["MockedResponses"]["EvaluateKeyDeactivated"] = {"0-1": answers["0"]}
    derived = [
        DerivedPayload("KeyDeactivated", "Evaluate", "EvaluateKeyDeactivated", 0, {"outcome": "REMEDIATED"}),
        DerivedPayload("KeyDeactivated", "Evaluate", "EvaluateKeyDeactivated", 1, {"outcome": "FAILED"}),
    ]
    with pytest.raises(PayloadDerivationError, match="the invocations 0-1 answer differently"):
        apply_payloads(raw, derived)


def test_only_return_payloads_change_and_the_invoke_response_stays_around_them() -> None:
    raw = shipped()
    derived = [DerivedPayload("KeyDeactivated", "Evaluate", "EvaluateKeyDeactivated", 0, {"outcome": "X"})]
    updated, changed = apply_payloads(raw, derived)
    assert changed == ["EvaluateKeyDeactivated"]
    assert updated["MockedResponses"]["EvaluateKeyDeactivated"] == {
        "0": {"Return": {"StatusCode": 200, "Payload": {"outcome": "X"}}}
    }
    assert raw == shipped()  # the input is not modified
