"""domain/findings.py: what the sweep decides about a finding each day (Given / When / Then).

A finding's first notice is 2026-12-01, its deadline 14 days later (2026-12-15); reminders are due
7 and 2 days before it; enforcement, when on, 7 days after it (2026-12-22).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.findings import (
    Finding,
    FindingStatus,
    KeyObservation,
    LifecyclePolicy,
    MessageKind,
    RedriveReason,
    Resolution,
    TransitionKind,
    apply,
    deadline_for,
    enforcement_day,
    follow_up,
    open_finding,
    redrive_reason,
    stale_active_keys,
)
from domain.results import RemediationOutcome as O

FIRST_NOTICE = date(2026, 12, 1)
DEADLINE = date(2026, 12, 15)
OFF = LifecyclePolicy()
ON = LifecyclePolicy(enforce_after_deadline=True)
ACTIVE = KeyObservation(user_exists=True, key_exists=True, key_active=True)


def finding(**changes: object) -> Finding:
    opened = open_finding(
        access_key_id="AKIAAAAAAAAAAAAAAAA1",
        user_id="AIDAEXAMPLEUSERID0001",
        user_name="bob",
        account_id="111122223333",
        owner_email="bob@example.com",
        first_notice_on=FIRST_NOTICE,
        today=FIRST_NOTICE,
        policy=OFF,
        exempt=False,
    )
    return opened.model_copy(update=changes)


def day(offset_from_deadline: int) -> date:
    return DEADLINE + timedelta(days=offset_from_deadline)


def run_daily(
    start: Finding,
    days: range,
    policy: LifecyclePolicy,
    *,
    seen: KeyObservation = ACTIVE,
    dry_run: bool = False,
    skipped: frozenset[int] = frozenset(),
) -> tuple[Finding, list[tuple[int, TransitionKind]]]:
    """The finding after one sweep a day (offsets from the deadline, none on `skipped` days)."""
    current, history = start, []
    for offset in days:
        if offset in skipped:
            continue
        step = follow_up(current, seen, day(offset), policy, dry_run=dry_run)
        if step is not None:
            history.append((offset, step.transition))
            current = apply(current, step, day(offset))
    return current, history


def test_a_new_finding_has_its_deadline_grace_period_days_after_the_first_notice() -> None:
    """Given a first notice on 12-01 and the default 14 days, When opened, Then the deadline is 12-15."""
    opened = finding()
    assert (opened.status, opened.deadline, opened.opened_on) == (FindingStatus.OPEN, DEADLINE, FIRST_NOTICE)
    assert deadline_for(FIRST_NOTICE, LifecyclePolicy(grace_period_days=3)) == date(2026, 12, 4)


def test_an_exempt_users_finding_is_opened_closed_exempt() -> None:
    """Given an exempt user, When its stale key's finding is opened, Then it is closed EXEMPT that day."""
    opened = open_finding(
        access_key_id="AKIA1",
        user_id="AIDA1",
        user_name="carol",
        account_id="111122223333",
        owner_email=None,
        first_notice_on=FIRST_NOTICE,
        today=date(2026, 12, 3),
        policy=OFF,
        exempt=True,
    )
    assert (opened.status, opened.closed_on, opened.is_open) == (
        FindingStatus.EXEMPT,
        date(2026, 12, 3),
        False,
    )


def test_reminders_follow_the_cadence_then_one_escalation_and_nothing_more_with_enforcement_off() -> None:
    """Given an ignored key and enforcement off,
    When the sweep runs every day from 10 days before the deadline to 40 days after,
    Then reminders come 7 and 2 days before, the escalation on the deadline, and nothing after."""
    after, history = run_daily(finding(), range(-10, 41), OFF)
    assert history == [
        (-7, TransitionKind.REMINDER),
        (-2, TransitionKind.REMINDER),
        (0, TransitionKind.ESCALATION),
    ]
    assert after.reminder_days_sent == (2, 7)
    assert after.reminded_on == (day(-7), day(-2))
    assert (after.escalated_on, after.status, after.overdue) == (DEADLINE, FindingStatus.OPEN, True)


def test_a_reminder_says_which_cadence_entry_it_covers() -> None:
    """Given the day 7 days before the deadline, When followed, Then the reminder covers the 7-day entry."""
    step = follow_up(finding(), ACTIVE, day(-7), OFF, dry_run=False)
    assert step is not None
    assert (step.transition, step.message, step.reminder_days) == (
        TransitionKind.REMINDER,
        MessageKind.REMINDER,
        (7,),
    )


def test_a_second_sweep_on_the_same_day_sends_nothing() -> None:
    """Given a reminder sent today, When the sweep runs again the same day, Then nothing is due."""
    step = follow_up(finding(), ACTIVE, day(-7), OFF, dry_run=False)
    assert step is not None
    reminded = apply(finding(), step, day(-7))
    assert follow_up(reminded, ACTIVE, day(-7), OFF, dry_run=False) is None


