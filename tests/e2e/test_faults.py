"""When things go wrong: every failure is recorded, operators are alerted, nothing loops forever."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from deployment.settings import DeploymentSettings
from domain.runbook import AutomationStatus
from domain.tables import AuditTable
from keywarden.sandbox import Sandbox
from keywarden.sandbox.automation import AutomationBehaviour
from keywarden.sandbox.iam_users import delete_user
from keywarden.scenario import AutomationSpec, KeySpec, UserSpec

pytestmark = pytest.mark.e2e

STALE_USER = UserSpec(name="henry", keys=[KeySpec(id="AKIAHENRY00000000001", created_days_ago=120)])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings(poll_interval_seconds=15, max_poll_attempts=8)) as running:
        yield running


def remediate(sandbox: Sandbox, spec: UserSpec = STALE_USER) -> str:
    user = sandbox.add_user(spec)
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    return execution


@pytest.mark.parametrize(
    "status",
    [
        AutomationStatus.FAILED,
        AutomationStatus.TIMED_OUT,
        AutomationStatus.CANCELLED,
        AutomationStatus.COMPLETED_WITH_FAILURE,
        AutomationStatus.REJECTED,
        AutomationStatus.EXITED,
    ],
)
def test_a_failed_runbook_is_recorded_alerted_and_fails_the_execution(
    sandbox: Sandbox, status: AutomationStatus
) -> None:
    spec = STALE_USER.model_copy(
        update={
            "automation": AutomationSpec(
                final_status=status, failure_message="Step fails when it is Executing."
            )
        }
    )
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert run.status == "FAILED"
    assert run.error == "keywarden.FAILED"
    assert f"ended {status.value}: Step fails when it is Executing." in (run.cause or "")
    [summary, key_item] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert key_item["result"] == "NOT_REVOKED"  # the runbook did nothing; the key is still active
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Remediation FAILED for IAM user henry"
    assert execution in alert.message
    assert sandbox.access_keys("henry") == {"AKIAHENRY00000000001": "Active"}


def test_an_automation_that_never_ends_is_bounded_and_timed_out(sandbox: Sandbox) -> None:
    spec = STALE_USER.model_copy(
        update={"automation": AutomationSpec(duration_seconds=0, final_status=AutomationStatus.IN_PROGRESS)}
    )
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert run.status == "FAILED"
    assert run.error == "keywarden.TIMED_OUT"
    assert run.path.count("GetAutomationStatus") == 8  # max_poll_attempts
    assert run.simulated_seconds == pytest.approx(8 * 15, abs=1)
    assert sandbox.audit_items(execution)[0]["outcome"] == "TIMED_OUT"
    [alert] = sandbox.published("operators")
    assert "TIMED_OUT" in alert.subject


def test_a_throttled_start_is_retried_with_backoff_then_succeeds(sandbox: Sandbox) -> None:
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(refused_starts=2)})
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert run.status == "SUCCEEDED"
    assert len(sandbox.automation.start_calls) == 3
    assert len(sandbox.automation.executions) == 1
    assert sandbox.audit_items(execution)[0]["outcome"] == "REMEDIATED"
    # Two back-offs (5 s then 10 s, full jitter) cost simulated time, not real time.
    assert 30 <= run.simulated_seconds <= 30 + 5 + 10 + 15


def test_throttling_beyond_the_retries_is_a_recorded_failure(sandbox: Sandbox) -> None:
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(refused_starts=50)})
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert run.status == "FAILED"
    assert run.error == "Ssm.AutomationExecutionLimitExceededException"
    assert len(sandbox.automation.start_calls) == 7  # the first try and 6 retries
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert summary["reason"].startswith("Ssm.AutomationExecutionLimitExceededException")
    assert summary["account_id"] == sandbox.account_id
    assert '"configRuleName":"keywarden-access-keys-rotated"' in summary["workflow_input"]
    # What the failure path knows is recorded, so the run is found by user, account and outcome.
    assert (summary["user_name"], summary["region"]) == ("henry", sandbox.region)
    assert summary["user_id"].startswith("AIDA")
    assert summary["outcome_shard"] in {f"FAILED#{n}" for n in range(AuditTable.INDEX_SHARDS)}
    assert summary["account_shard"] in {f"{sandbox.account_id}#{n}" for n in range(AuditTable.INDEX_SHARDS)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", summary["recorded_at"])
    assert sandbox.published("operators")[0].subject == "[keywarden] Remediation FAILED"


def test_a_user_deleted_before_remediation_is_recorded_not_crashed(sandbox: Sandbox) -> None:
    user = sandbox.add_user(STALE_USER)
    delete_user("henry", sandbox.region)
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    run = sandbox.execution(execution)
    assert run.status == "SUCCEEDED"
    assert "StartAutomation" not in run.path
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "USER_NOT_FOUND"
    assert summary["user_id"] == user.user_id
    assert sandbox.published("operators") == []
    assert sandbox.automation.start_calls == []


def test_a_broken_function_is_recorded_as_failed_with_its_error(sandbox: Sandbox) -> None:
    # Evaluate is configured with a contact that is not an address: the function cannot start.
    sandbox.client("lambda").update_function_configuration(
        FunctionName=sandbox.stack.function_arns["EvaluateFunctionArn"],
        Environment={
            "Variables": {
                **DeploymentSettings().evaluate_function_environment(),
                "SECURITY_CONTACT_EMAIL": "not-an-address",
            }
        },
    )
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert run.status == "FAILED"
    assert run.error == "ValidationError"
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert "SECURITY_CONTACT_EMAIL" in summary["reason"]
    [automation] = sandbox.automation.executions
    assert summary["automation"] == {"execution_id": automation}  # the runbook did run: say which
    [alert] = sandbox.published("operators")
    assert "SECURITY_CONTACT_EMAIL" in alert.message


def test_an_automation_role_ssm_cannot_assume_fails_the_run() -> None:
    with Sandbox(automation=AutomationBehaviour(duration_seconds=10)) as sandbox:
        sandbox.client("iam").update_assume_role_policy(
            RoleName="keywarden-automation",
            PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
            '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )
        execution = remediate(sandbox)
        run = sandbox.execution(execution)
        assert run.status == "FAILED"
        assert "assume role is unable to be assumed" in (run.cause or "")
        assert sandbox.audit_items(execution)[0]["outcome"] == "FAILED"
