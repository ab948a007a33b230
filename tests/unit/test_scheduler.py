"""The discrete-event scheduler: concurrent tasks on one virtual clock, in a repeatable order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.scheduler import Scheduler, TaskFailedError

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _sleeper(clock: VirtualClock, log: list[tuple[str, float]], name: str, *waits: float) -> object:
    def run() -> None:
        log.append((name, clock.elapsed_seconds))
        for seconds in waits:
            clock.sleep(seconds)
            log.append((name, clock.elapsed_seconds))

    return run


def _interleaving() -> list[tuple[str, float]]:
    clock = VirtualClock(START)
    scheduler = Scheduler(clock)
    log: list[tuple[str, float]] = []
    with scheduler.paused():
        scheduler.spawn(_sleeper(clock, log, "a", 10, 10), name="a")  # type: ignore[arg-type]
        scheduler.spawn(_sleeper(clock, log, "b", 5, 15), name="b")  # type: ignore[arg-type]
        scheduler.spawn(_sleeper(clock, log, "c", 20), name="c")  # type: ignore[arg-type]
    return log


def test_tasks_sleeping_at_once_cost_the_longest_sleep_not_the_sum() -> None:
    """Given two tasks started together that wait 60 s and 45 s
    When the scheduler runs them
    Then 60 simulated seconds pass, and the shorter wait ends first."""
    clock = VirtualClock(START)
    scheduler = Scheduler(clock)
    log: list[tuple[str, float]] = []
    with scheduler.paused():
        scheduler.spawn(_sleeper(clock, log, "long", 60), name="long")  # type: ignore[arg-type]
        scheduler.spawn(_sleeper(clock, log, "short", 45), name="short")  # type: ignore[arg-type]
        assert log == []  # nothing runs while paused

    assert clock.elapsed_seconds == 60
    assert log == [("long", 0), ("short", 0), ("short", 45), ("long", 60)]
    assert scheduler.pending == 0


def test_wake_ups_interleave_by_time_then_by_the_order_they_parked() -> None:
    """Given three tasks whose wake-ups coincide at 10 s and 20 s
    When they run (twice, from scratch)
    Then they interleave by wake-up time, ties in the order they parked, identically each time."""
    expected = [
        ("a", 0),
        ("b", 0),
        ("c", 0),
        ("b", 5),
        ("a", 10),
        ("c", 20),  # parked first (at 0 s), then b (at 5 s), then a (at 10 s)
        ("b", 20),
        ("a", 20),
    ]
    assert _interleaving() == expected
    assert _interleaving() == expected


def test_the_driver_advancing_the_clock_runs_what_falls_due_on_the_way() -> None:
    """Given work due in 30 s and in 200 s
    When the driver advances the clock by 100 s
    Then the first ran at 30 s, the second is still queued, and the clock reads 100 s."""
    clock = VirtualClock(START)
    scheduler = Scheduler(clock)
    seen: list[float] = []
    scheduler.spawn_in(30, lambda: seen.append(clock.elapsed_seconds), name="soon")
    scheduler.spawn_in(200, lambda: seen.append(clock.elapsed_seconds), name="later")
    clock.advance(100)
    assert seen == [30]
    assert clock.elapsed_seconds == 100
    assert scheduler.pending == 1


def test_an_event_due_later_runs_at_its_time_when_the_scheduler_runs() -> None:
    """Given work queued for 30 s from now
    When the scheduler runs until idle
    Then it ran at 30 simulated seconds."""
    clock = VirtualClock(START)
    scheduler = Scheduler(clock)
    seen: list[float] = []
    scheduler.spawn_in(30, lambda: seen.append(clock.elapsed_seconds), name="later")
    assert seen == []
    scheduler.run_until_idle()
    assert seen == [30]


def test_a_task_that_raises_fails_the_run_once_the_others_are_done() -> None:
    """Given one task that raises and one that waits
    When the scheduler runs
    Then the waiting one still finishes, and the driver gets the error."""
    clock = VirtualClock(START)
    scheduler = Scheduler(clock)
    log: list[tuple[str, float]] = []

    def broken() -> None:
        raise ValueError("boom")

    scheduler.spawn(broken, name="broken")
    scheduler.spawn(_sleeper(clock, log, "fine", 5), name="fine")  # type: ignore[arg-type]
    with pytest.raises(TaskFailedError, match="boom"):
        scheduler.run_until_idle()
    assert log == [("fine", 0), ("fine", 5)]
