"""When things go wrong: every failure is recorded, operators are alerted, nothing loops forever.

The sandbox applies AWS's rules where moto is lenient (a Choice on a missing path fails the
execution, as in AWS), and each test injects a failure at one state of the workflow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from moto.core.responses import BaseResponse

from deployment.settings import DeploymentSettings
from deployment.workflow import CONCLUDE, PREPARE
from domain.runbook import AutomationStatus
from domain.tables import AuditTable
from keywarden.sandbox import Sandbox
from keywarden.sandbox.aws.faults import Fault
from keywarden.sandbox.fixtures.iam_users import delete_user
from keywarden.sandbox.ssm.automation import AutomationBehaviour
from keywarden.scenario import AutomationSpec, KeySpec, UserSpec

pytestmark = pytest.mark.e2e

STALE_USER = UserSpec(name="henry", keys=[KeySpec(id="AKIAHENRY00000000001", created_days_ago=120)])
IN_USE_USER = UserSpec(
    name="ivy",
    tags={"owner-email": "ivy@example.com"},
    keys=[KeySpec(id="AKIAIVY0000000000001", created_days_ago=120, last_used_days_ago=1)],
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings(poll_interval_seconds=15, max_poll_attempts=8)) as running:
        assert running.strict_paths  # AWS's rules, not moto's
        yield running


def remediate(sandbox: Sandbox, spec: UserSpec = STALE_USER) -> str:
    user = sandbox.add_user(spec)
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    return execution


def break_function(sandbox: Sandbox, substitution: str, variable: str, value: str) -> None:
    """Configure one workflow function with a bad setting: it fails before doing anything."""
    lambdas = sandbox.client("lambda")
    arn = sandbox.stack.function_arns[substitution]
    environment = lambdas.get_function_configuration(FunctionName=arn)["Environment"]["Variables"]
    lambdas.update_function_configuration(
        FunctionName=arn, Environment={"Variables": {**environment, variable: value}}
    )


def to_operators(response: BaseResponse) -> bool:
    return str(response._get_param("TopicArn")).endswith(":keywarden-operators")


def to_owners(response: BaseResponse) -> bool:
    return str(response._get_param("TopicArn")).endswith(":keywarden-owners")


# --- the runbook ends badly -----------------------------------------------------------------


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
def test_a_failed_runbook_that_left_an_unused_key_active_is_recorded_alerted_and_fails(
    sandbox: Sandbox, status: AutomationStatus
) -> None:
    """Given a runbook that ends with a failed status and changes nothing,
    When henry's stale unused key is remediated,
    Then FAILED is recorded with the runbook's status and message, the key NOT_REVOKED, the operators
    are alerted, and the execution fails."""
    spec = STALE_USER.model_copy(
        update={
            "automation": AutomationSpec(
                final_status=status, failure_message="Step fails when it is Executing."
            )
        }
    )
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "keywarden.FAILED")
    assert f"ended {status.value}: Step fails when it is Executing." in (run.cause or "")
    [summary, key_item] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert summary["automation"]["status"] == status.value
    assert key_item["result"] == "NOT_REVOKED"
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Remediation FAILED for IAM user henry"
    assert execution in alert.message
    assert sandbox.access_keys("henry") == {"AKIAHENRY00000000001": "Active"}


def test_a_runbook_whose_verification_read_too_soon_is_judged_by_iam_not_paged(sandbox: Sandbox) -> None:
    """Given a runbook that deactivates henry's stale key and then fails its own verification (IAM
    read too soon: "VERIFICATION FAILED ... NOT DEACTIVATED"),
    When remediated,
    Then the after-snapshot decides: REMEDIATED with the key DEACTIVATED, the runbook's Failed status
    and message kept in the record, no operator alert, and the execution succeeds."""
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(verification_fails=True)})
    execution = remediate(sandbox, spec)
    assert sandbox.execution(execution).status == "SUCCEEDED"
    [summary, key_item] = sandbox.audit_items(execution)
    assert summary["outcome"] == "REMEDIATED"
    assert "although automation" in summary["reason"]
    assert summary["automation"]["status"] == "Failed"
    assert "VERIFICATION FAILED" in summary["automation"]["failure_message"]
    assert key_item["result"] == "DEACTIVATED"
    assert sandbox.published("operators") == []
    assert sandbox.access_keys("henry") == {"AKIAHENRY00000000001": "Inactive"}


def test_an_automation_that_never_ends_is_bounded_and_timed_out(sandbox: Sandbox) -> None:
    """Given an automation that stays InProgress, When remediated, Then after maxPollAttempts (8)
    polls, 15 s apart, TIMED_OUT is recorded and alerted: the loop never runs for ever."""
    spec = STALE_USER.model_copy(
        update={"automation": AutomationSpec(duration_seconds=0, final_status=AutomationStatus.IN_PROGRESS)}
    )
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "keywarden.TIMED_OUT")
    assert run.path.count("GetAutomationStatus") == 8
    assert run.simulated_seconds == pytest.approx(8 * 15, abs=1)
    assert sandbox.audit_items(execution)[0]["outcome"] == "TIMED_OUT"
    [alert] = sandbox.published("operators")
    assert "TIMED_OUT" in alert.subject


def test_a_throttled_start_is_retried_with_backoff_then_succeeds(sandbox: Sandbox) -> None:
    """Given SSM refuses the first two starts, When remediated, Then the third start runs the runbook
    and the key is revoked; the back-offs cost simulated time, not real time."""
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(refused_starts=2)})
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert run.status == "SUCCEEDED"
    assert len(sandbox.automation.start_calls) == 3
    assert len(sandbox.automation.executions) == 1
    assert sandbox.audit_items(execution)[0]["outcome"] == "REMEDIATED"
    assert 30 <= run.simulated_seconds <= 30 + 5 + 10 + 15


def test_a_user_deleted_before_remediation_is_recorded_not_crashed(sandbox: Sandbox) -> None:
    """Given henry is deleted before his event is handled, When the event arrives, Then no automation
    starts, USER_NOT_FOUND is recorded under his id, and nobody is paged."""
    user = sandbox.add_user(STALE_USER)
    delete_user("henry", sandbox.region)
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    run = sandbox.execution(execution)
    assert run.status == "SUCCEEDED"
    assert "StartAutomation" not in run.path
    [summary] = sandbox.audit_items(execution)
    assert (summary["outcome"], summary["user_id"]) == ("USER_NOT_FOUND", user.user_id)
    assert sandbox.published("operators") == []
    assert sandbox.automation.start_calls == []


def test_an_automation_role_ssm_cannot_assume_fails_the_run() -> None:
    """Given an automation role SSM may not assume, When remediated, Then the runbook fails and so does
    the execution, with the runbook's reason."""
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


