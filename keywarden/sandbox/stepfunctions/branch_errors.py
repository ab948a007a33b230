"""A Parallel branch or Map iteration that fails with a `States.*` error fails its state with that error.

AWS's Parallel state page (https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html):
"If any branch fails, because of an unhandled error or by transitioning to a Fail state, the
entire Parallel state is considered to have failed"; its Retry and Catch then see the branch's
error, and so for a Map state's iteration (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
Which errors `States.ALL` catches is the error handling guide's rule
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): all but
`States.Runtime` and `States.DataLimitExceeded`.

moto 5.2.5 re-raises the branch's error as a CustomErrorName, which refuses names starting with
"States.": every `States.*` error of a branch or iteration (States.Runtime, States.Timeout,
States.TaskFailed, States.ReferencePathConflict…) turns into a Python ValueError, so the state
fails with States.Runtime, "Custom Error Names MUST NOT begin with the prefix 'States.'" as the
cause, and no Catch can take it. And where the branch's error is States.Runtime, moto prefixes
its cause a second time ("An error occurred while executing the state 'P' … An error occurred
while executing the state 'C' …"; 'None' for a Map): the cause names the state that failed, once.
The strict rules need the branch's own error and cause to surface from a Parallel or Map.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

from moto.stepfunctions.parser.api import ExecutionFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

from keywarden.sandbox.stepfunctions.failures import error_name_of

STATE_PREFIX = "An error occurred while executing the state '"
"""How moto (and AWS) begin the cause of a States.Runtime failure."""


def _branch_error_name(error_name: str | None) -> ErrorName | None:
    # Called as moto calls CustomErrorName there: CustomErrorName(error_name=...).
    return None if error_name is None else error_name_of(error_name)


@contextlib.contextmanager
def branch_errors_keep_their_name() -> Iterator[None]:
    """While open, a branch's or iteration's `States.*` error reaches its Parallel / Map state as itself."""
    original_details = FailureEventException.get_execution_failed_event_details

    def details_prefixed_once(self: FailureEventException) -> ExecutionFailedEventDetails | None:
        details: ExecutionFailedEventDetails | None = original_details(self)
        cause = details.get("cause", "") if details else ""
        nested = cause.find(STATE_PREFIX, len(STATE_PREFIX))
        if details is not None and cause.startswith(STATE_PREFIX) and nested != -1:
            details["cause"] = cause[nested:]  # the innermost state's prefix is the one that says where
        return details

    with (
        mock.patch.object(branches_decl, "CustomErrorName", _branch_error_name),
        mock.patch.object(iteration_worker, "CustomErrorName", _branch_error_name),
        mock.patch.object(FailureEventException, "get_execution_failed_event_details", details_prefixed_once),
    ):
        yield
