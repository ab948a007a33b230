"""A ResultPath that must step into something other than an object fails the state, as in AWS.

AWS's ResultPath page (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html)
combines the result with the state input at a reference path: fields missing on the way are
created, but a field cannot be added to a string, number, array or null. AWS then fails the
state with `States.ReferencePathConflict`, cause `Unable to apply step "<field>" to input <input>`
(the name and text AWS reports in executions, e.g. a ResultPath "$.x" applied to a Parallel
state's array output; the error handling guide's list of names calls this case
`States.ResultPathMatchFailure`). It is not `States.Runtime`, so Retry and Catch apply to it.

moto 5.2.5 sets the path with jsonpath_ng: into a string, number or array it fails with
`States.Runtime` and a Python TypeError as the cause (so no Catch can take it); into null it
drops the result silently and the state succeeds.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.path.result_path import ResultPath
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from keywarden.sandbox.stepfunctions.failures import reference_path_conflict

# One step of a reference path: .field, ['field'] or [index].
_STEP = re.compile(r"\.(?P<dotted>[^.\[\]]+)|\['(?P<quoted>[^']*)'\]|\[(?P<index>\d+)\]")


def reference_path_steps(path: str) -> list[str | int] | None:
    """The fields and indexes of a reference path ("$.a['b'][0]" -> ["a", "b", 0]); None if not one."""
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            return None
        index = step.group("index")
        steps.append(int(index) if index is not None else step.group("dotted") or step.group("quoted"))
        position = step.end()
    return steps


def conflicting_step(state_input: Any, steps: list[str | int]) -> str | int | None:
    """The first step that cannot be applied to the value it reaches, if any."""
    value = state_input
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list):
                return step
            if step >= len(value):
                return None  # moto's own handling of an index past the end stands
        elif not isinstance(value, dict):
            return step
        elif step not in value:
            return None  # the rest of the path is created, as in AWS
        value = value[step]
    return None


def conflict_cause(step: str | int, state_input: Any) -> str:
    """AWS's cause for a ResultPath that cannot be applied (AWS writes the input as compact JSON)."""
    return f'Unable to apply step "{step}" to input {to_json_str(state_input, separators=(",", ":"))}'


@contextlib.contextmanager
def result_path_parent_must_be_object() -> Iterator[None]:
    """While open, a ResultPath (a state's or a Catch's) through a non-object fails the state."""
    original = ResultPath._eval_body

    def apply(self: ResultPath, env: Environment) -> None:
        if self.result_path_src is not None:
            steps = reference_path_steps(self.result_path_src)
            state_input = env.states.get_input()
            step = conflicting_step(state_input, steps) if steps else None
            if step is not None:
                raise reference_path_conflict(env, conflict_cause(step, state_input))
        original(self, env)

    with mock.patch.object(ResultPath, "_eval_body", apply):
        yield
