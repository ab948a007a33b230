"""Judging a remediation (workflow step Conclude): from what the workflow saw to an outcome.

Pure: the workflow's state, the after-snapshot, the policy and the clock reading go in;
nothing is called. The after-snapshot is the truth: the runbook's own status is kept beside
it, and overrides it only where IAM agrees (a runbook that reports failure although every
credential it should revoke is revoked is not a failure: its last step reads IAM too soon).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.action_decision import ActionDecision
from domain.classification import (
    CredentialPolicy,
    classify_key,
    classify_password,
    predict_key,
    predict_password,
)
from domain.coordination import (
    SLOT_RESERVATION_STEP,
    SLOT_TAKEN_ERROR,
    deferred_reason,
    queued_reason,
)
from domain.credentials import KeyOutcome, SnapshotResult, UserSnapshot
from domain.frozen import FrozenModel
from domain.preparation import Preparation, PreparedAction
from domain.results import KeyResult, PasswordResult, RemediationAction, RemediationOutcome
from domain.runbook import AUTOMATION_FAILED, AUTOMATION_SUCCEEDED, AutomationProgress


class CaughtError(FrozenModel):
    """What a Catch puts in the state: Error always, Cause when the failing step gave one."""

    Error: str
    Cause: str | None = None


class SlotReservation(FrozenModel):
    """ReserveAutomationSlot's result: this execution holds one of the account's automation slots."""

    reserved: bool


class WorkflowState(FrozenModel):
    """Everything the workflow has gathered when it reaches Conclude (later parts may be absent)."""

    prepared: Preparation | None = None
    slot: SlotReservation | None = None
    automation: AutomationProgress | None = None
    failure: CaughtError | None = None
    """A step above failed (its Catch led here): the remediation is FAILED, whatever else is known."""

    @property
    def user(self) -> UserSnapshot | None:
        """The user as Prepare saw it, if it got that far."""
        before = self.prepared.before if self.prepared else None
        return before.user if before else None

    def failed_step(self) -> str:
        """Which step failed, from what the state holds (each step adds its part when it succeeds)."""
        if self.prepared is None:
            return "Prepare"
        if self.automation is not None:
            return "GetAutomationStatus"
        if self.slot is None:
            return SLOT_RESERVATION_STEP
        return "StartAutomation"


@dataclass(frozen=True)
class Judgement:
    outcome: RemediationOutcome
    reason: str
    keys: tuple[KeyOutcome, ...] = ()
    password: PasswordResult = PasswordResult.NO_PASSWORD
    predicted: bool = False
    """The per-key results are what the runbook would do (dry run, exempt): nothing was changed."""
    unknown: tuple[str, ...] = field(default=())
    """Facts a FAILED record could not state, because the failing step came before them."""


def runbook_started_at(automation: AutomationProgress | None, fallback: datetime) -> datetime:
    if automation and automation.last_poll and automation.last_poll.execution.execution_start_time:
        return automation.last_poll.execution.execution_start_time
    return fallback


def _contradictions(keys: tuple[KeyOutcome, ...], password: PasswordResult) -> list[str]:
    """Credentials IAM still shows active although the runbook's rule revokes them."""
    remaining = [f"key {k.access_key_id}" for k in keys if k.result is KeyResult.NOT_REVOKED]
    if password is PasswordResult.NOT_REVOKED:
        remaining.append("the console password")
    return remaining


def _by_iam(keys: tuple[KeyOutcome, ...], password: PasswordResult) -> tuple[RemediationOutcome, str]:
    """The outcome IAM shows, for a runbook whose rule IAM does not contradict."""
    skipped = [k.access_key_id for k in keys if k.result is KeyResult.SKIPPED_RECENTLY_USED]
    if skipped:
        return RemediationOutcome.KEYS_LEFT_ACTIVE, f"left active because recently used: {', '.join(skipped)}"
    revoked = [k.access_key_id for k in keys if k.result is KeyResult.DEACTIVATED]
    if password is PasswordResult.DELETED:
        revoked.append("console password")
    if revoked:
        return RemediationOutcome.REMEDIATED, f"revoked: {', '.join(revoked)}"
    return RemediationOutcome.NO_CHANGE, "no stale active credential was found"


