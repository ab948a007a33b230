"""A finding follows one stale access key from the first notice to its end: the lifecycle's decisions.

AWS Config sends "Config Rules Compliance Change" only when a resource's compliance *changes*
(AWS Config developer guide, "Amazon EventBridge events for AWS Config"): a key left active
because it is still in use keeps its user NON_COMPLIANT without another word. The daily sweep
(statemachine/sweep.asl.json) follows each such key through a finding:

    OPEN ── reminders (reminderDaysBeforeDeadline before the deadline) ── escalation (at the
         deadline, once) ── ENFORCED (enforcementDelayDays after it, only when
         enforceAfterDeadline is on)
      └── RESOLVED (rotated, deleted or deactivated) · EXEMPT · USER_DELETED

and re-drives through the remediation workflow every flagged user whose remediation did not
succeed. Everything here is a plain function of dates and outcomes; the sweep's functions
(lambdas/) read IAM, Config and the tables and act on what these functions decide.

A day is a UTC calendar date. Reminders, the escalation and the enforcement fall due on a day,
so "never two of one kind for one key on one day" is a property of the finding's transition
items (domain/tables.py FindingsTable: one item per day and kind, written only if absent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator

from domain.frozen import FrozenModel
from domain.results import RemediationOutcome

DEFAULT_GRACE_PERIOD_DAYS: Final = 14
DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE: Final = (7, 2)
DEFAULT_ENFORCEMENT_DELAY_DAYS: Final = 7
DEFAULT_ESCALATION_TAG_KEYS: Final = ("owner-manager",)
ENFORCEMENT_OPT_OUT_TAG: Final = ("keywarden-enforce", "never")
"""A user tagged keywarden-enforce=never is never enforced (reminded and escalated all the same)."""
DEFAULT_SWEEP_SCHEDULE: Final = "cron(0 6 * * ? *)"
"""Daily at 06:00 UTC (EventBridge Scheduler's cron: minutes hours day-of-month month day-of-week year)."""


class FindingStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    """The owner rotated, deleted or deactivated the key (or the runbook deactivated it)."""
    ENFORCED = "ENFORCED"
    """keywarden deactivated the key enforcementDelayDays after the deadline."""
    EXEMPT = "EXEMPT"
    USER_DELETED = "USER_DELETED"


CLOSED_STATUSES: Final = frozenset(FindingStatus) - {FindingStatus.OPEN}


class MessageKind(StrEnum):
    """What a message to a key's owner is about (the `kind` message attribute)."""

    FIRST_NOTICE = "FIRST_NOTICE"
    REMINDER = "REMINDER"
    ESCALATION = "ESCALATION"
    ENFORCED = "ENFORCED"
    RESOLVED = "RESOLVED"


class TransitionKind(StrEnum):
    """One append-only item in a finding's history (FindingsTable.transition_sk)."""

    OPENED = "OPENED"
    FIRST_NOTICE = "FIRST_NOTICE"
    REMINDER = "REMINDER"
    ESCALATION = "ESCALATION"
    WOULD_ENFORCE = "WOULD_ENFORCE"
    """Dry-run mode: the day keywarden would have deactivated the key; nothing changed."""
    ENFORCED = "ENFORCED"
    RESOLVED = "RESOLVED"
    EXEMPT = "EXEMPT"
    USER_DELETED = "USER_DELETED"


class Resolution(StrEnum):
    """How a RESOLVED finding's key went away."""

    DELETED = "DELETED"
    """The key no longer exists (rotated: a new key created, this one deleted)."""
    DEACTIVATED = "DEACTIVATED"
    """The key is Inactive (by its owner, or by the runbook on a later remediation)."""


class LifecyclePolicy(FrozenModel):
    """The deployment's lifecycle settings (cdk.json: gracePeriodDays, reminderDaysBeforeDeadline,
    enforceAfterDeadline, enforcementDelayDays)."""

    grace_period_days: int = Field(default=DEFAULT_GRACE_PERIOD_DAYS, ge=0, le=365)
    reminder_days_before_deadline: tuple[int, ...] = DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE
    enforce_after_deadline: bool = False
    enforcement_delay_days: int = Field(default=DEFAULT_ENFORCEMENT_DELAY_DAYS, ge=0, le=365)

    @field_validator("reminder_days_before_deadline")
    @classmethod
    def _cadence(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(days < 1 or days > 365 for days in value):
            raise ValueError("each reminder is 1 to 365 days before the deadline")
        if len(set(value)) != len(value):
            raise ValueError("reminder days must be distinct")
        return tuple(sorted(value, reverse=True))


class Finding(FrozenModel):
    """A finding's current state (FindingsTable's CURRENT item)."""

    access_key_id: str
    user_id: str
    user_name: str
    account_id: str
    status: FindingStatus = FindingStatus.OPEN
    owner_email: str | None = None
    opened_on: date
    first_notice_on: date
    deadline: date
    reminder_days_sent: tuple[int, ...] = ()
    """The cadence entries (days before the deadline) already covered by a reminder."""
    reminded_on: tuple[date, ...] = ()
    escalated_on: date | None = None
    enforcement_previewed_on: date | None = None
    """Dry-run mode: the day the sweep showed it would enforce."""
    enforced_on: date | None = None
    closed_on: date | None = None
    resolution: Resolution | None = None

    @property
    def is_open(self) -> bool:
        return self.status is FindingStatus.OPEN

    @property
    def days_to_close(self) -> int | None:
        """Days from the first notice to the close (None while open)."""
        return None if self.closed_on is None else (self.closed_on - self.first_notice_on).days

    @property
    def overdue(self) -> bool:
        """Open after its deadline (known without a clock once escalated)."""
        return self.is_open and self.escalated_on is not None


def deadline_for(first_notice_on: date, policy: LifecyclePolicy) -> date:
    """The owner rotates before this day (first notice + gracePeriodDays)."""
    return first_notice_on + timedelta(days=policy.grace_period_days)


def enforcement_day(deadline: date, policy: LifecyclePolicy) -> date | None:
    """The day keywarden deactivates the key, or None when enforcement is off."""
    if not policy.enforce_after_deadline:
        return None
    return deadline + timedelta(days=policy.enforcement_delay_days)


def is_overdue(finding: Finding, today: date) -> bool:
    return finding.is_open and today >= finding.deadline


class KeyObservation(FrozenModel):
    """What the sweep saw of a finding's key today (IAM and the exemptions)."""

    user_exists: bool
    key_exists: bool = False
    key_active: bool = False
    exempt: bool = False
    enforcement_opted_out: bool = False
    """The user carries ENFORCEMENT_OPT_OUT_TAG."""


class FollowUp(FrozenModel):
    """What the sweep does about one open finding today."""

    transition: TransitionKind
    message: MessageKind | None
    """The message to send (None: record only)."""
    closes_as: FindingStatus | None = None
    resolution: Resolution | None = None
    reminder_days: tuple[int, ...] = ()
    """REMINDER: the cadence entries this reminder covers (the nearest first)."""
    deactivate: bool = False
    """ENFORCED: deactivate the key (never in dry-run mode)."""


def follow_up(
    finding: Finding, seen: KeyObservation, today: date, policy: LifecyclePolicy, *, dry_run: bool
) -> FollowUp | None:
    """The one thing to do about a finding today, or None. Closing comes first; then enforcement,
    escalation and reminders, the most advanced step that is due."""
    if not finding.is_open:
        return None
    if not seen.user_exists:
        return FollowUp(
            transition=TransitionKind.USER_DELETED, message=None, closes_as=FindingStatus.USER_DELETED
        )
    if not seen.key_exists or not seen.key_active:
        resolution = Resolution.DEACTIVATED if seen.key_exists else Resolution.DELETED
        return FollowUp(
            transition=TransitionKind.RESOLVED,
            message=MessageKind.RESOLVED,
            closes_as=FindingStatus.RESOLVED,
            resolution=resolution,
        )
    if seen.exempt:
        return FollowUp(transition=TransitionKind.EXEMPT, message=None, closes_as=FindingStatus.EXEMPT)
    enforce_on = enforcement_day(finding.deadline, policy)
    if enforce_on is not None and today >= enforce_on and not seen.enforcement_opted_out:
        if dry_run:
            if finding.enforcement_previewed_on is None:
                return FollowUp(transition=TransitionKind.WOULD_ENFORCE, message=None)
        else:
            return FollowUp(
                transition=TransitionKind.ENFORCED,
                message=MessageKind.ENFORCED,
                closes_as=FindingStatus.ENFORCED,
                deactivate=True,
            )
    if today >= finding.deadline:
        if finding.escalated_on is None:
            return FollowUp(transition=TransitionKind.ESCALATION, message=MessageKind.ESCALATION)
        return None
    return _reminder(finding, today, policy)


def _reminder(finding: Finding, today: date, policy: LifecyclePolicy) -> FollowUp | None:
    if today in finding.reminded_on:
        return None
    due = [
        days
        for days in policy.reminder_days_before_deadline
        if today >= finding.deadline - timedelta(days=days) and days not in finding.reminder_days_sent
    ]
    if not due:
        return None
    # A sweep that missed a day sends one reminder for everything due since (the nearest first).
    return FollowUp(
        transition=TransitionKind.REMINDER,
        message=MessageKind.REMINDER,
        reminder_days=tuple(sorted(due)),
    )


def apply(finding: Finding, step: FollowUp, today: date) -> Finding:
    """The finding after the sweep did `step` today."""
    changes: dict[str, object] = {}
    match step.transition:
        case TransitionKind.REMINDER:
            changes["reminder_days_sent"] = tuple(sorted({*finding.reminder_days_sent, *step.reminder_days}))
            changes["reminded_on"] = (*finding.reminded_on, today)
        case TransitionKind.ESCALATION:
            changes["escalated_on"] = today
        case TransitionKind.WOULD_ENFORCE:
            changes["enforcement_previewed_on"] = today
        case TransitionKind.ENFORCED:
            changes["enforced_on"] = today
        case _:
            pass
    if step.closes_as is not None:
        changes |= {"status": step.closes_as, "closed_on": today, "resolution": step.resolution}
    return finding.model_copy(update=changes)


def open_finding(
    *,
    access_key_id: str,
    user_id: str,
    user_name: str,
    account_id: str,
    owner_email: str | None,
    first_notice_on: date,
    today: date,
    policy: LifecyclePolicy,
    exempt: bool,
) -> Finding:
    """A new finding for a stale active key; an exempt user's is closed EXEMPT at once."""
    finding = Finding(
        access_key_id=access_key_id,
        user_id=user_id,
        user_name=user_name,
        account_id=account_id,
        owner_email=owner_email,
        opened_on=today,
        first_notice_on=first_notice_on,
        deadline=deadline_for(first_notice_on, policy),
    )
    if exempt:
        return finding.model_copy(update={"status": FindingStatus.EXEMPT, "closed_on": today})
    return finding


class RedriveReason(StrEnum):
    """Why the sweep starts a flagged user's remediation again."""

    NEVER_REMEDIATED = "NEVER_REMEDIATED"
    """No remediation is recorded: Config's event never reached keywarden (or was dead-lettered)."""
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    DEFERRED = "DEFERRED"
    """It waited longer than its patience for an automation slot."""
    DRY_RUN_ONLY = "DRY_RUN_ONLY"
    """Only ever seen in dry-run mode; the deployment now enforces."""
    USER_NOT_FOUND = "USER_NOT_FOUND"
    """The last run could not find the user; Config still flags it."""
    EXEMPTION_ENDED = "EXEMPTION_ENDED"
    """The last run found the user exempt; no exemption applies any more (it expired or was removed)."""


_NOT_AN_ATTEMPT: Final = frozenset({RemediationOutcome.REPLAYED, RemediationOutcome.ALREADY_IN_PROGRESS})
"""Records of a duplicate event or of a concurrent run: they say nothing about the user's remediation."""
_UNSETTLED: Final = {
    RemediationOutcome.FAILED: RedriveReason.FAILED,
    RemediationOutcome.TIMED_OUT: RedriveReason.TIMED_OUT,
    RemediationOutcome.DEFERRED: RedriveReason.DEFERRED,
    RemediationOutcome.USER_NOT_FOUND: RedriveReason.USER_NOT_FOUND,
    RemediationOutcome.REJECTED: RedriveReason.FAILED,
}


def newest_attempt(outcomes_newest_first: Iterable[RemediationOutcome]) -> RemediationOutcome | None:
    """The newest outcome that was a real attempt at the user (not a duplicate event's record)."""
    return next((outcome for outcome in outcomes_newest_first if outcome not in _NOT_AN_ATTEMPT), None)


def redrive_reason(
    outcomes_newest_first: Iterable[RemediationOutcome], *, dry_run: bool, exempt_now: bool = True
) -> RedriveReason | None:
    """Whether a user Config still flags needs its remediation started again, and why.

    The newest real attempt decides: a success (REMEDIATED, KEYS_LEFT_ACTIVE, NO_CHANGE,
    COMPLIANT) settles the user, and the finding follows its keys from there; so does EXEMPT while
    an exemption applies (`exempt_now`): once none does, the user is remediated like any other.
    """
    outcome = newest_attempt(outcomes_newest_first)
    if outcome is None:
        return RedriveReason.NEVER_REMEDIATED
    if outcome is RemediationOutcome.DRY_RUN:
        return None if dry_run else RedriveReason.DRY_RUN_ONLY
    if outcome is RemediationOutcome.EXEMPT:
        return None if exempt_now else RedriveReason.EXEMPTION_ENDED
    return _UNSETTLED.get(outcome)


def reopened(finding: Finding, *, first_notice_on: date, today: date, policy: LifecyclePolicy) -> Finding:
    """A finding closed EXEMPT whose key is still stale and active once no exemption applies: open
    again, with a new first notice and deadline, its earlier reminders and escalation forgotten."""
    return finding.model_copy(
        update={
            "status": FindingStatus.OPEN,
            "opened_on": today,
            "first_notice_on": first_notice_on,
            "deadline": deadline_for(first_notice_on, policy),
            "reminder_days_sent": (),
            "reminded_on": (),
            "escalated_on": None,
            "enforcement_previewed_on": None,
            "closed_on": None,
            "resolution": None,
        }
    )


def stale_active_keys(
    keys: Sequence[tuple[str, bool, datetime]], now: datetime, max_access_key_age_days: int
) -> list[str]:
    """ACCESS_KEYS_ROTATED's judgement of (key id, active, created): the active keys as old as the
    rule's maxAccessKeyAge or older."""
    limit = timedelta(days=max_access_key_age_days)
    return [key_id for key_id, active, created in keys if active and now - created >= limit]
