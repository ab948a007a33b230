"""How the strict-path rules fail a state: as moto's interpreter fails a state, with AWS's error names.

AWS's error handling guide lists the predefined `States.*` error names and says which ones
`States.ALL` cannot catch: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

STATES_PREFIX = "States."
REFERENCE_PATH_CONFLICT = "States.ReferencePathConflict"


class UnlistedStatesErrorName(StatesErrorName):  # type: ignore[misc]  # moto is untyped (skipped by mypy)
    """A `States.*` error name that moto's enum lacks, such as `States.ReferencePathConflict`.

    It is a StatesErrorName so that a `States.TaskFailed` catcher does not match it (moto lets
    States.TaskFailed match every name that is not one). Its `typ` is a placeholder outside the
    names `States.ALL` may not catch (interpreter.UNCATCHABLE_BY_STATES_ALL); only the name is compared.
    """

    def __init__(self, error_name: str) -> None:
        super().__init__(typ=StatesErrorNameType.StatesResultPathMatchFailure)
        self.error_name = error_name


def error_name_of(error_name: str) -> ErrorName:
    """The interpreter's ErrorName for a name: a States one for `States.*`, else a custom one."""
    if not error_name.startswith(STATES_PREFIX):
        return CustomErrorName(error_name)
    try:
        return StatesErrorName.from_name(error_name)
    except ValueError:  # a States name moto does not list
        return UnlistedStatesErrorName(error_name)


def runtime_failure(env: Environment, cause: str) -> FailureEventException:
    """A `States.Runtime` failure of the current state (moto prefixes the state's name and event id).

    No Retry or Catch handles it (see `interpreter.UNCATCHABLE_BY_STATES_ALL`): the execution fails.
    """
    # The same event moto raises for a Parameters path that is not found (state.py).
    error = StatesErrorNameType.StatesRuntime.to_name()
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)
            ),
        )
    )


def reference_path_conflict(env: Environment, cause: str) -> FailureEventException:
    """A `States.ReferencePathConflict` failure of the current state: Retry and Catch apply to it."""
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=UnlistedStatesErrorName(REFERENCE_PATH_CONFLICT),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(error=REFERENCE_PATH_CONFLICT, cause=cause)
            ),
        )
    )