# --- a failure at each state that can fail ------------------------------------------------------


def test_prepare_failing_is_recorded_with_the_user_id_from_the_event(sandbox: Sandbox) -> None:
    """Given Prepare cannot start (a bad DRY_RUN setting),
    When henry's event arrives,
    Then Conclude records FAILED naming Prepare and the error, with henry's id read from the event and
    his name and keys listed as unknown; no automation starts; the operators are alerted."""
    break_function(sandbox, PREPARE.substitution, "DRY_RUN", "maybe")
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "ValidationError")
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert summary["reason"].startswith("Prepare failed: ValidationError")
    assert "DRY_RUN" in summary["reason"]
    assert summary["user_id"].startswith("AIDA")
    assert summary["unknown"] == ["user_name", "keys"]
    assert sandbox.automation.start_calls == []
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Remediation FAILED"
    assert "Unknown: user_name, keys" in alert.message


def test_a_start_refused_beyond_the_retries_is_recorded_with_what_is_known(sandbox: Sandbox) -> None:
    """Given SSM refuses every start, When remediated, Then after the first try and 12 retries FAILED is
    recorded with henry's name, region, untouched key and the automation listed as unknown, findable by
    user, account and outcome, and the operators are alerted."""
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(refused_starts=50)})
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "Ssm.AutomationExecutionLimitExceededException")
    assert len(sandbox.automation.start_calls) == 13
    [summary, key_item] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert summary["reason"].startswith(
        "StartAutomation failed: Ssm.AutomationExecutionLimitExceededException"
    )
    assert (summary["user_name"], summary["region"]) == ("henry", sandbox.region)
    assert summary["unknown"] == ["automation"]
    assert key_item["result"] == "NOT_REVOKED"
    assert summary["outcome_shard"] in {f"FAILED#{n}" for n in range(AuditTable.INDEX_SHARDS)}
    assert summary["account_shard"] in {f"{sandbox.account_id}#{n}" for n in range(AuditTable.INDEX_SHARDS)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", summary["recorded_at"])
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Remediation FAILED for IAM user henry"


def test_a_start_the_workflow_may_not_make_is_not_retried(sandbox: Sandbox) -> None:
    """Given the workflow's role may not start automations (a permanent error), When remediated,
    Then StartAutomation is tried once, and FAILED is recorded and alerted."""
    sandbox.faults.add(Fault("ssm", "StartAutomationExecution", "AccessDeniedException", "not authorized"))
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "Ssm.AccessDeniedException")
    assert run.path.count("StartAutomation") == 1
    assert sandbox.audit_items(execution)[0]["outcome"] == "FAILED"
    assert len(sandbox.published("operators")) == 1


