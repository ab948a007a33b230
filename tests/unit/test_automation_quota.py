"""SSM Automation's concurrency quota in the sandbox: Pending, FIFO start, LimitExceeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.runbook import RUNBOOK_NAME, AutomationStatus
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.ssm.automation import (
    AutomationBehaviour,
    AutomationEmulator,
    AutomationExecutionLimitExceeded,
)
from keywarden.sandbox.ssm.automation_quota import AutomationQuota

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# Ends Failed: the emulator then needs no IAM (the runbook's script only runs on success).
ENDS_FAILED = AutomationBehaviour(duration_seconds=30, final_status=AutomationStatus.FAILED)


def _parameters(user_id: str) -> dict[str, list[str]]:
    return {
        "AutomationAssumeRole": ["arn:aws:iam::123456789012:role/keywarden-automation"],
        "IAMResourceId": [user_id],
        "MaxCredentialUsageAge": ["90"],
    }


def _start(emulator: AutomationEmulator, user_id: str) -> str:
    return emulator.start("us-east-1", RUNBOOK_NAME, None, _parameters(user_id))


def _status(emulator: AutomationEmulator, execution_id: str) -> str:
    return str(emulator.describe(execution_id)["AutomationExecutionStatus"])


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def emulator(clock: VirtualClock) -> AutomationEmulator:
    return AutomationEmulator(
        clock, ENDS_FAILED, AutomationQuota(concurrent_automations=2, queued_automations=1)
    )


def test_past_the_concurrency_quota_an_automation_waits_pending_then_runs_its_full_duration(
    emulator: AutomationEmulator, clock: VirtualClock
) -> None:
    """Given 2 may run at once and a third is started 10 s after them
    When the first two end (at 30 s)
    Then the third was Pending until then, runs from 30 s, and ends 30 s later (at 60 s)."""
    first, second = _start(emulator, "AIDAFIRST"), _start(emulator, "AIDASECOND")
    clock.advance(10)
    third = _start(emulator, "AIDATHIRD")
    assert _status(emulator, third) == "Pending"

    clock.advance(25)  # 35 s: the first two ended at 30 s
    assert [_status(emulator, e) for e in (first, second)] == ["Failed", "Failed"]
    described = emulator.describe(third)
    assert described["AutomationExecutionStatus"] == "InProgress"
    assert described["ExecutionStartTime"] == START + timedelta(seconds=30)

    clock.advance(20)  # 55 s: 25 s into its 30
    assert _status(emulator, third) == "InProgress"
    clock.advance(5)
    described = emulator.describe(third)
    assert described["AutomationExecutionStatus"] == "Failed"
    assert described["ExecutionEndTime"] == START + timedelta(seconds=60)


def test_beyond_the_queue_start_is_refused_with_limit_exceeded(emulator: AutomationEmulator) -> None:
    """Given 2 running and 1 Pending (the whole queue)
    When a fourth is started
    Then StartAutomationExecution answers AutomationExecutionLimitExceeded, and it is counted."""
    for user in ("AIDA1", "AIDA2", "AIDA3"):
        _start(emulator, user)
    with pytest.raises(AutomationExecutionLimitExceeded):
        _start(emulator, "AIDA4")
    counters = emulator.counters
    assert (counters.accepted, counters.started_running, counters.max_running, counters.refused) == (
        3,
        2,
        2,
        1,
    )
    assert counters.max_queued == 1


def test_pending_automations_start_first_in_first_out(clock: VirtualClock) -> None:
    """Given one may run at a time and two wait
    When the running one ends
    Then the one queued first starts, and the other waits until that one ends too."""
    emulator = AutomationEmulator(
        clock, ENDS_FAILED, AutomationQuota(concurrent_automations=1, queued_automations=5)
    )
    running, queued_first, queued_second = (_start(emulator, u) for u in ("AIDAA", "AIDAB", "AIDAC"))
    clock.advance(30)
    assert [_status(emulator, e) for e in (running, queued_first, queued_second)] == [
        "Failed",
        "InProgress",
        "Pending",
    ]
    clock.advance(30)
    assert emulator.describe(queued_second)["ExecutionStartTime"] == START + timedelta(seconds=60)
    assert emulator.counters.max_running == 1


def test_automations_are_counted_per_user(emulator: AutomationEmulator) -> None:
    """Given two automations for one user and one for another
    When they are started
    Then the counters say so per user."""
    _start(emulator, "AIDATWICE")
    _start(emulator, "AIDATWICE")
    _start(emulator, "AIDAONCE")
    assert dict(emulator.counters.per_resource_id) == {"AIDATWICE": 2, "AIDAONCE": 1}
