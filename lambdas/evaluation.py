"""The Evaluate step: from what the workflow saw to an outcome, a notification and audit items.

Pure: the workflow state, the settings and the clock reading go in; nothing is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime

from domain.action_decision import ActionDecision
from domain.audit_record import RemediationFacts, build_record_items
from domain.classification import (
    CredentialPolicy,
    classify_key,
    classify_password,
    predict_key,
    predict_password,
)
from domain.compliance_event import RemediationRequest
from domain.credentials import KeyOutcome, SnapshotResult, UserSnapshot
from domain.frozen import FrozenModel
from domain.messages import OperatorAlert
from domain.notification_facts import NotificationFacts, needs_owner_notification
from domain.owners import resolve_owner
from domain.results import (
    OPERATOR_ALERT_OUTCOMES,
    KeyResult,
    PasswordResult,
    RemediationAction,
    RemediationOutcome,
)
from domain.runbook import AUTOMATION_FAILED, AUTOMATION_SUCCEEDED, AutomationProgress
from lambdas.attribute_values import to_attribute_values
from lambdas.models import Evaluation
from lambdas.notification_state import NotificationClaim, duplicate_notice, notification_claims
from notifications.owner_message import render_owner_notification


class WorkflowState(FrozenModel):
    """Everything the workflow has gathered when it reaches Evaluate (later parts may be absent)."""

    request: RemediationRequest
    before: SnapshotResult | None = None
    decision: ActionDecision | None = None
    automation: AutomationProgress | None = None
    after: SnapshotResult | None = None


class EvaluateInput(FrozenModel):
    state: WorkflowState
    execution_arn: str
    execution_name: str
    evaluated_at: AwareDatetime


@dataclass(frozen=True)
class EvaluationSettings:
    policy: CredentialPolicy
    security_contact_email: str
    owner_tag_keys: tuple[str, ...]
    grace_period_days: int
    retention_days: int
    slack_channel_tag_keys: tuple[str, ...] = ()
    notification_window_hours: int = 0
    """0: every event notifies; otherwise one notification per key and result per window."""


@dataclass(frozen=True)
class _Verdict:
    outcome: RemediationOutcome
    reason: str


def _automation_verdict(automation: AutomationProgress | None) -> _Verdict | None:
    """FAILED or TIMED_OUT when the automation did not succeed; None when it did."""
    if automation is None:
        return _Verdict(RemediationOutcome.FAILED, "no automation was started")
    last = automation.last_poll
    status = last.status if last else "unknown"
    if status in AUTOMATION_SUCCEEDED:
        return None
    if status in AUTOMATION_FAILED:
        message = last.execution.failure_message if last else None
        return _Verdict(
            RemediationOutcome.FAILED,
            f"automation {automation.execution_id} ended {status}" + (f": {message}" if message else ""),
        )
    waited = automation.poll.count * automation.poll.interval_seconds
    return _Verdict(
        RemediationOutcome.TIMED_OUT,
        f"automation {automation.execution_id} still {status} after "
        f"{automation.poll.count} polls (about {waited} s); keywarden stopped waiting",
    )


def decide_outcome(
    automation: AutomationProgress | None, keys: tuple[KeyOutcome, ...], password: PasswordResult
) -> tuple[RemediationOutcome, str]:
    """The remediation's outcome for a user who existed before and after the runbook."""
    failed = _automation_verdict(automation)
    if failed:
        return failed.outcome, failed.reason
    not_revoked = [k.access_key_id for k in keys if k.result is KeyResult.NOT_REVOKED]
    if not_revoked or password is PasswordResult.NOT_REVOKED:
        remaining = [f"key {k}" for k in not_revoked]
        if password is PasswordResult.NOT_REVOKED:
            remaining.append("the console password")
        what = " and ".join(remaining)
        return (
            RemediationOutcome.FAILED,
            f"the runbook reported success, but {what} is still active although unused "
            "for the usage age: the after-snapshot contradicts it",
        )
    skipped = [k.access_key_id for k in keys if k.result is KeyResult.SKIPPED_RECENTLY_USED]
    if skipped:
        return (
            RemediationOutcome.KEYS_LEFT_ACTIVE,
            f"left active because recently used: {', '.join(skipped)}",
        )
    revoked = [k.access_key_id for k in keys if k.result is KeyResult.DEACTIVATED]
    if password is PasswordResult.DELETED:
        revoked.append("console password")
    if revoked:
        return RemediationOutcome.REMEDIATED, f"revoked: {', '.join(revoked)}"
    return RemediationOutcome.NO_CHANGE, "no stale active credential was found"


def _runbook_started_at(automation: AutomationProgress | None, fallback: datetime) -> datetime:
    if automation and automation.last_poll and automation.last_poll.execution.execution_start_time:
        return automation.last_poll.execution.execution_start_time
    return fallback


@dataclass(frozen=True)
class _Judgement:
    outcome: RemediationOutcome
    reason: str
    keys: tuple[KeyOutcome, ...] = ()
    password: PasswordResult = PasswordResult.NO_PASSWORD
    predicted: bool = False
    """The per-key results are what the runbook would do (dry run, exempt): nothing was changed."""


