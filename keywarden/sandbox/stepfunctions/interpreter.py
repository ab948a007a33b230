"""Corrections to moto's Step Functions interpreter, so it behaves like AWS for our workflow.

Each patch follows AWS's documented behaviour (README, "The local sandbox"; tests/interpreter):
- aws-sdk error names carry the service in PascalCase (Ssm.…, Iam.…), not lowercase;
- aws-sdk results reach the state as JSON (timestamps as ISO strings, in UTC whatever the host's
  time zone), not Python datetimes;
- States.ALL does not catch States.Runtime nor States.DataLimitExceeded: they end the execution;
- Wait states and Retry back-offs cost simulated time on a `VirtualClock`, not real sleep;
- state entry times, history timestamps and execution dates read the same clock;
- `$$.State.EnteredTime` is written as AWS writes it (2026-11-28T12:00:00.123Z, milliseconds);
- executions run concurrently on the clock, one thread at a time (scheduler.py): StartExecution
  queues the execution, which runs when the scheduler does (at once when the driver started it
  outside `Scheduler.paused`), so a run is deterministic;
- the program and each Task state's work run on the execution's thread (moto runs each on a
  thread of its own and waits for it in real time), so that what they do on the clock parks the
  execution. TimeoutSeconds (the Task's, the state machine's) is therefore not enforced: the
  sandbox's calls take no simulated time. (Map and Parallel still run their branches on threads
  of their own; the workflow has neither.)
"""

from __future__ import annotations

import contextlib
import copy
import datetime as real_datetime
import itertools
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, TypeVar
from unittest import mock

from moto.stepfunctions.parser import models as parser_models
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.program.program import Program
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as aws_sdk,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event import event_manager
from moto.stepfunctions.parser.backend import execution as execution_module
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.scheduler import Scheduler

_D = TypeVar("_D", bound=real_datetime.datetime)

SERVICE_ERROR_NAMES = {
    "dynamodb": "DynamoDb",
    "sfn": "Sfn",
    "ssm": "Ssm",
    "iam": "Iam",
    "sns": "Sns",
    "sqs": "Sqs",
    "lambda": "Lambda",
    "secretsmanager": "SecretsManager",
    "config": "Config",
    "s3": "S3",
}


def as_json_value(value: Any) -> Any:
    """Timestamps become ISO 8601 strings in UTC, as in the JSON that AWS's integrations return."""
    if isinstance(value, real_datetime.datetime):
        # botocore parses the JSON protocols' epoch timestamps in the host's zone (tzlocal): in
        # UTC, so that the state, and what the functions record from it, is the same on any host.
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(real_datetime.UTC).isoformat()
    if isinstance(value, dict):
        return {k: as_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_value(v) for v in value]
    return value


# AWS's error handling guide: States.ALL "can't catch the States.DataLimitExceeded terminal error
# or Runtime error types"; moto's interpreter lets it catch them.
UNCATCHABLE_BY_STATES_ALL = (
    StatesErrorNameType.StatesRuntime,
    StatesErrorNameType.StatesStatesDataLimitExceeded,
)


def _now(cls: type[_D], clock: VirtualClock, tz: real_datetime.tzinfo | None) -> _D:
    """datetime.now() on the virtual clock. Naive: UTC wall time, not the host's (moto's naive
    times are UTC), so that nothing in the sandbox depends on the host's time zone."""
    moment = cls.fromtimestamp(clock.now().timestamp(), tz or real_datetime.UTC)
    return moment if tz else moment.replace(tzinfo=None)


def _clock_datetime_module(clock: VirtualClock) -> SimpleNamespace:
    """A stand-in for the `datetime` module whose datetime.now() reads the virtual clock."""

    class ClockDatetime(real_datetime.datetime):
        @classmethod
        def now(cls, tz: real_datetime.tzinfo | None = None) -> ClockDatetime:
            return _now(cls, clock, tz)

    return SimpleNamespace(
        datetime=ClockDatetime, timezone=real_datetime.timezone, timedelta=real_datetime.timedelta
    )


