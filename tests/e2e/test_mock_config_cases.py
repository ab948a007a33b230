"""Every test case of statemachine/MockConfigFile.json, run in the sandbox as Step Functions Local runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from keywarden.sandbox import Sandbox
from keywarden.sandbox.mocked_cases import MockedCases
from keywarden.workflow_cases import CaseRun, answers_per_state, load_expectations, mismatches, run_case
from lambdas.evaluation import EvaluateInput, evaluate
from lambdas.event_intake import read_compliance_event
from lambdas.settings import EvaluateSettings, load_settings
from statemachine.mock_config import load_mock_config

pytestmark = pytest.mark.e2e

CONFIG = load_mock_config()
EXPECTATIONS = load_expectations()
SETTINGS = EXPECTATIONS.settings()
MACHINE = EXPECTATIONS.state_machine


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SETTINGS, mocked_cases=MockedCases(CONFIG)) as running:
        yield running


@pytest.fixture(scope="module")
def runs(sandbox: Sandbox) -> dict[str, CaseRun]:
    """Every case, run once (each execution named after its case)."""
    sfn = sandbox.client("stepfunctions")
    return {
        case: run_case(sfn, sandbox.stack.state_machine_arn, case, EXPECTATIONS.input_for(case), case)
        for case in EXPECTATIONS.cases
    }


def test_the_sandbox_state_machine_is_the_one_the_mock_config_names(sandbox: Sandbox) -> None:
    assert sandbox.stack.state_machine_arn.endswith(f":stateMachine:{MACHINE}")


@pytest.mark.parametrize("case", sorted(EXPECTATIONS.cases))
def test_each_case_ends_as_expected(runs: dict[str, CaseRun], case: str) -> None:
    run = runs[case]
    assert run.execution_arn.endswith(f":execution:{MACHINE}:{case}")  # the "#case" suffix is not kept
    assert mismatches(run, EXPECTATIONS.cases[case].expect, answers_per_state(CONFIG, MACHINE, case)) == []


def test_every_case_is_self_contained(sandbox: Sandbox, runs: dict[str, CaseRun]) -> None:
    # Nothing ran for real: no Lambda handler, no automation, no audit item, no message. So the
    # cases need no AWS in Step Functions Local either.
    assert sandbox.lambdas.invocations == []
    assert sandbox.automation.start_calls == []
    assert [sandbox.audit_items(run.execution_arn) for run in runs.values()] == [[]] * len(runs)
    assert sandbox.published("owners") == sandbox.published("operators") == []


def _scheduled_input(sandbox: Sandbox, execution_arn: str, state: str) -> dict[str, Any]:
    """The payload the workflow handed to a Lambda state (its last invocation)."""
    events = sandbox.client("stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    entered = max(
        i for i, e in enumerate(events) if e.get("stateEnteredEventDetails", {}).get("name") == state
    )
    scheduled = next(e for e in events[entered:] if e["type"] == "LambdaFunctionScheduled")
    payload: dict[str, Any] = json.loads(scheduled["lambdaFunctionScheduledEventDetails"]["input"])
    return payload


def _mocked_payload(case: str, state: str) -> Any:
    [answer] = CONFIG.answers(CONFIG.test_case(MACHINE, case)[state])
    return answer.Return["Payload"]


@pytest.mark.parametrize("case", sorted(EXPECTATIONS.cases))
def test_mocked_parse_event_answers_what_the_real_function_answers(case: str) -> None:
    real = read_compliance_event(EXPECTATIONS.input_for(case), SETTINGS.config_rule_name)
    assert _mocked_payload(case, "ParseEvent") == real.model_dump(mode="json")


@pytest.mark.parametrize("case", sorted(EXPECTATIONS.cases))
def test_mocked_evaluate_answers_what_the_real_function_answers(
    sandbox: Sandbox, runs: dict[str, CaseRun], case: str
) -> None:
    # The input Evaluate got when the case ran (built by the ASL from the other mocked answers),
    # judged at the last snapshot's time, so that the answer does not depend on today's date.
    given = EvaluateInput.model_validate(_scheduled_input(sandbox, runs[case].execution_arn, "Evaluate"))
    last_snapshot = given.state.after or given.state.before
    assert last_snapshot is not None
    settings = load_settings(EvaluateSettings, SETTINGS.evaluate_function_environment())
    real = evaluate(
        given.model_copy(update={"evaluated_at": last_snapshot.taken_at}), settings.to_evaluation_settings()
    ).model_dump(mode="json")
    assert _mocked_payload(case, "Evaluate") == real, (
        f"MockedResponses for Evaluate in {case} differ from the real answer; it is now:\n"
        + json.dumps(real, indent=2)
    )
