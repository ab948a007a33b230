"""Choice rules on a path that does not exist fail the execution, as in AWS.

AWS's Choice state page (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html)
has the comparison's `Variable` (and the `...Path` operand) select a value of the state input, and
offers `IsPresent` to test whether one is there; its example notes that when the input lacks the
compared field "the execution fails and an error is displayed in the execution history". Measured
in AWS: every operator but `IsPresent`, on a `Variable` or a `...Path` operand that selects
nothing, fails the execution with `States.Runtime`, cause "Invalid path '$.x': The choice state's
condition path references an invalid value.", inside And / Or / Not too; `States.ALL` cannot catch
it (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).

moto 5.2.5 turns a missing `Variable` into a failed comparison and moves on (`IsNull`, `IsString`…
with `false` even match), and fails a missing `...Path` operand with a JSONPath cause naming an
internal class ('ComparisonFuncValue') as the field.

And and Or still stop at the first rule that decides them, as the usual guard
`And: [{IsPresent}, {comparison}]` relies on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringSampler
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_func import (
    ComparisonFuncValue,
)
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_operator_type import (
    ComparisonOperatorType,
)
from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_variable import (
    ComparisonVariable,
)
from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import NoSuchVariable
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError, extract_json

from keywarden.sandbox.stepfunctions.failures import runtime_failure


def invalid_path_cause(path: str) -> str:
    """AWS's cause for a Choice condition on a path that selects nothing."""
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


def _written_path(sampler: StringSampler) -> str:
    # moto strips one "$" from a context-object path ("$$.Execution.X" -> "$.Execution.X").
    return str(getattr(sampler, "context_object_path", sampler.literal_value))


@contextlib.contextmanager
def choice_paths_must_exist() -> Iterator[None]:
    """While open, a Choice comparison whose Variable or ...Path operand is missing fails the execution."""
    original_operand = ComparisonFuncValue._eval_body

    def comparison(self: ComparisonVariable, env: Environment) -> None:
        # moto's version is these two evals without the check in between.
        self.variable.eval(env)
        operator: ComparisonOperatorType = self.comparison_function.operator_type
        if isinstance(env.stack[-1], NoSuchVariable) and operator != ComparisonOperatorType.IsPresent:
            raise runtime_failure(env, invalid_path_cause(_written_path(self.variable.string_sampler)))
        self.comparison_function.eval(env)

    def operand(self: ComparisonFuncValue, env: Environment) -> None:
        # Only the plain "...Path" comparisons: their value is a path into the state input, which
        # sits under the Variable's value on the stack.
        if type(self) is ComparisonFuncValue and self.operator_type.name.endswith("Path"):
            state_input: Any = env.stack[-2]
            try:
                extract_json(self.value, state_input)
            except NoSuchJsonPathError:
                raise runtime_failure(env, invalid_path_cause(self.value)) from None
        original_operand(self, env)

    with (
        mock.patch.object(ComparisonVariable, "_eval_body", comparison),
        mock.patch.object(ComparisonFuncValue, "_eval_body", operand),
    ):
        yield
