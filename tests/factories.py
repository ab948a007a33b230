"""Builders for test data: snapshots and events with only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from deployment.workflow import WorkflowResources
from domain.compliance_event import RemediationRequest, read_compliance_event
from domain.credentials import (
    AccessKeySnapshot,
    KeyStatus,
    LoginProfileSnapshot,
    SnapshotResult,
    UserSnapshot,
)
from domain.evaluation import WorkflowState
from domain.exemptions import ExemptionCheck
from domain.preparation import Preparation, UserLookup, prepare
from domain.runbook import AutomationProgress
from lambdas.conclusion import ConcludeRequest, Conclusion
from lambdas.settings import ConcludeSettings, PrepareSettings

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def days_ago(days: float, now: datetime = NOW) -> datetime:
    return now - timedelta(days=days)


def key(
    key_id: str = "AKIAAAAAAAAAAAAAAAA1",
    *,
    created_days_ago: float = 120,
    last_used_days_ago: float | None = None,
    status: KeyStatus = KeyStatus.ACTIVE,
    now: datetime = NOW,
) -> AccessKeySnapshot:
    return AccessKeySnapshot(
        access_key_id=key_id,
        status=status,
        created_at=days_ago(created_days_ago, now),
        last_used_at=days_ago(last_used_days_ago, now) if last_used_days_ago is not None else None,
        last_used_service="s3" if last_used_days_ago is not None else None,
        last_used_region="eu-west-1" if last_used_days_ago is not None else None,
    )


def login_profile(created_days_ago: float, last_used_days_ago: float | None = None) -> LoginProfileSnapshot:
    return LoginProfileSnapshot(
        created_at=days_ago(created_days_ago),
        password_last_used_at=days_ago(last_used_days_ago) if last_used_days_ago is not None else None,
    )


def compliance_event(
    *,
    user_id: str = "AIDAEXAMPLEUSERID0001",
    compliance_type: str = "NON_COMPLIANT",
    rule_name: str = "keywarden-access-keys-rotated",
    resource_type: str = "AWS::IAM::User",
) -> dict[str, Any]:
    """An EventBridge "Config Rules Compliance Change" event, shaped like AWS's."""
    qualifier = {"configRuleName": rule_name, "resourceType": resource_type, "resourceId": user_id}
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Config Rules Compliance Change",
        "source": "aws.config",
        "account": "111122223333",
        "time": "2026-11-28T11:58:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "resourceId": user_id,
            "awsRegion": "eu-west-1",
            "awsAccountId": "111122223333",
            "configRuleName": rule_name,
            "recordVersion": "1.0",
            "configRuleARN": "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-abc123",
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": qualifier,
                    "orderingTimestamp": "2026-11-28T11:57:00.000Z",
                },
                "complianceType": compliance_type,
                "resultRecordedTime": "2026-11-28T11:57:30.000Z",
                "configRuleInvokedTime": "2026-11-28T11:57:10.000Z",
            },
            "notificationCreationTime": "2026-11-28T11:58:00.000Z",
            "resourceType": resource_type,
        },
    }


def notification_facts(
    keys: tuple[Any, ...] = (),
    *,
    user_name: str = "bob",
    tags: dict[str, str] | None = None,
    password: Any = None,
    now: datetime = NOW,
) -> Any:
    """NotificationFacts for `keys` (KeyOutcome), the owner resolved from `tags` as Evaluate does."""
    from datetime import date

    from domain.notification_facts import NotificationFacts
    from domain.owners import resolve_owner
    from domain.results import PasswordResult, RemediationOutcome

    return NotificationFacts(
        user_name=user_name,
        user_id="AIDAEXAMPLEUSERID0001",
        account_id="111122223333",
        region="eu-west-1",
        rule_name="keywarden-access-keys-rotated",
        outcome=RemediationOutcome.KEYS_LEFT_ACTIVE,
        keys=keys,
        password=password or PasswordResult.NO_PASSWORD,
        owner=resolve_owner(
            tags if tags is not None else {"owner-email": "bob@example.com", "slack-channel": "#payments"},
            ("owner-email", "owner"),
            "security@example.com",
            ("slack-channel",),
        ),
        security_contact_email="security@example.com",
        max_access_key_age_days=90,
        max_credential_usage_age_days=90,
        deadline=date(2026, 12, 12),
        notified_at=now,
    )


# --- the workflow's state, as Prepare and the poll loop leave it --------------------------

USER_ID = "AIDAEXAMPLEUSERID0001"
ACCOUNT_ID = "111122223333"
RULE_NAME = "keywarden-access-keys-rotated"
EXECUTION_NAME = "run-1"
EXECUTION_ARN = f"arn:aws:states:eu-west-1:{ACCOUNT_ID}:execution:keywarden-remediation:{EXECUTION_NAME}"
AUTOMATION_ID = "auto-1"


def iam_user(
    keys: tuple[AccessKeySnapshot, ...] | list[AccessKeySnapshot] = (),
    *,
    tags: dict[str, str] | None = None,
    profile: LoginProfileSnapshot | None = None,
    user_name: str = "bob",
    user_id: str = USER_ID,
) -> UserSnapshot:
    """An IAM user as a snapshot reads it."""
    return UserSnapshot(
        user_id=user_id,
        user_name=user_name,
        arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{user_name}",
        tags=tags or {},
        access_keys=tuple(keys),
        login_profile=profile,
    )