def test_a_status_that_cannot_be_read_is_recorded_with_the_automation_id(sandbox: Sandbox) -> None:
    """Given GetAutomationExecution keeps failing with a 500, When remediated, Then it is retried, then
    FAILED is recorded naming GetAutomationStatus, with the automation's id, the key as IAM shows it,
    and the automation's status listed as unknown; the operators are alerted."""
    sandbox.faults.add(Fault("ssm", "GetAutomationExecution", "InternalServerError", "try later"))
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "Ssm.InternalServerErrorException")
    [summary, key_item] = sandbox.audit_items(execution)
    assert summary["reason"].startswith("GetAutomationStatus failed: Ssm.InternalServerErrorException")
    [automation] = sandbox.automation.executions
    assert summary["automation"]["execution_id"] == automation
    assert summary["unknown"] == ["automation_status"]
    assert key_item["key"]["status_after"] in {"Active", "Inactive"}
    assert len(sandbox.published("operators")) == 1


def test_conclude_failing_leaves_the_last_resort_record_and_an_alert(sandbox: Sandbox) -> None:
    """Given Conclude cannot start (a contact that is no address),
    When remediated,
    Then RecordFailure writes FAILED with the execution's input, account and error (user, keys and
    automation unknown), the operators are alerted with the error, and the execution fails."""
    break_function(sandbox, CONCLUDE.substitution, "SECURITY_CONTACT_EMAIL", "not-an-address")
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "ValidationError")
    assert run.path[-3:] == ["RecordFailure", "AlertOperatorsOfFailure", "ExecutionFailed"]
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert "SECURITY_CONTACT_EMAIL" in summary["reason"]
    assert summary["account_id"] == sandbox.account_id
    assert summary["unknown"] == ["user", "keys", "automation"]
    assert '"configRuleName":"keywarden-access-keys-rotated"' in summary["workflow_input"]
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Remediation FAILED"
    assert "SECURITY_CONTACT_EMAIL" in alert.message


def test_a_record_dynamodb_refuses_falls_back_to_the_last_resort_record(sandbox: Sandbox) -> None:
    """Given DynamoDB refuses the record's transaction (not a throttle: not retried),
    When remediated,
    Then RecordFailure writes the FAILED record instead and the operators are alerted."""
    sandbox.faults.add(Fault("dynamodb", "TransactWriteItems", "ResourceNotFoundException", "no table"))
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "DynamoDb.ResourceNotFoundException")
    assert run.path.count("RecordRemediation") == 1
    [summary] = sandbox.audit_items(execution)
    assert summary["outcome"] == "FAILED"
    assert summary["reason"].startswith("DynamoDb.ResourceNotFoundException: keywarden could not record")
    assert len(sandbox.published("operators")) == 1


