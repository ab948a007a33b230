"""A Fail state's ErrorPath and CausePath must select strings, as AWS requires.

AWS's Fail state page (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html):
"CausePath ... When resolved, the reference path must select a field that contains a string
value", and the same for ErrorPath. A path that selects nothing already fails the execution with
`States.Runtime` in moto as in AWS; a path that selects a number, object, array or null is a
runtime error of the state too, so the execution fails with `States.Runtime`.

moto 5.2.5 takes any value: an object or array becomes the cause as Python's repr ("{'k': 'v'}"),
null leaves the cause out, and a non-string error fails with a Python AttributeError as the
cause. The cause text below is keywarden's wording; AWS's exact text is not published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.state.fail.cause_decl import CausePath
from moto.stepfunctions.parser.asl.component.state.fail.error_decl import ErrorPath
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from keywarden.sandbox.stepfunctions.failures import runtime_failure


def not_a_string_cause(field: str, path: str, value: Any) -> str:
    """Why a Fail state's ErrorPath or CausePath was refused."""
    return f"The {field} '{path}' must select a string, but it selected {to_json_str(value)}"


@contextlib.contextmanager
def fail_paths_must_select_strings() -> Iterator[None]:
    """While open, a Fail state whose ErrorPath or CausePath selects no string fails (States.Runtime)."""

    def checked(field: str) -> Any:
        def evaluate(self: CausePath | ErrorPath, env: Environment) -> None:
            self.string_expression.eval(env=env)
            if not isinstance(env.stack[-1], str):
                raise runtime_failure(
                    env, not_a_string_cause(field, self.string_expression.literal_value, env.stack[-1])
                )

        return evaluate

    # Both inherit their evaluation (push the path's value) from Cause / Error; the check is added
    # on the Path variants only, so literal Error and Cause fields are untouched.
    with (
        mock.patch.object(CausePath, "_eval_body", checked("CausePath")),
        mock.patch.object(ErrorPath, "_eval_body", checked("ErrorPath")),
    ):
        yield
