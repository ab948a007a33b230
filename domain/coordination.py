"""Coordination between executions (pure): one remediation per event and per user, SSM's quota kept.

The workflow's functions read and write the coordination table (lambdas/coordination.py); the
decisions are here: what a second delivery of an event or a concurrent event for the same user
gives, which automation slots a finishing execution gives back, and when the operators hear
about deferred users. README: "Staying within SSM's quota".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from domain.frozen import FrozenModel
from domain.results import RemediationOutcome

LEASE: Final = timedelta(hours=24)
"""How long a user lock or an automation slot is held at most. Longer than the longest execution
between Prepare and Conclude: the slot wait (at most about 12 h, 6 h on average), SSM's start
retries (at most about 1 h), the queue (6 h) and the polls (maxPollAttempts x pollIntervalSeconds).
An execution that dies without reaching Conclude frees its lock and its slot when this ends."""
CLAIM_RETENTION: Final = timedelta(days=7)
"""How long an event claim is kept: EventBridge retries a delivery for 24 h at most."""
DEFERRAL_ALERT_INTERVAL: Final = timedelta(hours=1)
"""At most one operators' alert about deferred users per account and region in this window."""

SSM_RUNNING_QUOTA: Final = 100
"""SSM Automation's default quota of concurrently running automations per account and Region."""
SSM_QUEUE_QUOTA: Final = 1000
"""...and of automations waiting Pending in its queue behind them."""
MAX_AUTOMATION_SLOTS: Final = 500 + SSM_QUEUE_QUOTA
"""The most automations an account can have started at once: 500 running (adaptive concurrency's
ceiling) and a full queue."""


def automation_slots_for(running_quota: int, queue_quota: int) -> int:
    """keywarden's slots for an account's quotas: every running automation, plus as many again
    Pending in SSM's queue (at most the queue). SSM starts a Pending automation the moment a running
    one ends, while keywarden is still noticing that end (up to a poll interval) and concluding: the
    queued wave keeps SSM running at its quota meanwhile. Measured in the sandbox, a 1,000-user burst
    at the default quota took 1.20 x the bound ceil(N / quota) x runbook duration with no queued
    slots, 1.17 x with half a wave queued and 1.10 x with a whole wave (2026-12-02)."""
    return min(running_quota + min(queue_quota, running_quota), MAX_AUTOMATION_SLOTS)


DEFAULT_AUTOMATION_SLOTS: Final = automation_slots_for(SSM_RUNNING_QUOTA, SSM_QUEUE_QUOTA)
"""maxConcurrentAutomations by default: 200 for SSM's default quotas."""

SLOT_WAIT_PATIENCE: Final = "about 6 hours (at most 12)"
"""ReserveAutomationSlot's retry: 720 retries, 2 s doubling to at most 60 s, full jitter."""
QUEUE_PATIENCE: Final = "6 hours (360 polls, 60 s apart)"
"""How long the workflow waits for an automation SSM keeps Pending (its queue) before DEFERRED."""

SLOT_RESERVATION_STEP: Final = "ReserveAutomationSlot"
SLOT_TAKEN_ERROR: Final = "DynamoDb.ConditionalCheckFailedException"
"""What ReserveAutomationSlot fails with, past its retries, when every slot stayed taken."""


class Admission(FrozenModel):
    """What Prepare learnt from the coordination table before looking at the user."""

    event_claimed: bool = False
    """This execution holds the event's claim (and records its outcome there at Conclude)."""
    lock_held: bool = False
    """This execution holds the user's lock (and gives it back at Conclude)."""
    outcome: RemediationOutcome | None = None
    """REPLAYED or ALREADY_IN_PROGRESS: nothing is to be done by this execution."""
    reason: str = ""

    @property
    def admitted(self) -> bool:
        return self.outcome is None


class Claim(FrozenModel):
    """An event claim or a user lock as the table holds it."""

    holder: str
    outcome: str | None = None
    lease_until: datetime | None = None


def replayed(event_id: str, claim: Claim) -> Admission:
    return Admission(
        outcome=RemediationOutcome.REPLAYED,
        reason=(
            f"event {event_id} was delivered again: execution {claim.holder} already handled it and "
            f"recorded {claim.outcome}; nothing is done twice"
        ),
    )


def in_progress(what: str, claim: Claim) -> Admission:
    until = f" (its lease ends {claim.lease_until:%Y-%m-%d %H:%M} UTC)" if claim.lease_until else ""
    return Admission(
        outcome=RemediationOutcome.ALREADY_IN_PROGRESS,
        reason=f"{what} is being handled by execution {claim.holder}{until}; no second automation is started",
    )


def event_claim_refused(event_id: str, claim: Claim) -> Admission:
    """The event's claim belongs to another execution: done (REPLAYED) or still under way."""
    if claim.outcome is not None:
        return replayed(event_id, claim)
    return in_progress(f"event {event_id}", claim)


def slot_member(reserved_at: str, execution_name: str) -> str:
    """A slot holder as the workflow's ReserveAutomationSlot writes it."""
    return f"{reserved_at}|{execution_name}"


def _reserved_at(member: str) -> datetime | None:
    try:
        return datetime.fromisoformat(member.split("|", 1)[0].replace("Z", "+00:00"))
    except ValueError:
        return None


def slots_to_release(holders: Iterable[str], execution_name: str, now: datetime) -> set[str]:
    """This execution's slot, and every slot whose lease is over (its holder died before Conclude)."""
    released = set()
    for member in holders:
        reserved_at = _reserved_at(member)
        mine = member.split("|", 1)[-1] == execution_name
        if mine or reserved_at is None or reserved_at + LEASE <= now:
            released.add(member)
    return released


def deferral_alert_due(last_alert_at: datetime | None, now: datetime) -> bool:
    """One alert per account and region per rolling hour."""
    return last_alert_at is None or last_alert_at + DEFERRAL_ALERT_INTERVAL <= now


def deferred_reason(step: str, error: str) -> str:
    return (
        f"{step} failed: {error}; waited for an automation slot longer than the patience allows "
        f"({SLOT_WAIT_PATIENCE}); nothing was changed: the next sweep retries"
    )


def queued_reason(execution_id: str, polls: int) -> str:
    return (
        f"automation {execution_id} was still queued (Pending) by SSM after {polls} queued polls "
        f"({QUEUE_PATIENCE}): the account's automations are over SSM's quota; keywarden stopped waiting, "
        "the automation may still run: the next sweep re-checks the user"
    )


def deferral_alert_message(
    account_id: str, region: str, waiting: int, total: int, slots_held: int, max_slots: int
) -> tuple[str, str]:
    """Subject and message of the one hourly alert about deferred users."""
    plural = "" if waiting == 1 else "s"
    subject = f"[keywarden] {waiting} remediation{plural} deferred in {account_id} {region}"
    message = (
        f"{waiting} user{plural} could not be remediated within the patience since the last alert "
        f"({total} deferred in all) in account {account_id}, region {region}: no SSM automation slot "
        f"freed up ({slots_held} of {max_slots} held by keywarden now). Nothing was changed for them; "
        "the next sweep retries. Another deferral within the hour adds to the count without a new alert.\n"
        "Check the account's running automations (SSM's quota is shared with other automations) and "
        "maxConcurrentAutomations."
    )
    return subject, message