def snapshot(user: UserSnapshot | None, taken_at: datetime = NOW) -> SnapshotResult:
    """The snapshot of `user`; None: IAM has no such user."""
    return SnapshotResult(found=user is not None, taken_at=taken_at, user=user)


def deactivated(user: UserSnapshot, *key_ids: str) -> UserSnapshot:
    """`user` with the given keys made inactive (what the runbook does to a key)."""
    keys = tuple(
        k.model_copy(update={"status": KeyStatus.INACTIVE}) if k.access_key_id in key_ids else k
        for k in user.access_keys
    )
    return user.model_copy(update={"access_keys": keys})


def without_password(user: UserSnapshot) -> UserSnapshot:
    """`user` with its console password deleted."""
    return user.model_copy(update={"login_profile": None})


def accepted_request(user_id: str = USER_ID) -> RemediationRequest:
    """The reading of a NON_COMPLIANT event for `user_id` (what Prepare starts from)."""
    return read_compliance_event(compliance_event(user_id=user_id), RULE_NAME)


def prepared(
    user: UserSnapshot | None,
    *,
    exemptions: ExemptionCheck | None = None,
    dry_run: bool = False,
    request: RemediationRequest | None = None,
    lookup: UserLookup | None = None,
) -> Preparation:
    """What Prepare returns for `user` (None: the lookup said why there is no user)."""
    found = lookup or UserLookup(
        user_name=user.user_name if user else None, reason="found in AWS Config's inventory"
    )
    return prepare(
        request or accepted_request(),
        found,
        snapshot(user) if user is not None or found.found else None,
        exemptions or ExemptionCheck(),
        dry_run,
        90,
    )


def automation(
    status: str, *, polls: int = 2, failure: str | None = None, started_at: datetime | None = None
) -> AutomationProgress:
    """The automation after `polls` polls, the last of which answered `status`."""
    execution: dict[str, Any] = {
        "AutomationExecutionId": AUTOMATION_ID,
        "AutomationExecutionStatus": status,
        "ExecutionStartTime": (started_at or NOW - timedelta(seconds=40)).isoformat(),
    }
    if failure:
        execution["FailureMessage"] = failure
    return AutomationProgress.model_validate(
        {
            "execution_id": AUTOMATION_ID,
            "poll": {"number": polls, "max": 40, "interval_seconds": 15},
            "last_poll": {"status": status, "execution": execution},
        }
    )


def started_automation() -> AutomationProgress:
    """The automation as StartAutomation leaves it, before any poll answered."""
    return AutomationProgress.model_validate(
        {"execution_id": AUTOMATION_ID, "poll": {"number": 1, "max": 40, "interval_seconds": 15}}
    )


def conclude_settings(**changes: Any) -> ConcludeSettings:
    """Conclude's settings as deployed by default (90-day ages, 168-hour window), with `changes`."""
    values: dict[str, Any] = {
        "config_rule_name": RULE_NAME,
        "max_access_key_age_days": 90,
        "max_credential_usage_age_days": 90,
        "security_contact_email": "security@example.com",
        "grace_period_days": 14,
        "retention_days": 0,
        "audit_table_name": "keywarden-audit",
        "notification_state_table_name": "keywarden-notification-state",
        "owners_topic_arn": f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:keywarden-owners",
        "coordination_table_name": "keywarden-coordination",
    }
    return ConcludeSettings(**(values | changes))


def prepare_settings(**changes: Any) -> PrepareSettings:
    """Prepare's settings (enforcing, 90-day exemption limit), with `changes`."""
    values: dict[str, Any] = {
        "config_rule_name": RULE_NAME,
        "dry_run": False,
        "exemption_table_name": "keywarden-exemptions",
        "coordination_table_name": "keywarden-coordination",
        "max_exemption_days": 90,
    }
    return PrepareSettings(**(values | changes))


def conclude_request(
    state: WorkflowState,
    *,
    execution_input: Any = None,
    execution_name: str = EXECUTION_NAME,
    at: datetime = NOW,
) -> ConcludeRequest:
    """What the workflow passes to Conclude: its state, the execution and its raw input (the event)."""
    return ConcludeRequest(
        state=state,
        execution_arn=EXECUTION_ARN.replace(EXECUTION_NAME, execution_name),
        execution_name=execution_name,
        execution_input=compliance_event() if execution_input is None else execution_input,
        concluded_at=at,
    )


def audit_items(conclusion: Conclusion) -> list[dict[str, Any]]:
    """The audit items Conclude asks the workflow to write, as plain values (summary first)."""
    deserializer = TypeDeserializer()
    return [
        {name: deserializer.deserialize(value) for name, value in put["Put"]["Item"].items()}
        for put in conclusion.transact_items
    ]


WORKFLOW_RESOURCES = WorkflowResources(
    audit_table="keywarden-audit",
    notification_state_table="keywarden-notification-state",
    exemption_table="keywarden-exemptions",
    owners_topic_arn=f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:keywarden-owners",
    operators_topic_arn=f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:keywarden-operators",
    automation_role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/keywarden-automation",
    coordination_table="keywarden-coordination",
)
"""What a deployment created for the workflow, by name or ARN."""