def test_a_sweep_that_missed_days_sends_one_reminder_for_everything_due() -> None:
    """Given no sweep ran from 8 days before the deadline until the day before it,
    When the sweep runs the day before, Then one reminder covers both entries, then the escalation."""
    after, history = run_daily(finding(), range(-10, 3), OFF, skipped=frozenset(range(-8, -1)))
    assert history == [(-1, TransitionKind.REMINDER), (0, TransitionKind.ESCALATION)]
    assert after.reminder_days_sent == (2, 7)


def test_a_sweep_that_missed_the_whole_cadence_escalates_without_late_reminders() -> None:
    """Given no sweep ran until 3 days after the deadline, When it runs, Then it escalates (no reminder)."""
    _, history = run_daily(finding(), range(-10, 6), OFF, skipped=frozenset(range(-10, 3)))
    assert history == [(3, TransitionKind.ESCALATION)]


def test_with_enforcement_on_the_key_is_deactivated_the_delay_after_the_deadline() -> None:
    """Given enforcement on (7 days' delay), When the sweep runs daily,
    Then after the escalation the key is ENFORCED on 12-22 and the finding closes."""
    after, history = run_daily(finding(), range(-10, 41), ON)
    assert history[-2:] == [(0, TransitionKind.ESCALATION), (7, TransitionKind.ENFORCED)]
    assert enforcement_day(DEADLINE, ON) == date(2026, 12, 22)
    assert enforcement_day(DEADLINE, OFF) is None
    assert (after.status, after.enforced_on, after.closed_on) == (FindingStatus.ENFORCED, day(7), day(7))
    assert after.days_to_close == 21


def test_enforcement_deactivates_and_tells_the_owner() -> None:
    """Given enforcement on and the enforcement day, When followed, Then the step deactivates the key
    and sends the ENFORCED message."""
    escalated = finding(escalated_on=DEADLINE)
    step = follow_up(escalated, ACTIVE, day(7), ON, dry_run=False)
    assert step is not None
    assert (step.deactivate, step.message, step.closes_as) == (
        True,
        MessageKind.ENFORCED,
        FindingStatus.ENFORCED,
    )


def test_in_dry_run_mode_enforcement_is_only_shown_once_and_the_key_stays() -> None:
    """Given enforcement on but the deployment in dry-run mode, When the sweep runs daily,
    Then on the enforcement day it records WOULD_ENFORCE (no message, no change), once, and stays open."""
    after, history = run_daily(finding(), range(-10, 41), ON, dry_run=True)
    assert history[-2:] == [(0, TransitionKind.ESCALATION), (7, TransitionKind.WOULD_ENFORCE)]
    step = follow_up(finding(escalated_on=DEADLINE), ACTIVE, day(7), ON, dry_run=True)
    assert step is not None
    assert (step.message, step.deactivate, step.closes_as) == (None, False, None)
    assert (after.status, after.enforcement_previewed_on) == (FindingStatus.OPEN, day(7))


def test_a_user_tagged_keywarden_enforce_never_is_reminded_and_escalated_but_never_enforced() -> None:
    """Given enforcement on and a user opted out, When the sweep runs daily, Then no enforcement ever."""
    opted_out = ACTIVE.model_copy(update={"enforcement_opted_out": True})
    after, history = run_daily(finding(), range(-10, 41), ON, seen=opted_out)
    assert [t for _, t in history] == [
        TransitionKind.REMINDER,
        TransitionKind.REMINDER,
        TransitionKind.ESCALATION,
    ]
    assert after.status is FindingStatus.OPEN


def test_an_exempt_user_is_closed_exempt_without_a_message_never_reminded_or_enforced() -> None:
    """Given a user exempted after its finding opened, When followed on a reminder day or enforcement day,
    Then the finding closes EXEMPT, no message."""
    exempt = ACTIVE.model_copy(update={"exempt": True})
    for offset in (-7, 7):
        step = follow_up(finding(), exempt, day(offset), ON, dry_run=False)
        assert step is not None
        assert (step.transition, step.message, step.closes_as, step.deactivate) == (
            TransitionKind.EXEMPT,
            None,
            FindingStatus.EXEMPT,
            False,
        )


