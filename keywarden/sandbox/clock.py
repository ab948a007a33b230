"""A virtual clock: waits and retry back-offs in the sandbox advance simulated time instantly.

Everything in the sandbox that asks "what time is it" for the workflow (state entry times, the
emulated automation's progress) reads this clock, so simulated latencies stay measurable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class VirtualClock:
    """Starts at the real current time; moves only when `advance` is called (or `sleep`)."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            # To the millisecond, as AWS's APIs report times: durations read back from them then do
            # not depend on the sub-millisecond instant the sandbox happened to start.
            start = datetime.now(UTC)
            start = start.replace(microsecond=start.microsecond // 1000 * 1000)
        self._now = start.astimezone(UTC)
        self._start = self._now
        self._lock = threading.Lock()
        self.sleeper: Callable[[float], bool] | None = None
        """Set by a scheduler: takes over `advance` (a task parks) when it answers True."""

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        if self.sleeper is not None and self.sleeper(seconds):
            return
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def move_to(self, moment: datetime) -> None:
        """Move forward to `moment` (the scheduler's step from wake-up to wake-up)."""
        with self._lock:
            if moment < self._now:
                raise ValueError("time only moves forward")
            self._now = moment

    def restart_at(self, moment: datetime) -> None:
        """Set the time, forward or back: for replaying fixed cases from the same instant each."""
        with self._lock:
            self._now = moment.astimezone(UTC)

    @property
    def elapsed_seconds(self) -> float:
        """Simulated seconds since the clock started."""
        with self._lock:
            return (self._now - self._start).total_seconds()
