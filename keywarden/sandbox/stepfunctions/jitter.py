"""Full jitter that is random-looking but repeatable: the same execution retries the same way.

AWS draws a Retry's full jitter at random (https://docs.aws.amazon.com/step-functions/latest/dg/
concepts-error-handling.html#retrying-after-error: "JitterStrategy ... FULL, the interval is a
random value between 0 and the calculated interval"). moto draws it from the `random` module, so
two runs of one scenario wait differently and a simulation's times cannot be repeated. The
sandbox takes the fraction from a hash of (execution, state, retry count) instead: spread over
[0, 1) like a uniform draw, and the same in every run.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.retry.jitter_strategy_decl import (
    JitterStrategy,
    JitterStrategyDecl,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment


def jitter_fraction(execution: str, state: str, retry: int) -> float:
    """A value in [0, 1) that depends only on its three arguments."""
    digest = hashlib.sha256(f"{execution}|{state}|{retry}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@contextlib.contextmanager
def repeatable_jitter() -> Iterator[None]:
    """Full jitter from `jitter_fraction` while the context is open."""

    def eval_body(self: JitterStrategyDecl, env: Environment) -> None:
        if self.jitter_strategy == JitterStrategy.NONE:
            return
        interval = env.stack.pop()
        context = env.states.context_object.context_object_data
        state = context.get("State", {})
        fraction = jitter_fraction(
            str(context["Execution"]["Id"]), str(state.get("Name")), int(state.get("RetryCount", 0))
        )
        env.stack.append(interval * fraction)

    with mock.patch.object(JitterStrategyDecl, "_eval_body", eval_body):
        yield
