"""States.Format needs exactly one argument per `{}`, as in AWS.

AWS's intrinsic functions page (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html,
States.Format): "The value of the first argument must be a string, and may include zero or more
instances of the character sequence {}. There must be as many remaining arguments in the intrinsic
function invocation as there are occurrences of {}." A state whose Parameters break the rule fails
with `States.Runtime` (a runtime error of the state's payload; `States.ALL` cannot catch it).

moto 5.2.5 formats with Python's str.format: surplus arguments are dropped silently (the state
succeeds) and missing ones fail with a Python IndexError as the cause. The cause text below is
keywarden's wording; AWS's exact text is not published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic.string_format import (
    StringFormat,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment

from keywarden.sandbox.stepfunctions.failures import runtime_failure

PLACEHOLDER = "{}"


def argument_count_cause(template: str, placeholders: int, arguments: int) -> str:
    """Why a States.Format invocation was refused."""
    return (
        f"States.Format('{template}', ...) has {placeholders} {PLACEHOLDER} placeholder(s) "
        f"but {arguments} argument(s) to put in them: the numbers must match."
    )


@contextlib.contextmanager
def format_arguments_must_match() -> Iterator[None]:
    """While open, States.Format with more or fewer arguments than `{}` fails the state."""

    def evaluate(self: StringFormat, env: Environment) -> None:
        # moto's StringFormat._eval_body with the count check before formatting.
        self.argument_list.eval(env=env)
        arguments: list[Any] = env.stack.pop()
        template, values = arguments[0], arguments[1:]
        placeholders = template.count(PLACEHOLDER) if isinstance(template, str) else len(values)
        if placeholders != len(values):
            raise runtime_failure(env, argument_count_cause(template, placeholders, len(values)))
        env.stack.append(template.format(*map(StringFormat._to_str_repr, values)))

    with mock.patch.object(StringFormat, "_eval_body", evaluate):
        yield
