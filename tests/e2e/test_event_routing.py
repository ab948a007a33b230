"""Only NON_COMPLIANT IAM user events for keywarden's rule start a remediation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keywarden.sandbox import Sandbox
from keywarden.scenario import KeySpec, UserSpec
from tests.factories import compliance_event

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def user_id(sandbox: Sandbox) -> str:
    return sandbox.add_user(UserSpec(name="ivan", keys=[KeySpec(created_days_ago=100)])).user_id


@pytest.mark.parametrize(
    "change",
    [
        {"compliance_type": "COMPLIANT"},
        {"compliance_type": "NOT_APPLICABLE"},
        {"rule_name": "iam-user-mfa-enabled"},
        {"resource_type": "AWS::IAM::Role"},
    ],
)
def test_other_events_start_nothing(sandbox: Sandbox, user_id: str, change: dict[str, str]) -> None:
    """Given a compliance change that is not keywarden's (compliant, another rule, another type), When it
    is put on the bus, Then no execution and no automation start."""
    assert sandbox.put_event(sandbox.compliance_change(user_id, **change)) == []
    assert sandbox.automation.start_calls == []


def test_a_bad_workflow_input_is_rejected_recorded_and_alerted(sandbox: Sandbox) -> None:
    # Given an execution started by hand with a COMPLIANT event
    execution = sandbox.start_execution(
        compliance_event(compliance_type="COMPLIANT"), name="manual-compliant"
    )

    # When it runs
    run = sandbox.execution(execution)

    # Then it fails as REJECTED with the reason, starts no automation, records REJECTED and alerts the
    # operators
    assert run.status == "FAILED"
    assert run.error == "keywarden.REJECTED"
    assert run.cause == "compliance type is 'COMPLIANT', not NON_COMPLIANT"
    assert "StartAutomation" not in run.path
    assert sandbox.automation.start_calls == []
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "REJECTED"
    alerts = sandbox.published("operators")
    assert any(execution in a.message for a in alerts)


def test_garbage_input_is_rejected_too(sandbox: Sandbox) -> None:
    # Given an execution started by hand with input that is no event at all
    execution = sandbox.start_execution({"hello": "world"}, name="manual-garbage")

    # When it runs
    run = sandbox.execution(execution)

    # Then it is REJECTED, saying it is not a compliance-change event, and recorded so
    assert run.error == "keywarden.REJECTED"
    assert "not a Config compliance-change event" in (run.cause or "")
    assert sandbox.audit_items(execution)[0]["outcome"] == "REJECTED"