def decide_outcome(
    automation: AutomationProgress | None, keys: tuple[KeyOutcome, ...], password: PasswordResult
) -> tuple[RemediationOutcome, str]:
    """The outcome for a user who existed before and after the runbook, IAM first."""
    if automation is None:
        return RemediationOutcome.FAILED, "no automation was started"
    last = automation.last_poll
    status = last.status if last else "unknown"
    contradicted = _contradictions(keys, password)
    what = " and ".join(contradicted)
    if status in AUTOMATION_SUCCEEDED:
        if contradicted:
            return (
                RemediationOutcome.FAILED,
                f"the runbook reported success, but {what} is still active although unused "
                "for the usage age: the after-snapshot contradicts it",
            )
        return _by_iam(keys, password)
    message = last.execution.failure_message if last else None
    ended = f"automation {automation.execution_id} ended {status}" + (f": {message}" if message else "")
    if status in AUTOMATION_FAILED:
        if contradicted:
            return RemediationOutcome.FAILED, f"{ended}; IAM still shows {what} active"
        outcome, reason = _by_iam(keys, password)
        return outcome, f"{reason} (IAM shows the runbook's rule applied, although {ended})"
    if automation.queue_patience_exhausted and automation.queued is not None:
        return RemediationOutcome.DEFERRED, queued_reason(automation.execution_id, automation.queued.number)
    waited = automation.poll.number * automation.poll.interval_seconds
    return (
        RemediationOutcome.TIMED_OUT,
        f"automation {automation.execution_id} still {status} after "
        f"{automation.poll.number} polls (about {waited} s); keywarden stopped waiting",
    )


def _predicted(
    decision: ActionDecision, user: UserSnapshot, policy: CredentialPolicy, now: datetime
) -> Judgement:
    keys = tuple(predict_key(k, policy, now) for k in user.access_keys)
    password = predict_password(user.login_profile, policy, now)
    if decision.action is RemediationAction.EXEMPT:
        return Judgement(RemediationOutcome.EXEMPT, decision.reason, keys, password, predicted=True)
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
    return Judgement(RemediationOutcome.DRY_RUN, "; ".join(parts), keys, password, predicted=True)


def _classified(
    user: UserSnapshot,
    after: UserSnapshot,
    automation: AutomationProgress | None,
    policy: CredentialPolicy,
    now: datetime,
) -> tuple[tuple[KeyOutcome, ...], PasswordResult]:
    started = runbook_started_at(automation, now)
    keys = tuple(classify_key(k, after.key(k.access_key_id), policy, started, now) for k in user.access_keys)
    return keys, classify_password(user.login_profile, after.login_profile, policy, started)


def _failed(
    state: WorkflowState, after: SnapshotResult | None, policy: CredentialPolicy, now: datetime
) -> Judgement:
    """A step failed: FAILED, with what the workflow knew by then, and what it did not."""
    assert state.failure is not None
    error = state.failure
    step = state.failed_step()
    outcome = RemediationOutcome.FAILED
    reason = f"{step} failed: {error.Error}" + (f": {error.Cause}" if error.Cause else "")
    if step == SLOT_RESERVATION_STEP and error.Error == SLOT_TAKEN_ERROR:
        outcome, reason = RemediationOutcome.DEFERRED, deferred_reason(step, error.Error)
    user, after_user = state.user, (after.user if after else None)
    keys: tuple[KeyOutcome, ...] = ()
    password = PasswordResult.NO_PASSWORD
    if user and after_user:
        keys, password = _classified(user, after_user, state.automation, policy, now)
    unknown = []
    if user is None:
        unknown.append("user_name")
    if not keys and (user is None or user.access_keys):
        unknown.append("keys")  # never read, or the user was gone when Conclude looked
    if state.automation is not None and state.automation.last_poll is None:
        unknown.append("automation_status")
    if (
        state.prepared is not None
        and state.prepared.action is PreparedAction.REMEDIATE
        and state.automation is None
        and outcome is RemediationOutcome.FAILED
    ):
        unknown.append("automation")  # deferred: none was started, on purpose
    return Judgement(outcome, reason, keys, password, unknown=tuple(unknown))


def judge(
    state: WorkflowState, after: SnapshotResult | None, policy: CredentialPolicy, now: datetime
) -> Judgement:
    """Outcome, reason and per-key results from everything the workflow saw."""
    if state.failure is not None:
        return _failed(state, after, policy, now)
    prepared = state.prepared
    if prepared is None:
        raise ValueError("a state without Prepare's result must carry the failure that stopped it")
    if prepared.admission is not None and prepared.admission.outcome is not None:
        return Judgement(prepared.admission.outcome, prepared.admission.reason)
    if not prepared.request.accepted:
        return Judgement(RemediationOutcome.REJECTED, prepared.request.reason)
    user = state.user
    if user is None:
        lookup = prepared.lookup
        if lookup is not None and lookup.outcome is not None:
            return Judgement(lookup.outcome, lookup.reason)
        return Judgement(
            RemediationOutcome.USER_NOT_FOUND,
            f"no IAM user has the unique id {prepared.request.user_id}; it was probably deleted",
        )
    decision = prepared.decision
    if decision is not None and decision.action is not RemediationAction.REMEDIATE:
        return _predicted(decision, user, policy, now)
    after_user = after.user if after else None
    if after_user is None:
        return Judgement(
            RemediationOutcome.USER_NOT_FOUND,
            f"IAM user {user.user_name} was deleted while the remediation ran",
        )
    keys, password = _classified(user, after_user, state.automation, policy, now)
    outcome, reason = decide_outcome(state.automation, keys, password)
    if decision is not None and decision.notes:
        reason = "; ".join([reason, *decision.notes])
    return Judgement(outcome, reason, keys, password)
