"""A discrete-event scheduler: many executions run concurrently on one virtual clock, deterministically.

Every task (a workflow execution, an event due at a simulated time, a retried delivery) runs on a
thread of its own, but only the thread holding the baton runs. A task that sleeps on the clock
(a Wait state, a Retry back-off, anything calling `clock.advance` from it) parks with a wake-up
time and hands the baton back; the driver then moves the clock to the earliest wake-up, ties
broken by the order in which tasks parked, and resumes that task. The same scenario therefore
gives the same interleaving, the same results and the same simulated times on every run, and two
executions waiting at once cost the longer of their waits, not the sum.

The driver is whichever thread is not a task (a test, the CLI): `run_until_idle` runs tasks until
none is left. Work started by the driver outside `paused()` runs until idle before the call that
started it returns (`drive`), so that a plain StartExecution behaves as it always did here.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keywarden.sandbox.clock import VirtualClock


@dataclass(eq=False)
class Task:
    """One thread of simulated work."""

    name: str
    target: Callable[[], None]
    thread: threading.Thread | None = None
    done: bool = False
    error: BaseException | None = None
    turn: threading.Event = field(default_factory=threading.Event)
    """Set when this task holds the baton: only its own thread wakes, not every parked one."""


@dataclass(order=True)
class _Wakeup:
    at: datetime
    sequence: int
    task: Task = field(compare=False)


class TaskFailedError(RuntimeError):
    """A task raised: the driver re-raises it once the scheduler is idle."""


class Scheduler:
    """Runs tasks one at a time, in order of simulated wake-up time, on `clock`."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._baton = threading.Lock()
        """Guards the wake-up heap and the holder; the hand-over itself goes through Events."""
        self._returned = threading.Event()
        """Set when the task holding the baton parks or ends: the driver's turn again."""
        self._holder: Task | None = None  # None: the driver holds the baton
        self._wakeups: list[_Wakeup] = []
        self._sequence = itertools.count()
        self._local = threading.local()
        self._paused = 0
        self._failed: list[Task] = []
        clock.sleeper = self._sleep

    # --- what tasks and the driver call ---------------------------------------------------

    def spawn(self, target: Callable[[], None], name: str, at: datetime | None = None) -> Task:
        """Queue `target` to run as a task at `at` (now by default); it runs when the driver runs."""
        task = Task(name, target)
        moment = self.clock.now() if at is None else max(at, self.clock.now())
        with self._baton:
            heapq.heappush(self._wakeups, _Wakeup(moment, next(self._sequence), task))
        return task

    def spawn_in(self, seconds: float, target: Callable[[], None], name: str) -> Task:
        """Queue `target` to run `seconds` from now on the clock."""
        return self.spawn(target, name, self.clock.now() + timedelta(seconds=seconds))

    def on_task_thread(self) -> bool:
        return getattr(self._local, "task", None) is not None

    @property
    def is_paused(self) -> bool:
        return self._paused > 0

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Work started in the block waits; when the outermost block ends, everything runs together."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1
        if not self._paused:
            self.drive()

    def drive(self) -> None:
        """Run until idle, if the caller is the driver and the scheduler is not paused."""
        if not self.is_paused and not self.on_task_thread():
            self.run_until_idle()

    def run_until_idle(self) -> None:
        """Run every task (and what they start) to the end, moving the clock from wake-up to wake-up."""
        self.run_until(None)

    def run_until(self, moment: datetime | None) -> None:
        """Run the tasks due at or before `moment` (all of them when None)."""
        if self.on_task_thread():
            raise RuntimeError("a task cannot drive the scheduler")
        while True:
            with self._baton:
                if not self._wakeups or (moment is not None and self._wakeups[0].at > moment):
                    break
                wakeup = heapq.heappop(self._wakeups)
            if wakeup.at > self.clock.now():
                self.clock.move_to(wakeup.at)
            self._resume(wakeup.task)
        failed, self._failed = self._failed, []
        if failed:
            raise TaskFailedError(f"task {failed[0].name} failed: {failed[0].error!r}") from failed[0].error

    @property
    def pending(self) -> int:
        """Tasks queued or parked."""
        with self._baton:
            return len(self._wakeups)

    # --- the baton --------------------------------------------------------------------------

    def _resume(self, task: Task) -> None:
        """Hand the baton to `task` and wait until it parks or ends (only the two threads wake)."""
        with self._baton:
            self._holder = task
            self._returned.clear()
            if task.thread is None:
                task.thread = threading.Thread(target=self._run, args=(task,), name=task.name, daemon=True)
                task.thread.start()
        task.turn.set()
        self._returned.wait()

    def _run(self, task: Task) -> None:
        self._local.task = task
        task.turn.wait()
        task.turn.clear()
        try:
            task.target()
        except BaseException as error:  # noqa: BLE001 - handed to the driver, which re-raises it
            task.error = error
            self._failed.append(task)
        finally:
            with self._baton:
                task.done = True
                self._holder = None
            self._returned.set()

    @contextlib.contextmanager
    def while_parked(self, let_go: Callable[[], None], take_back: Callable[[], None]) -> Iterator[None]:
        """Within the block, whenever the calling thread waits for the clock (a task parks, the driver
        runs what is due), `let_go` runs first and `take_back` after: for process-wide state it holds
        (a function's environment and lock) that the threads running meanwhile must not see."""
        hooks: list[tuple[Callable[[], None], Callable[[], None]]] = self._local.__dict__.setdefault(
            "hooks", []
        )
        hooks.append((let_go, take_back))
        try:
            yield
        finally:
            hooks.pop()

    @contextlib.contextmanager
    def _given_back(self) -> Iterator[None]:
        hooks = list(getattr(self._local, "hooks", []))
        for let_go, _ in reversed(hooks):
            let_go()
        try:
            yield
        finally:
            for _, take_back in hooks:
                take_back()

    def _park(self, task: Task, until: datetime) -> None:
        with self._given_back():
            with self._baton:
                heapq.heappush(self._wakeups, _Wakeup(until, next(self._sequence), task))
                self._holder = None
            self._returned.set()
            task.turn.wait()
            task.turn.clear()

    def _sleep(self, seconds: float) -> bool:
        """The clock's sleeper: a task parks; the driver runs what is due meanwhile, then moves on."""
        until = self.clock.now() + timedelta(seconds=seconds)
        task: Task | None = getattr(self._local, "task", None)
        if task is not None:
            self._park(task, until)
            return True
        if self.is_paused or self._holder is not None:
            return False  # a thread a task started (not the driver): time just moves, as before
        with self._given_back():
            self.run_until(until)
        if until > self.clock.now():
            self.clock.move_to(until)
        return True
