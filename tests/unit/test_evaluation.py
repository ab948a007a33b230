"""The Evaluate step: outcome, owner notification and audit items from what the workflow saw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from domain.classification import CredentialPolicy
from domain.compliance_event import RemediationRequest
from domain.credentials import (
    AccessKeySnapshot,
    KeyStatus,
    LoginProfileSnapshot,
    SnapshotResult,
    UserSnapshot,
)
from domain.results import RemediationOutcome
from domain.runbook import AUTOMATION_FAILED, AutomationProgress, AutomationStatus
from domain.tables import AuditTable
from lambdas.evaluation import EvaluateInput, EvaluationSettings, WorkflowState, evaluate
from tests.factories import NOW, key, login_profile

SETTINGS = EvaluationSettings(
    policy=CredentialPolicy(90, 90),
    security_contact_email="security@example.com",
    owner_tag_keys=("owner-email", "owner"),
    grace_period_days=14,
    retention_days=0,
)
REQUEST = RemediationRequest(
    accepted=True,
    reason="NON_COMPLIANT IAM user event",
    user_id="AIDAEXAMPLEUSERID0001",
    account_id="111122223333",
    region="eu-west-1",
    rule_name="keywarden-access-keys-rotated",
    event_id="evt-1",
    event_time=NOW - timedelta(minutes=5),
)
EXECUTION = "arn:aws:states:eu-west-1:111122223333:execution:keywarden-remediation:run-1"


def user(
    keys: list[AccessKeySnapshot],
    tags: dict[str, str] | None = None,
    profile: LoginProfileSnapshot | None = None,
) -> SnapshotResult:
    return SnapshotResult(
        found=True,
        taken_at=NOW,
        user=UserSnapshot(
            user_id="AIDAEXAMPLEUSERID0001",
            user_name="bob",
            arn="arn:aws:iam::111122223333:user/bob",
            tags=tags or {},
            access_keys=tuple(keys),
            login_profile=profile,
        ),
    )


def automation(status: str, polls: int = 2, failure: str | None = None) -> AutomationProgress:
    execution: dict[str, Any] = {
        "AutomationExecutionId": "auto-1",
        "AutomationExecutionStatus": status,
        "ExecutionStartTime": (NOW - timedelta(seconds=40)).isoformat(),
    }
    if failure:
        execution["FailureMessage"] = failure
    return AutomationProgress.model_validate(
        {
            "execution_id": "auto-1",
            "poll": {"count": polls, "max": 40, "interval_seconds": 15},
            "last_poll": {"status": status, "execution": execution},
        }
    )


def run(state: WorkflowState, settings: EvaluationSettings = SETTINGS) -> Any:
    return evaluate(
        EvaluateInput(state=state, execution_arn=EXECUTION, execution_name="run-1", evaluated_at=NOW),
        settings,
    )


def items(evaluation: Any) -> list[dict[str, Any]]:
    deserializer = TypeDeserializer()
    return [{k: deserializer.deserialize(v) for k, v in item.items()} for item in evaluation.record_items]


def deactivate(snapshot: SnapshotResult, *key_ids: str) -> SnapshotResult:
    assert snapshot.user is not None
    keys = tuple(
        k.model_copy(update={"status": KeyStatus.INACTIVE}) if k.access_key_id in key_ids else k
        for k in snapshot.user.access_keys
    )
    return snapshot.model_copy(update={"user": snapshot.user.model_copy(update={"access_keys": keys})})


class TestOutcome:
    def test_a_deactivated_key_is_remediated_and_its_owner_told(self) -> None:
        before = user(
            [key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120)], tags={"owner-email": "bob@example.com"}
        )
        result = run(
            WorkflowState(
                request=REQUEST,
                before=before,
                automation=automation("Success"),
                after=deactivate(before, "AKIAAAAAAAAAAAAAAAA1"),
            )
        )
        assert result.outcome is RemediationOutcome.REMEDIATED
        assert result.notify_owner
        assert result.notification.attributes["owner_email"]["StringValue"] == "bob@example.com"
        assert result.operator_alert is None

    def test_a_skipped_key_leaves_keys_active_and_warns_the_owner(self) -> None:
        before = user([key(created_days_ago=120, last_used_days_ago=0)])
        result = run(
            WorkflowState(request=REQUEST, before=before, automation=automation("Success"), after=before)
        )
        assert result.outcome is RemediationOutcome.KEYS_LEFT_ACTIVE
        assert result.notify_owner
        assert result.notification.attributes["severity"]["StringValue"] == "high"
        assert result.notification.attributes["owner_email"]["StringValue"] == "security@example.com"

    def test_nothing_stale_is_no_change_and_nobody_is_told(self) -> None:
        before = user([key(created_days_ago=10, last_used_days_ago=1)])
        result = run(
            WorkflowState(request=REQUEST, before=before, automation=automation("Success"), after=before)
        )
        assert result.outcome is RemediationOutcome.NO_CHANGE
        assert not result.notify_owner
        assert result.notification is None

    @pytest.mark.parametrize("status", sorted(AUTOMATION_FAILED))
    def test_every_failed_automation_status_is_failed_and_alerts_operators(self, status: str) -> None:
        before = user([key(created_days_ago=120)])
        result = run(
            WorkflowState(
                request=REQUEST,
                before=before,
                automation=automation(status, failure="Step timed out"),
                after=before,
            )
        )
        assert result.outcome is RemediationOutcome.FAILED
        assert f"automation auto-1 ended {status}: Step timed out" == result.reason
        assert result.operator_alert is not None
        assert EXECUTION in result.operator_alert.message

    @pytest.mark.parametrize("status", ["InProgress", "Pending", "Waiting", "Cancelling"])
    def test_a_still_running_automation_at_the_poll_bound_is_timed_out(self, status: str) -> None:
        before = user([key(created_days_ago=120)])
        result = run(
            WorkflowState(
                request=REQUEST, before=before, automation=automation(status, polls=40), after=before
            )
        )
        assert result.outcome is RemediationOutcome.TIMED_OUT
        assert f"still {status} after 40 polls (about 600 s)" in result.reason
        assert result.operator_alert is not None

    def test_success_contradicted_by_the_after_snapshot_is_failed(self) -> None:
        before = user([key("AKIAAAAAAAAAAAAAAAA9", created_days_ago=120)])
        result = run(
            WorkflowState(request=REQUEST, before=before, automation=automation("Success"), after=before)
        )
        assert result.outcome is RemediationOutcome.FAILED
        assert "key AKIAAAAAAAAAAAAAAAA9" in result.reason
        assert result.keys[0].result.value == "NOT_REVOKED"

    def test_a_deleted_password_is_reported_and_told(self) -> None:
        before = user([key(created_days_ago=10)], profile=login_profile(200, 120))
        after = before.model_copy(update={"user": before.user.model_copy(update={"login_profile": None})})  # type: ignore[union-attr]
        result = run(
            WorkflowState(request=REQUEST, before=before, automation=automation("Success"), after=after)
        )
        assert result.outcome is RemediationOutcome.REMEDIATED
        assert result.password_deleted
        assert "Console password: DELETED" in result.notification.text

    def test_a_missing_user_is_recorded_not_failed(self) -> None:
        missing = SnapshotResult(found=False, taken_at=NOW)
        result = run(WorkflowState(request=REQUEST, before=missing))
        assert result.outcome is RemediationOutcome.USER_NOT_FOUND
        assert "AIDAEXAMPLEUSERID0001" in result.reason
        assert result.operator_alert is None
        assert items(result)[0]["user_id"] == "AIDAEXAMPLEUSERID0001"

    def test_a_user_deleted_during_the_run_is_user_not_found(self) -> None:
        before = user([key(created_days_ago=120)])
        result = run(
            WorkflowState(
                request=REQUEST,
                before=before,
                automation=automation("Failed"),
                after=SnapshotResult(found=False, taken_at=NOW),
            )
        )
        assert result.outcome is RemediationOutcome.USER_NOT_FOUND
        assert "deleted while the remediation ran" in result.reason

    def test_a_rejected_event_is_recorded_and_alerts_operators(self) -> None:
        rejected = RemediationRequest(
            accepted=False, reason="compliance type is 'COMPLIANT', not NON_COMPLIANT"
        )
        result = run(WorkflowState(request=rejected))
        assert result.outcome is RemediationOutcome.REJECTED
        assert result.reason == rejected.reason
        assert result.operator_alert is not None
        summary = items(result)[0]
        assert summary["outcome"] == "REJECTED"
        assert "user_name" not in summary  # nothing to index under a user


class TestAuditItems:
    def test_one_summary_item_and_one_item_per_key(self) -> None:
        before = user(
            [
                key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120),
                key("AKIAAAAAAAAAAAAAAAA2", created_days_ago=120, last_used_days_ago=2),
            ],
            tags={"owner": "bob@example.com"},
        )
        result = run(
            WorkflowState(
                request=REQUEST,
                before=before,
                automation=automation("Success"),
                after=deactivate(before, "AKIAAAAAAAAAAAAAAAA1"),
            )
        )
        summary, *key_items = items(result)
        assert summary["pk"] == "REMEDIATION#run-1"
        assert summary["sk"] == "REMEDIATION"
        assert summary["outcome"] == "KEYS_LEFT_ACTIVE"
        assert (summary["user_name"], summary["account_id"]) == ("bob", "111122223333")
        assert summary["recorded_at"] == "2026-11-28T12:00:00.000Z"  # UTC, milliseconds: sorts as text
        assert summary["automation"] == {"execution_id": "auto-1", "status": "Success", "polls": 2}
        assert summary["owner"] == {"email": "bob@example.com", "source": "tag:owner"}
        assert [k["result"] for k in summary["keys"]] == ["DEACTIVATED", "SKIPPED_RECENTLY_USED"]
        assert "expires_at" not in summary
        assert [(i["sk"], i["access_key_id"], i["result"]) for i in key_items] == [
            ("KEY#AKIAAAAAAAAAAAAAAAA1", "AKIAAAAAAAAAAAAAAAA1", "DEACTIVATED"),
            ("KEY#AKIAAAAAAAAAAAAAAAA2", "AKIAAAAAAAAAAAAAAAA2", "SKIPPED_RECENTLY_USED"),
        ]
        # Index attributes stay on their own kind of item (sparse indexes).
        assert all("user_name" not in i and "outcome" not in i for i in key_items)
        assert "access_key_id" not in summary
        assert key_items[0]["owner"] == {"email": "bob@example.com", "source": "tag:owner"}
        assert key_items[0]["execution_arn"] == EXECUTION

    def test_account_and_outcome_partitions_are_sharded_per_remediation(self) -> None:
        result = run(WorkflowState(request=REQUEST, before=SnapshotResult(found=False, taken_at=NOW)))
        summary = items(result)[0]
        shard = AuditTable.shard_of("run-1")
        assert summary["account_shard"] == f"111122223333#{shard}"
        assert summary["outcome_shard"] == f"USER_NOT_FOUND#{shard}"
        shards = {AuditTable.shard_of(f"run-{n}") for n in range(200)}
        assert shards == set(range(AuditTable.INDEX_SHARDS))

    def test_an_input_without_account_is_filed_under_the_workflow_account(self) -> None:
        result = run(WorkflowState(request=RemediationRequest(accepted=False, reason="not JSON")))
        summary = items(result)[0]
        assert summary["account_id"] == "111122223333"  # from the execution ARN
        assert summary["account_shard"].startswith("111122223333#")

    def test_a_retention_sets_the_ttl_attribute(self) -> None:
        settings = EvaluationSettings(**{**SETTINGS.__dict__, "retention_days": 400})
        result = run(
            WorkflowState(request=REQUEST, before=SnapshotResult(found=False, taken_at=NOW)), settings
        )
        assert items(result)[0]["expires_at"] == int((NOW + timedelta(days=400)).timestamp())

    def test_items_are_in_dynamodb_attribute_value_form(self) -> None:
        result = run(WorkflowState(request=REQUEST, before=SnapshotResult(found=False, taken_at=NOW)))
        assert result.record_items[0]["pk"] == {"S": "REMEDIATION#run-1"}


def test_the_notification_subject_fits_sns() -> None:
    long_name_key = key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=12000, last_used_days_ago=0)
    before = user([long_name_key])
    result = run(
        WorkflowState(
            request=REQUEST, before=before, automation=automation(AutomationStatus.SUCCESS), after=before
        )
    )
    assert len(result.notification.subject) <= 100