@pytest.mark.parametrize(
    ("seen", "transition", "message", "status", "resolution"),
    [
        (
            KeyObservation(user_exists=True, key_exists=False),
            TransitionKind.RESOLVED,
            MessageKind.RESOLVED,
            FindingStatus.RESOLVED,
            Resolution.DELETED,
        ),
        (
            KeyObservation(user_exists=True, key_exists=True, key_active=False),
            TransitionKind.RESOLVED,
            MessageKind.RESOLVED,
            FindingStatus.RESOLVED,
            Resolution.DEACTIVATED,
        ),
        (
            KeyObservation(user_exists=False),
            TransitionKind.USER_DELETED,
            None,
            FindingStatus.USER_DELETED,
            None,
        ),
    ],
    ids=["rotated-or-deleted", "deactivated", "user-deleted"],
)
def test_a_key_that_went_away_closes_the_finding(
    seen: KeyObservation,
    transition: TransitionKind,
    message: MessageKind | None,
    status: FindingStatus,
    resolution: Resolution | None,
) -> None:
    """Given the key deleted, deactivated, or its user deleted, When followed, Then the finding closes so,
    the days it took counted from the first notice; nothing comes after."""
    step = follow_up(finding(), seen, date(2026, 12, 5), ON, dry_run=False)
    assert step is not None
    assert (step.transition, step.message, step.closes_as, step.resolution) == (
        transition,
        message,
        status,
        resolution,
    )
    closed = apply(finding(), step, date(2026, 12, 5))
    assert (closed.status, closed.closed_on, closed.days_to_close, closed.resolution) == (
        status,
        date(2026, 12, 5),
        4,
        resolution,
    )
    assert follow_up(closed, ACTIVE, day(-2), ON, dry_run=False) is None


def test_closing_comes_before_a_reminder_due_the_same_day() -> None:
    """Given the key rotated on a reminder day, When followed, Then it resolves (no reminder)."""
    step = follow_up(finding(), KeyObservation(user_exists=True), day(-7), OFF, dry_run=False)
    assert step is not None
    assert step.transition is TransitionKind.RESOLVED


@pytest.mark.parametrize(
    ("newest_first", "dry_run", "reason"),
    [
        ([], False, RedriveReason.NEVER_REMEDIATED),
        ([O.FAILED], False, RedriveReason.FAILED),
        ([O.TIMED_OUT], False, RedriveReason.TIMED_OUT),
        ([O.DEFERRED], False, RedriveReason.DEFERRED),
        ([O.USER_NOT_FOUND], False, RedriveReason.USER_NOT_FOUND),
        ([O.REJECTED], False, RedriveReason.FAILED),
        ([O.DRY_RUN], False, RedriveReason.DRY_RUN_ONLY),
        ([O.DRY_RUN], True, None),
        ([O.REMEDIATED], False, None),
        ([O.KEYS_LEFT_ACTIVE], False, None),
        ([O.NO_CHANGE], False, None),
        ([O.EXEMPT], False, None),
        ([O.REPLAYED, O.ALREADY_IN_PROGRESS, O.FAILED], False, RedriveReason.FAILED),
        ([O.REPLAYED, O.KEYS_LEFT_ACTIVE, O.FAILED], False, None),
        ([O.FAILED, O.REMEDIATED], False, RedriveReason.FAILED),
        ([O.REPLAYED], False, RedriveReason.NEVER_REMEDIATED),
    ],
)
def test_the_newest_real_attempt_decides_whether_a_flagged_user_is_redriven(
    newest_first: list[O], dry_run: bool, reason: RedriveReason | None
) -> None:
    """Given a flagged user's recorded outcomes (newest first), When the sweep asks,
    Then duplicates and concurrent runs are passed over and the newest real attempt decides."""
    assert redrive_reason(newest_first, dry_run=dry_run) is reason


def test_the_newest_attempt_is_enough_to_decide() -> None:
    """Given outcomes read lazily, When the newest real one decides, Then older ones are never read."""
    read: list[O] = []

    def outcomes() -> Iterator[O]:
        for outcome in (O.REPLAYED, O.KEYS_LEFT_ACTIVE, O.FAILED):
            read.append(outcome)
            yield outcome

    assert redrive_reason(outcomes(), dry_run=False) is None
    assert read == [O.REPLAYED, O.KEYS_LEFT_ACTIVE]


def test_a_key_is_stale_from_max_access_key_age_days_and_only_while_active() -> None:
    """Given keys of 90 and 89 days and an inactive old one, When judged at 90 days, Then only the first."""
    now = datetime(2026, 12, 1, 6, tzinfo=UTC)
    keys = [
        ("AKIA90", True, now - timedelta(days=90)),
        ("AKIA89", True, now - timedelta(days=89, hours=23)),
        ("AKIAOLD", False, now - timedelta(days=400)),
    ]
    assert stale_active_keys(keys, now, 90) == ["AKIA90"]


def test_the_cadence_is_validated_and_ordered_farthest_first() -> None:
    """Given reminder days, When the policy is made, Then duplicates or 0 are refused, the rest sorted."""
    assert LifecyclePolicy(reminder_days_before_deadline=(2, 10, 5)).reminder_days_before_deadline == (
        10,
        5,
        2,
    )
    for bad in ((3, 3), (0,)):
        with pytest.raises(ValidationError):
            LifecyclePolicy(reminder_days_before_deadline=bad)