def test_a_cancelled_transaction_whose_items_are_absent_is_not_taken_for_recorded(sandbox: Sandbox) -> None:
    """Given every transaction is cancelled, When remediated, Then ConfirmRecorded finds no summary item,
    and RecordFailure writes the FAILED record with an alert."""
    sandbox.faults.add(Fault("dynamodb", "TransactWriteItems", "TransactionCanceledException", "cancelled"))
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert "ConfirmRecorded" in run.path
    assert run.path[-3:] == ["RecordFailure", "AlertOperatorsOfFailure", "ExecutionFailed"]
    assert sandbox.audit_items(execution)[0]["outcome"] == "FAILED"


def test_nothing_can_be_recorded_the_operators_are_still_alerted(sandbox: Sandbox) -> None:
    """Given Conclude cannot start and the audit table refuses every write,
    When remediated,
    Then no record exists, but the operators are alerted and the execution fails."""
    break_function(sandbox, CONCLUDE.substitution, "SECURITY_CONTACT_EMAIL", "not-an-address")
    sandbox.faults.add(Fault("dynamodb", "PutItem", "ResourceNotFoundException", "no table"))
    execution = remediate(sandbox)
    run = sandbox.execution(execution)
    assert (run.status, run.path[-1]) == ("FAILED", "ExecutionFailed")
    assert sandbox.audit_items(execution) == []
    [alert] = sandbox.published("operators")
    assert "could not be recorded in full" in alert.message


def test_an_alert_that_cannot_be_sent_still_fails_the_execution(sandbox: Sandbox) -> None:
    """Given the operators' topic refuses every publish, When a runbook fails, Then the FAILED record
    stands and the execution still fails (so the failed-executions alarm pages)."""
    spec = STALE_USER.model_copy(update={"automation": AutomationSpec(final_status=AutomationStatus.FAILED)})
    sandbox.faults.add(Fault("sns", "Publish", "InternalError", "try later", when=to_operators))
    execution = remediate(sandbox, spec)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "keywarden.FAILED")
    assert sandbox.audit_items(execution)[0]["outcome"] == "FAILED"
    assert sandbox.published("operators") == []


def test_an_owner_who_cannot_be_told_is_recorded_and_the_operators_alerted(sandbox: Sandbox) -> None:
    """Given the owners' topic refuses every publish,
    When ivy's key in use is remediated,
    Then KEYS_LEFT_ACTIVE is recorded with the notification error, the claim is given back (the next
    event notifies), the operators are alerted, and the execution fails as OwnerNotificationFailed."""
    sandbox.faults.add(Fault("sns", "Publish", "InternalError", "try later", when=to_owners))
    execution = remediate(sandbox, IN_USE_USER)
    run = sandbox.execution(execution)
    assert (run.status, run.error) == ("FAILED", "keywarden.OwnerNotificationFailed")
    [summary, _] = sandbox.audit_items(execution)
    assert summary["outcome"] == "KEYS_LEFT_ACTIVE"
    assert "InternalError" in summary["notification_error"]
    [state] = sandbox.notification_state(summary["user_id"])
    assert state["suppress_until"] == 0
    [alert] = sandbox.published("operators")
    assert alert.subject == "[keywarden] Owner notification failed"


def test_a_runbook_version_ssm_does_not_have_fails_every_start_and_is_recorded() -> None:
    """Given keywarden deployed with runbookVersion 2, which the account's SSM does not have,
    When a user is remediated, Then SSM refuses the start (not retried), and FAILED is recorded and
    alerted; the default, version 1, is the one the sandbox's runbook is."""
    assert DeploymentSettings().runbook_version == "1"
    with Sandbox(DeploymentSettings(runbook_version="2")) as sandbox:
        execution = remediate(sandbox)
        run = sandbox.execution(execution)
        assert (run.status, run.error) == ("FAILED", "Ssm.InvalidDocumentVersionException")
        assert run.path.count("StartAutomation") == 1
        assert sandbox.audit_items(execution)[0]["outcome"] == "FAILED"
        assert len(sandbox.published("operators")) == 1
