"""The Conclude step: after-snapshot, judgement, the owner's notice, the audit items, the alert.

Every path of the workflow ends here, the failures included, so this is where "every outcome
is recorded and every failure alerted" is kept. The decisions are domain/'s; this module reads
IAM, tells the owner (lambdas/owner_notice.py) and shapes the answer the workflow writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field

from domain.audit_record import RemediationFacts, build_record_items
from domain.compliance_event import RemediationRequest, read_compliance_event
from domain.coordination import deferral_alert_message
from domain.credentials import KeyOutcome, SnapshotResult
from domain.evaluation import Judgement, WorkflowState, judge
from domain.frozen import FrozenModel
from domain.messages import OperatorAlert
from domain.notification_claims import notification_claims
from domain.notification_facts import NotificationFacts, needs_owner_notification
from domain.owners import OwnerContact, resolve_owner
from domain.preparation import PreparedAction
from domain.results import OPERATOR_ALERT_OUTCOMES, PasswordResult, RemediationOutcome
from domain.tables import AuditTable
from domain.tables import CoordinationTable as Coordination
from lambdas.attribute_values import to_attribute_values
from lambdas.coordination import CoordinationStore, GivenBack, give_back
from lambdas.iam_snapshot import IAMClient, take_snapshot
from lambdas.owner_notice import NoticeDelivery, NotificationClaims, OwnerTopic, deliver_owner_notice
from lambdas.settings import ConcludeSettings
from notifications.owner_message import render_owner_notification
from notifications.wording import sns_subject

OWNER_NOTIFICATION_FAILED = "keywarden.OwnerNotificationFailed"
DEFERRED_ERROR = "keywarden.DEFERRED"
UNNOTIFIED_OUTCOMES = frozenset({RemediationOutcome.EXEMPT, RemediationOutcome.DEFERRED})
"""Nothing happened to the user's keys, on purpose: its owner is not told (yet)."""


class ConcludeRequest(FrozenModel):
    state: WorkflowState
    execution_arn: str
    execution_name: str
    execution_input: Any = None
    """The execution's input as it arrived: what a FAILED record says when Prepare did not read it."""
    concluded_at: AwareDatetime


class Conclusion(FrozenModel):
    """What Conclude returns to the workflow (its ASL reads operator_alert, reason and the items)."""

    outcome: RemediationOutcome
    reason: str
    user_name: str | None
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    notified: bool
    operator_alert: OperatorAlert | None
    summary_key: dict[str, dict[str, str]]
    """The summary item's key (attribute-value form), for the workflow's ConfirmRecorded."""
    transact_items: list[dict[str, Any]] = Field(min_length=1)
    """The audit items as TransactWriteItems Puts, each only if absent."""


@dataclass(frozen=True)
class Ports:
    """What Conclude talks to: IAM, the notification-state table, the owners' topic, the coordination
    table."""

    iam: IAMClient
    claims: NotificationClaims
    owner_topic: OwnerTopic
    coordination: CoordinationStore


def _request(state: WorkflowState, execution_input: Any, rule_name: str) -> RemediationRequest:
    """What the event said: Prepare's reading, or (Prepare failed) the same reading done again here."""
    if state.prepared is not None:
        return state.prepared.request
    return read_compliance_event(execution_input, rule_name)


def _after_snapshot(state: WorkflowState, iam: IAMClient, request: ConcludeRequest) -> SnapshotResult | None:
    """The truth after the runbook, taken whenever it may have changed anything."""
    user = state.user
    if user is None or state.prepared is None or state.prepared.action is not PreparedAction.REMEDIATE:
        return None
    return take_snapshot(iam, user.user_name, user.user_id, request.concluded_at)


