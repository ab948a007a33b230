"""The audit items one remediation writes: a summary item, plus one item per access key.

Attribute names come from `AuditTable`. Only the summary item carries the user, account and
outcome index attributes, and only key items carry `access_key_id`, so each index holds one
kind of item (sparse indexes, no filtering at read time). Every summary item has an account
and an outcome, so by_account and by_outcome each list every remediation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.action_decision import ActionDecision
from domain.compliance_event import RemediationRequest
from domain.credentials import KeyOutcome
from domain.owners import OwnerContact
from domain.results import PasswordResult, RemediationOutcome
from domain.runbook import AutomationProgress
from domain.tables import AuditTable, audit_timestamp


@dataclass(frozen=True)
class RemediationFacts:
    execution_arn: str
    execution_name: str
    recorded_at: datetime
    request: RemediationRequest
    user_id: str | None
    user_name: str | None
    outcome: RemediationOutcome
    reason: str
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    automation: AutomationProgress | None
    owner: OwnerContact | None
    notification_subject: str | None
    max_access_key_age_days: int
    max_credential_usage_age_days: int
    retention_days: int
    """0 keeps items for ever; otherwise DynamoDB's TTL removes them after this many days."""
    results_predicted: bool = False
    """Dry run or exempt: the key results are what the runbook would do; nothing was changed."""
    decision: ActionDecision | None = None
    notification_message_id: str | None = None
    notification_suppressed: str | None = None
    """Why the owner was not told again (already told within the notification window)."""
    notification_error: str | None = None
    """Why the owner could not be told."""
    unknown: tuple[str, ...] = ()
    """What a FAILED record could not state (the failing step came before it was known)."""


def _without_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def _key_map(key: KeyOutcome) -> dict[str, Any]:
    return _without_empty(key.model_dump(mode="json"))


def _automation_map(automation: AutomationProgress | None) -> dict[str, Any] | None:
    if automation is None:
        return None
    last = automation.last_poll
    return _without_empty(
        {
            "execution_id": automation.execution_id,
            "status": last.status if last else None,
            "failure_message": last.execution.failure_message if last else None,
            "polls": automation.poll.number if last else 0,
        }
    )


def _account_of(execution_arn: str) -> str:
    """The workflow's own account (arn:aws:states:region:ACCOUNT:execution:...)."""
    return execution_arn.split(":")[4]


def _exemption_map(decision: ActionDecision | None) -> dict[str, Any] | None:
    """The exemption that applied, or the one that did not (expired, or granted too long), and why."""
    if decision is None:
        return None
    for exemption, status in (
        (decision.exemption, "applied"),
        (decision.expired_exemption, "expired"),
        (decision.refused_exemption, "ignored: granted for longer than allowed"),
    ):
        if exemption is not None:
            return {**exemption.model_dump(mode="json"), "status": status}
    return None


def _notification(facts: RemediationFacts) -> dict[str, Any]:
    """What became of the owner's notice, on the summary and on every key item (a key's history says
    whether its owner was told)."""
    return {
        "notification_message_id": facts.notification_message_id,
        "notification_suppressed": facts.notification_suppressed,
        "notification_error": facts.notification_error,
    }


def _expires_at(facts: RemediationFacts) -> int | None:
    """The TTL of every item of the remediation (epoch seconds); None keeps them for ever."""
    if facts.retention_days <= 0:
        return None
    return int((facts.recorded_at + timedelta(days=facts.retention_days)).timestamp())


def _account_id(facts: RemediationFacts) -> str:
    # An input too broken to name its account is still filed under the workflow's account.
    return facts.request.account_id or _account_of(facts.execution_arn)


def _owner_map(facts: RemediationFacts) -> dict[str, Any] | None:
    return facts.owner.model_dump(exclude_none=True) if facts.owner else None


def _summary_item(facts: RemediationFacts) -> dict[str, Any]:
    """The remediation's item (sk REMEDIATION): the only one in the user, account and outcome indexes."""
    account_id = _account_id(facts)
    shard = AuditTable.shard_of(facts.execution_name)
    return _without_empty(
        {
            AuditTable.PARTITION_KEY: AuditTable.remediation_pk(facts.execution_name),
            AuditTable.SORT_KEY: AuditTable.REMEDIATION_SK,
            AuditTable.RECORDED_AT: audit_timestamp(facts.recorded_at),
            AuditTable.OUTCOME: facts.outcome.value,
            AuditTable.USER_NAME: facts.user_name,
            AuditTable.USER_ID: facts.user_id,
            AuditTable.ACCOUNT_ID: account_id,
            AuditTable.ACCOUNT_SHARD: AuditTable.sharded(account_id, shard),
            AuditTable.OUTCOME_SHARD: AuditTable.sharded(facts.outcome.value, shard),
            "region": facts.request.region,
            "reason": facts.reason,
            "execution_arn": facts.execution_arn,
            "event": _without_empty(
                {
                    "rule_name": facts.request.rule_name,
                    "event_id": facts.request.event_id,
                    "event_time": (
                        facts.request.event_time.isoformat() if facts.request.event_time else None
                    ),
                }
            ),
            "keys": [_key_map(k) for k in facts.keys],
            "password_result": facts.password.value,
            "automation": _automation_map(facts.automation),
            "owner": _owner_map(facts),
            "notification_subject": facts.notification_subject,
            "max_access_key_age_days": facts.max_access_key_age_days,
            "max_credential_usage_age_days": facts.max_credential_usage_age_days,
            "results_predicted": facts.results_predicted,
            "exemption": _exemption_map(facts.decision),
            **_notification(facts),
            "unknown": list(facts.unknown),
            AuditTable.EXPIRES_AT: _expires_at(facts),
        }
    )


def _key_item(facts: RemediationFacts, key: KeyOutcome) -> dict[str, Any]:
    """One access key's item (sk KEY#<id>): the only kind in the access key index."""
    return _without_empty(
        {
            AuditTable.PARTITION_KEY: AuditTable.remediation_pk(facts.execution_name),
            AuditTable.SORT_KEY: f"{AuditTable.KEY_SK_PREFIX}{key.access_key_id}",
            AuditTable.ACCESS_KEY_ID: key.access_key_id,
            AuditTable.RECORDED_AT: audit_timestamp(facts.recorded_at),
            "result": key.result.value,
            "key": _key_map(key),
            "user": _without_empty({"user_name": facts.user_name, "user_id": facts.user_id}),
            "account": _account_id(facts),
            "region": facts.request.region,
            "remediation_outcome": facts.outcome.value,
            "owner": _owner_map(facts),
            "execution_arn": facts.execution_arn,
            "result_predicted": facts.results_predicted,
            **_notification(facts),
            AuditTable.EXPIRES_AT: _expires_at(facts),
        }
    )


def build_record_items(facts: RemediationFacts) -> list[dict[str, Any]]:
    """The summary item and the per-key items, as plain Python values."""
    return [_summary_item(facts), *(_key_item(facts, key) for key in facts.keys)]