def _entered_time_datetime_module(clock: VirtualClock) -> SimpleNamespace:
    """For the state module, whose only use of `datetime` is `$$.State.EnteredTime`'s isoformat():
    Step Functions gives milliseconds and `Z` (moto: microseconds and +00:00)."""

    class EnteredTime(real_datetime.datetime):
        @classmethod
        def now(cls, tz: real_datetime.tzinfo | None = None) -> EnteredTime:
            return _now(cls, clock, tz)

        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            aware = self if self.tzinfo else self.replace(tzinfo=real_datetime.UTC)  # naive is UTC
            utc = aware.astimezone(real_datetime.UTC)
            return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

    return SimpleNamespace(
        datetime=EnteredTime, timezone=real_datetime.timezone, timedelta=real_datetime.timedelta
    )


def _evaluate_inline(self: ExecutionState, env: Environment) -> None:
    """moto's `_evaluate_with_timeout`, with the task's work on the calling thread (no timeout)."""
    self.timeout.eval(env=env)
    env.stack.pop()  # TimeoutSeconds: the sandbox's calls take no simulated time
    frame: Environment = env.open_frame()
    frame.states.reset(input_value=env.states.get_input())
    frame.stack = copy.deepcopy(env.stack)
    try:
        self._eval_execution(frame)
    finally:
        frame.set_ended()
        env.close_frame(frame)
    execution_output = frame.stack[-1]
    env.stack.append(execution_output)
    if not self._is_language_query_jsonpath():
        env.states.set_result(execution_output)
    if self.assign_decl:
        self.assign_decl.eval(env=env)
    if self.result_selector:
        self.result_selector.eval(env=env)
    if self.result_path:
        self.result_path.eval(env)
    else:
        env.states.reset(input_value=env.stack.pop())


def _program_inline(self: Program, env: Environment) -> None:
    """moto's `Program.eval` on the calling thread (moto: a thread joined with the machine's timeout)."""
    env.next_state_name = self.start_at.start_at_name
    EvalComponent.eval(self, env)


@contextlib.contextmanager
def aws_faithful_interpreter(clock: VirtualClock, scheduler: Scheduler | None = None) -> Iterator[Scheduler]:
    """Apply every correction while the context is open; executions run on `scheduler` (yielded)."""
    original_eval_service_task = aws_sdk.StateTaskServiceAwsSdk._eval_service_task
    original_error_equals = ErrorEqualsDecl._eval_body
    runs = scheduler or Scheduler(clock)
    numbers = itertools.count(1)

    def eval_service_task(self: Any, env: Environment, *args: Any, **kwargs: Any) -> None:
        original_eval_service_task(self, env, *args, **kwargs)
        env.stack.append(as_json_value(env.stack.pop()))

    def error_equals(self: ErrorEqualsDecl, env: Environment) -> None:
        error = env.stack[-1]
        if isinstance(error, StatesErrorName) and error.typ in UNCATCHABLE_BY_STATES_ALL:
            env.stack.pop()
            env.stack.append(error in self.error_names)  # only an explicit name matches, never States.ALL
            return
        original_error_equals(self, env)

    def wait_interval(self: WaitFunction, env: Environment, wait_seconds: int) -> None:
        if wait_seconds > 0:
            clock.advance(wait_seconds)

    def start_on_scheduler(self: ExecutionWorker) -> None:
        runs.spawn(self._execution_logic, name=f"execution-{next(numbers)}")
        runs.drive()

    clock_datetime = _clock_datetime_module(clock)
    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.dict(aws_sdk._SERVICE_ERROR_NAMES, SERVICE_ERROR_NAMES))
        patches.enter_context(
            mock.patch.object(aws_sdk.StateTaskServiceAwsSdk, "_eval_service_task", eval_service_task)
        )
        patches.enter_context(mock.patch.object(ErrorEqualsDecl, "_eval_body", error_equals))
        patches.enter_context(mock.patch.object(WaitFunction, "_wait_interval", wait_interval))
        patches.enter_context(mock.patch.object(retrier_decl, "time", SimpleNamespace(sleep=clock.advance)))
        patches.enter_context(mock.patch.object(ExecutionWorker, "start", start_on_scheduler))
        patches.enter_context(mock.patch.object(ExecutionState, "_evaluate_with_timeout", _evaluate_inline))
        patches.enter_context(mock.patch.object(Program, "eval", _program_inline))
        for module in (event_manager, execution_module, parser_models):
            patches.enter_context(mock.patch.object(module, "datetime", clock_datetime))
        patches.enter_context(
            mock.patch.object(state_module, "datetime", _entered_time_datetime_module(clock))
        )
        yield runs
