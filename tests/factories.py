"""Builders for test data: snapshots and events with only the fields a test cares about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.credentials import AccessKeySnapshot, KeyStatus, LoginProfileSnapshot

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