def _predicted(
    decision: ActionDecision, user: UserSnapshot, settings: EvaluationSettings, now: datetime
) -> _Judgement:
    keys = tuple(predict_key(k, settings.policy, now) for k in user.access_keys)
    password = predict_password(user.login_profile, settings.policy, now)
    if decision.action is RemediationAction.EXEMPT:
        return _Judgement(RemediationOutcome.EXEMPT, decision.reason, keys, password, predicted=True)
    would_revoke = [k.access_key_id for k in keys if k.result is KeyResult.DEACTIVATED]
    if password is PasswordResult.DELETED:
        would_revoke.append("console password")
    would_skip = [k.access_key_id for k in keys if k.result is KeyResult.SKIPPED_RECENTLY_USED]
    parts = [decision.reason]
    if would_revoke:
        parts.append(f"would revoke: {', '.join(would_revoke)}")
    if would_skip:
        parts.append(f"would leave active because recently used: {', '.join(would_skip)}")
    if not (would_revoke or would_skip):
        parts.append("no stale active credential was found")
    return _Judgement(RemediationOutcome.DRY_RUN, "; ".join(parts), keys, password, predicted=True)


def _judge(state: WorkflowState, settings: EvaluationSettings, now: datetime) -> _Judgement:
    """Outcome, reason and per-key results from everything the workflow saw."""
    before_user = state.before.user if state.before else None
    after_user = state.after.user if state.after else None
    decision = state.decision
    if not state.request.accepted:
        return _Judgement(RemediationOutcome.REJECTED, state.request.reason)
    if before_user is None:
        return _Judgement(
            RemediationOutcome.USER_NOT_FOUND,
            f"no IAM user has the unique id {state.request.user_id}; it was probably deleted",
        )
    if decision is not None and decision.action is not RemediationAction.REMEDIATE:
        return _predicted(decision, before_user, settings, now)
    if after_user is None:
        return _Judgement(
            RemediationOutcome.USER_NOT_FOUND,
            f"IAM user {before_user.user_name} was deleted while the remediation ran",
        )
    started = _runbook_started_at(state.automation, now)
    keys = tuple(
        classify_key(k, after_user.key(k.access_key_id), settings.policy, started, now)
        for k in before_user.access_keys
    )
    password = classify_password(
        before_user.login_profile, after_user.login_profile, settings.policy, started
    )
    outcome, reason = decide_outcome(state.automation, keys, password)
    if decision is not None and decision.notes:
        reason = "; ".join([reason, *decision.notes])
    return _Judgement(outcome, reason, keys, password)


def evaluate(request: EvaluateInput, settings: EvaluationSettings) -> Evaluation:
    """Classify every key, decide the outcome, render the owner's message and the audit items."""
    state, now = request.state, request.evaluated_at
    before_user = state.before.user if state.before else None
    judgement = _judge(state, settings, now)
    outcome, reason, keys, password = judgement.outcome, judgement.reason, judgement.keys, judgement.password

    owner = notification = None
    claims: list[NotificationClaim] = []
    account_id = state.request.account_id or "unknown"
    tell_owner = outcome is not RemediationOutcome.EXEMPT and needs_owner_notification(keys, password)
    if before_user is not None and tell_owner:
        owner = resolve_owner(
            before_user.tags,
            settings.owner_tag_keys,
            settings.security_contact_email,
            settings.slack_channel_tag_keys,
        )
        facts = NotificationFacts(
            user_name=before_user.user_name,
            user_id=before_user.user_id,
            account_id=account_id,
            region=state.request.region or "unknown",
            rule_name=state.request.rule_name or "unknown",
            outcome=outcome,
            keys=keys,
            password=password,
            owner=owner,
            security_contact_email=settings.security_contact_email,
            max_access_key_age_days=settings.policy.max_access_key_age_days,
            max_credential_usage_age_days=settings.policy.max_credential_usage_age_days,
            deadline=(now + timedelta(days=settings.grace_period_days)).date(),
            notified_at=now,
            dry_run=outcome is RemediationOutcome.DRY_RUN,
        )
        notification = render_owner_notification(facts)
        claims = notification_claims(facts, request.execution_name, settings.notification_window_hours)

    user_name = before_user.user_name if before_user else None
    alert = None
    if outcome in OPERATOR_ALERT_OUTCOMES:
        alert = OperatorAlert(
            subject=f"[keywarden] Remediation {outcome.value}"
            + (f" for IAM user {user_name}" if user_name else ""),
            message=(
                f"Outcome: {outcome.value}\nReason: {reason}\n"
                f"Account: {account_id}\nUser: {user_name or state.request.user_id or 'unknown'}\n"
                f"Execution: {request.execution_arn}\n"
            ),
        )

    items = build_record_items(
        RemediationFacts(
            execution_arn=request.execution_arn,
            execution_name=request.execution_name,
            recorded_at=now,
            request=state.request,
            user_id=before_user.user_id if before_user else state.request.user_id,
            user_name=user_name,
            outcome=outcome,
            reason=reason,
            keys=keys,
            password=password,
            automation=state.automation,
            owner=owner,
            notification_subject=notification.subject if notification else None,
            max_access_key_age_days=settings.policy.max_access_key_age_days,
            max_credential_usage_age_days=settings.policy.max_credential_usage_age_days,
            retention_days=settings.retention_days,
            results_predicted=judgement.predicted,
            decision=state.decision,
        )
    )
    return Evaluation(
        outcome=outcome,
        reason=reason,
        user_name=user_name,
        keys=keys,
        password=password,
        password_deleted=password is PasswordResult.DELETED,
        notify_owner=notification is not None,
        notification=notification,
        notification_claims=claims,
        duplicate_notice=duplicate_notice(settings.notification_window_hours) if claims else None,
        operator_alert=alert,
        record_items=[to_attribute_values(item) for item in items],
    )
