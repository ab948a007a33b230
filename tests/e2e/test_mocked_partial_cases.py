"""Partial test cases in the sandbox: the Tasks a case lists are mocked, the rest really runs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from deployment.settings import DeploymentSettings
from keywarden.sandbox import Sandbox
from keywarden.sandbox.devtools.mocked_cases import MockedCases
from keywarden.scenario import KeySpec, UserSpec
from statemachine.mock_config import MockConfig
from tests.factories import compliance_event

pytestmark = pytest.mark.e2e

SETTINGS = DeploymentSettings(maxPollAttempts=4, pollIntervalSeconds=1)
MACHINE = "keywarden-remediation"


PARTIAL = MockConfig.model_validate(
    {
        "StateMachines": {
            MACHINE: {
                "TestCases": {
                    "StuckAutomation": {"GetAutomationStatus": "StillInProgress"},
                    "SsmThrottlesPolls": {"GetAutomationStatus": "Throttled"},
                    "TooFewAnswers": {"GetAutomationStatus": "OneInProgress"},
                }
            }
        },
        "MockedResponses": {
            "StillInProgress": {
                f"0-{SETTINGS.max_poll_attempts - 1}": {
                    "Return": {
                        "AutomationExecution": {
                            "AutomationExecutionId": "11111111-2222-3333-4444-555555555555",
                            "AutomationExecutionStatus": "InProgress",
                        }
                    }
                }
            },
            "Throttled": {"0-5": {"Throw": {"Error": "Ssm.ThrottlingException", "Cause": "Rate exceeded"}}},
            "OneInProgress": {
                "0": {
                    "Return": {
                        "AutomationExecution": {
                            "AutomationExecutionId": "x",
                            "AutomationExecutionStatus": "InProgress",
                        }
                    }
                }
            },
        },
    }
)


@pytest.fixture
def partial() -> Iterator[Sandbox]:
    with Sandbox(SETTINGS, mocked_cases=MockedCases(PARTIAL)) as running:
        yield running


def _start(sandbox: Sandbox, case: str, name: str) -> str:
    user = sandbox.add_user(UserSpec(name=name, keys=[KeySpec(created_days_ago=120)]))
    # Each user's own event: a second delivery of one event id would be REPLAYED.
    event = {
        **compliance_event(user_id=user.user_id, rule_name=SETTINGS.config_rule_name),
        "id": f"event-{name}",
    }
    arn = sandbox.client("stepfunctions").start_execution(
        stateMachineArn=f"{sandbox.stack.state_machine_arn}#{case}", name=name, input=json.dumps(event)
    )["executionArn"]
    return str(arn)


def test_states_a_case_does_not_list_run_for_real(partial: Sandbox) -> None:
    """Given a case that mocks only GetAutomationStatus (always InProgress),
    When two users' executions run it,
    Then each times out after the poll limit, while Lambdas, SSM's start, DynamoDB and SNS ran for real."""
    first, second = _start(partial, "StuckAutomation", "ivy"), _start(partial, "StuckAutomation", "jack")
    for execution in (first, second):  # each execution answers from invocation 0 again
        run = partial.execution(execution)
        assert (run.status, run.error) == ("FAILED", "keywarden.TIMED_OUT")
        assert run.path.count("GetAutomationStatus") == SETTINGS.max_poll_attempts
        assert partial.audit_items(execution)[0]["outcome"] == "TIMED_OUT"  # real DynamoDB
    assert len(partial.automation.start_calls) == 2  # real StartAutomationExecution
    assert {i.function_name for i in partial.lambdas.invocations} == {
        "keywarden-prepare",
        "keywarden-conclude",
    }
    assert [a.subject for a in partial.published("operators")] == [
        "[keywarden] Remediation TIMED_OUT for IAM user ivy",
        "[keywarden] Remediation TIMED_OUT for IAM user jack",
    ]


def test_a_mocked_throw_goes_through_retry_and_catch(partial: Sandbox) -> None:
    """Given a case whose GetAutomationStatus always throws throttling, When an execution runs it,
    Then it is retried 5 times in simulated time, caught, recorded by Conclude, and operators alerted."""
    execution = _start(partial, "SsmThrottlesPolls", "kate")
    run = partial.execution(execution)
    assert (run.status, run.error) == ("FAILED", "Ssm.ThrottlingException")
    assert run.cause == "GetAutomationStatus failed: Ssm.ThrottlingException: Rate exceeded"
    # Caught after the last retry: Conclude records it (for real), then the operators are alerted.
    assert run.path[run.path.index("Conclude") - 1] == "GetAutomationStatus"
    assert run.path[-5:] == [
        "RecordRemediation",
        "NeedsOperators",
        "AlertOperators",
        "FailsExecution",
        "RemediationFailed",
    ]
    assert partial.mocked_cases is not None
    assert partial.mocked_cases.started[execution].invocations["GetAutomationStatus"] == 6  # 1 + 5 retries
    # The back-offs (2, 4, 8, 16, 32 s at most, full jitter) cost simulated time, not real time.
    assert run.simulated_seconds <= SETTINGS.poll_interval_seconds + 2 + 4 + 8 + 16 + 32 + 1
    summary = partial.audit_items(execution)[0]
    assert summary["reason"] == "GetAutomationStatus failed: Ssm.ThrottlingException: Rate exceeded"


def test_running_out_of_mocked_answers_ends_the_execution_with_states_runtime(partial: Sandbox) -> None:
    """Given a case with one mocked answer where two are needed, When an execution runs it,
    Then it fails with States.Runtime at that state, uncaught, as in AWS."""
    run = partial.execution(_start(partial, "TooFewAnswers", "liam"))
    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert "no mocked response for invocation 1 of state 'GetAutomationStatus'" in (run.cause or "")
    assert run.path[-1] == "GetAutomationStatus"  # States.ALL catches no States.Runtime, as in AWS


def test_an_unknown_test_case_is_refused(partial: Sandbox) -> None:
    """Given no test case 'Nope', When an execution is started with it,
    Then it is refused as an InvalidArn."""
    with pytest.raises(ClientError, match="has no test case 'Nope'") as refused:
        _start(partial, "Nope", "mia")
    assert refused.value.response["Error"]["Code"] == "InvalidArn"