def _notice(
    judgement: Judgement,
    state: WorkflowState,
    request: RemediationRequest,
    settings: ConcludeSettings,
    at: datetime,
) -> tuple[NotificationFacts, OwnerContact] | None:
    user = state.user
    if user is None or judgement.outcome in UNNOTIFIED_OUTCOMES:
        return None
    if not needs_owner_notification(judgement.keys, judgement.password):
        return None
    owner = resolve_owner(
        user.tags, settings.owner_tags, settings.security_contact_email, settings.slack_channel_tags
    )
    facts = NotificationFacts(
        user_name=user.user_name,
        user_id=user.user_id,
        account_id=request.account_id or "unknown",
        region=request.region or "unknown",
        rule_name=request.rule_name or settings.config_rule_name,
        outcome=judgement.outcome,
        keys=judgement.keys,
        password=judgement.password,
        owner=owner,
        security_contact_email=settings.security_contact_email,
        max_access_key_age_days=settings.max_access_key_age_days,
        max_credential_usage_age_days=settings.max_credential_usage_age_days,
        deadline=(at + timedelta(days=settings.grace_period_days)).date(),
        notified_at=at,
        dry_run=judgement.outcome is RemediationOutcome.DRY_RUN,
    )
    return facts, owner


def _operator_alert(
    judgement: Judgement,
    state: WorkflowState,
    request: ConcludeRequest,
    facts: RemediationRequest,
    user_name: str | None,
    delivery: NoticeDelivery | None,
) -> OperatorAlert | None:
    """FAILED, TIMED_OUT and REJECTED page the operators; so does an owner who could not be told."""
    who = f" for IAM user {user_name}" if user_name else ""
    account = facts.account_id or request.execution_arn.split(":")[4]
    details = (
        f"Account: {account}\nUser: {user_name or facts.user_id or 'unknown'}\n"
        f"Execution: {request.execution_arn}\n"
    )
    if judgement.outcome in OPERATOR_ALERT_OUTCOMES:
        error = state.failure.Error if state.failure else f"keywarden.{judgement.outcome.value}"
        unknown = f"Unknown: {', '.join(judgement.unknown)}\n" if judgement.unknown else ""
        untold = (
            f"The owner could not be notified either: {delivery.error}\n"
            if delivery and delivery.error
            else ""
        )
        reason = f"Outcome: {judgement.outcome.value}\nReason: {judgement.reason}\n"
        return OperatorAlert(
            subject=sns_subject(f"[keywarden] Remediation {judgement.outcome.value}{who}"),
            message=f"{reason}{details}{unknown}{untold}",
            error=error,
        )
    if delivery is not None and delivery.error:
        return OperatorAlert(
            subject="[keywarden] Owner notification failed",
            message=(
                f"The outcome {judgement.outcome.value} was recorded, but the owner could not be "
                f"notified: {delivery.error}\n{details}"
            ),
            error=OWNER_NOTIFICATION_FAILED,
        )
    return None


def _workflow_place(request: ConcludeRequest) -> tuple[str, str]:
    """The workflow's account and region (arn:aws:states:REGION:ACCOUNT:execution:...): where its
    automations run, hence whose slots it holds."""
    parts = request.execution_arn.split(":")
    return parts[4], parts[3]


def _deferral_alert(
    request: ConcludeRequest, settings: ConcludeSettings, ports: Ports, slots_held: int
) -> OperatorAlert | None:
    """Count the deferred user; the first deferral of the hour (per account and region) alerts."""
    account, region = _workflow_place(request)
    pk = Coordination.deferred_pk(account, region)
    waiting, total = ports.coordination.count_deferral(pk, request.concluded_at)
    if not ports.coordination.claim_deferral_alert(pk, request.concluded_at):
        return None
    subject, message = deferral_alert_message(
        account, region, waiting, total, slots_held, settings.max_concurrent_automations
    )
    return OperatorAlert(
        subject=sns_subject(subject),
        message=f"{message}\nLatest: {request.execution_arn}\n",
        error=DEFERRED_ERROR,
        fails_execution=False,
    )


@dataclass(frozen=True)
class _Told:
    """The owner's notice, if one was due: how it went, to whom, under which subject."""

    delivery: NoticeDelivery | None = None
    owner: OwnerContact | None = None
    subject: str | None = None


def _tell_owner(
    judgement: Judgement,
    request: ConcludeRequest,
    facts: RemediationRequest,
    settings: ConcludeSettings,
    ports: Ports,
) -> _Told:
    notice = _notice(judgement, request.state, facts, settings, request.concluded_at)
    if notice is None:
        return _Told()
    notice_facts, owner = notice
    notification = render_owner_notification(notice_facts)
    claims = notification_claims(notice_facts, request.execution_name, settings.notification_window_hours)
    delivery = deliver_owner_notice(
        notification,
        claims,
        ports.claims,
        ports.owner_topic,
        request.execution_name,
        settings.notification_window_hours,
    )
    return _Told(delivery=delivery, owner=owner, subject=notification.subject)


