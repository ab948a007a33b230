"""Every test case of statemachine/MockConfigFile.json, run in the sandbox as Step Functions Local runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from domain.compliance_event import read_compliance_event
from keywarden.sandbox import Sandbox
from keywarden.sandbox.devtools.mocked_cases import MockedCases
from keywarden.sandbox.devtools.mocked_payloads import Derivation, apply_payloads, case_clock, derive_payloads
from keywarden.workflow_cases import CaseRun, answers_per_state, load_expectations, mismatches, run_cases
from statemachine.mock_config import MOCK_CONFIG_PATH, load_mock_config

pytestmark = pytest.mark.e2e

CONFIG = load_mock_config()
EXPECTATIONS = load_expectations()
SETTINGS = EXPECTATIONS.settings()
MACHINE = EXPECTATIONS.state_machine


@dataclass(frozen=True)
class CaseRuns:
    runs: dict[str, CaseRun]
    lambda_invocations: list[str]
    automations_started: int
    audit_items: list[list[dict[str, Any]]]
    published: list[str]
    """What the cases caused in the sandbox, read right after they ran."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SETTINGS, mocked_cases=MockedCases(CONFIG)) as running:
        yield running


@pytest.fixture(scope="module")
def cases(sandbox: Sandbox) -> CaseRuns:
    """Every case, run once (each execution named after its case, each from its event's instant)."""
    runs = run_cases(
        sandbox.client("stepfunctions"),
        sandbox.stack.state_machine_arn,
        EXPECTATIONS,
        before_case=case_clock(sandbox, EXPECTATIONS),
    )
    return CaseRuns(
        runs=runs,
        lambda_invocations=[i.function_name for i in sandbox.lambdas.invocations],
        automations_started=len(sandbox.automation.start_calls),
        audit_items=[sandbox.audit_items(run.execution_arn) for run in runs.values()],
        published=[m.subject for m in sandbox.published("owners") + sandbox.published("operators")],
    )


@pytest.fixture(scope="module")
def derived(sandbox: Sandbox, cases: CaseRuns) -> Derivation:
    """The real functions' answers to the Lambda inputs the cases built (what `make mock-payloads` writes)."""
    return derive_payloads(sandbox, CONFIG, EXPECTATIONS, cases.runs)


def test_the_sandbox_state_machine_is_the_one_the_mock_config_names(sandbox: Sandbox) -> None:
    assert sandbox.stack.state_machine_arn.endswith(f":stateMachine:{MACHINE}")


@pytest.mark.parametrize("case", sorted(EXPECTATIONS.cases))
def test_each_case_ends_as_expected(cases: CaseRuns, case: str) -> None:
    run = cases.runs[case]
    assert run.execution_arn.endswith(f":execution:{MACHINE}:{case}")  # the "#case" suffix is not kept
    assert mismatches(run, EXPECTATIONS.cases[case].expect, answers_per_state(CONFIG, MACHINE, case)) == []


def test_every_case_is_self_contained(cases: CaseRuns) -> None:
    # Nothing ran for real: no Lambda handler, no automation, no audit item, no message. So the
    # cases need no AWS in Step Functions Local either.
    assert cases.lambda_invocations == []
    assert cases.automations_started == 0
    assert cases.audit_items == [[]] * len(cases.runs)
    assert cases.published == []


def test_every_mocked_lambda_payload_is_what_the_real_function_answers(derived: Derivation) -> None:
    """Given every case run in the sandbox, When the real Prepare and Conclude answer the inputs the
    workflow built, each in its case's world, Then their answers are the mocked ones."""
    assert derived.failures == []
    compared = {(p.case, p.state) for p in derived.payloads}
    assert ("KeyDeactivated", "Prepare") in compared
    assert ("KeyDeactivated", "Conclude") in compared
    assert ("UserExempt", "Prepare") in compared
    assert ("StartRefusedPastRetries", "Conclude") in compared  # a failure, concluded for real
    assert {p.case for p in derived.payloads} == set(EXPECTATIONS.cases)
    raw = json.loads(MOCK_CONFIG_PATH.read_text(encoding="utf-8"))
    updated, changed = apply_payloads(raw, derived.payloads)
    assert changed == [], (
        "mocked Lambda payloads differ from the real functions' answers; run `make mock-payloads` "
        "(python -m keywarden.sandbox.devtools.mocked_payloads), or paste:\n"
        + json.dumps({name: updated["MockedResponses"][name] for name in changed}, indent=2)
    )


# A cross-check that does not go through the regeneration tool: the pure reading of the event.


def _mocked_payload(case: str, state: str) -> Any:
    [answer] = CONFIG.answers(CONFIG.test_case(MACHINE, case)[state])
    return answer.Return["Payload"]


CASES_THAT_PREPARE = sorted(
    case
    for case in EXPECTATIONS.cases
    if not CONFIG.answers(CONFIG.test_case(MACHINE, case)["Prepare"])[0].is_throw
)


@pytest.mark.parametrize("case", CASES_THAT_PREPARE)
def test_mocked_prepare_reads_the_event_as_the_pure_function_does(case: str) -> None:
    """Given a case's input, Then the mocked Prepare answer's reading of it is the core's own."""
    real = read_compliance_event(EXPECTATIONS.input_for(case), SETTINGS.config_rule_name)
    assert _mocked_payload(case, "Prepare")["request"] == real.model_dump(mode="json")