def _give_back(
    judgement: Judgement, request: ConcludeRequest, facts: RemediationRequest, ports: Ports
) -> GivenBack:
    """The event's outcome, the user's lock and (if it held one) the automation slot."""
    account, region = _workflow_place(request)
    prepared = request.state.prepared
    return give_back(
        ports.coordination,
        facts.event_id,
        facts.account_id or "unknown",
        region,
        facts.user_id,
        request.execution_name,
        judgement.outcome.value,
        request.concluded_at,
        slot_account=account if prepared and prepared.action is PreparedAction.REMEDIATE else None,
    )


def _record_items(
    judgement: Judgement,
    request: ConcludeRequest,
    facts: RemediationRequest,
    told: _Told,
    settings: ConcludeSettings,
) -> list[dict[str, Any]]:
    """The audit items as TransactWriteItems Puts, each only if absent."""
    state, user, delivery = request.state, request.state.user, told.delivery
    items = build_record_items(
        RemediationFacts(
            execution_arn=request.execution_arn,
            execution_name=request.execution_name,
            recorded_at=request.concluded_at,
            request=facts,
            user_id=user.user_id if user else facts.user_id,
            user_name=user.user_name if user else None,
            outcome=judgement.outcome,
            reason=judgement.reason,
            keys=judgement.keys,
            password=judgement.password,
            automation=state.automation,
            owner=told.owner,
            notification_subject=told.subject,
            max_access_key_age_days=settings.max_access_key_age_days,
            max_credential_usage_age_days=settings.max_credential_usage_age_days,
            retention_days=settings.retention_days,
            results_predicted=judgement.predicted,
            decision=state.prepared.decision if state.prepared else None,
            notification_message_id=delivery.message_id if delivery else None,
            notification_suppressed=delivery.suppressed if delivery else None,
            notification_error=delivery.error if delivery else None,
            unknown=judgement.unknown,
        )
    )
    return [
        {
            "Put": {
                "TableName": settings.audit_table_name,
                "Item": to_attribute_values(item),
                "ConditionExpression": f"attribute_not_exists({AuditTable.PARTITION_KEY})",
            }
        }
        for item in items
    ]


def conclude(request: ConcludeRequest, settings: ConcludeSettings, ports: Ports) -> Conclusion:
    """Judge, tell the owner, give back what the execution held, and shape the audit items and the alert."""
    state = request.state
    facts = _request(state, request.execution_input, settings.config_rule_name)
    after = _after_snapshot(state, ports.iam, request)
    judgement = judge(state, after, settings.policy, request.concluded_at)
    if judgement.unknown and not facts.user_id:
        judgement = replace(judgement, unknown=("user_id", *judgement.unknown))
    user_name = state.user.user_name if state.user else None

    told = _tell_owner(judgement, request, facts, settings, ports)
    given_back = _give_back(judgement, request, facts, ports)
    alert = _operator_alert(judgement, state, request, facts, user_name, told.delivery)
    if judgement.outcome is RemediationOutcome.DEFERRED:
        alert = _deferral_alert(request, settings, ports, given_back.slots_held)
    reason = judgement.reason
    delivery = told.delivery
    if alert is not None and alert.error == OWNER_NOTIFICATION_FAILED and delivery and delivery.error:
        reason = f"{reason}; the owner could not be notified: {delivery.error}"
    pk = AuditTable.remediation_pk(request.execution_name)
    return Conclusion(
        outcome=judgement.outcome,
        reason=reason,
        user_name=user_name,
        keys=judgement.keys,
        password=judgement.password,
        notified=bool(delivery and delivery.message_id),
        operator_alert=alert,
        summary_key={
            AuditTable.PARTITION_KEY: {"S": pk},
            AuditTable.SORT_KEY: {"S": AuditTable.REMEDIATION_SK},
        },
        transact_items=_record_items(judgement, request, facts, told, settings),
    )
