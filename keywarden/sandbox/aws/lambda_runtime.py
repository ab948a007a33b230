"""Run Lambda functions in process: moto would need Docker, and there is none.

Every invocation path in moto (the `lambda:invoke` integration, a plain function ARN, the
Invoke API) ends in `LambdaFunction._invoke_lambda(event)`. Replacing it runs the function's
real handler here, with the function's environment variables applied during the call, and
keeps its log lines (the "CloudWatch Logs" of the sandbox) instead of printing them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction

from lambdas.observability import logger as powertools_logger
from lambdas.observability import metrics as powertools_metrics

SANDBOX_POWERTOOLS_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "sandbox"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class Invocation:
    function_name: str
    event: Any
    result: Any
    errored: bool
    logs: str


def _never_parked(let_go: Callable[[], None], take_back: Callable[[], None]) -> AbstractContextManager[None]:
    """Without a scheduler, an invocation never waits for the clock with its state held."""
    return contextlib.nullcontext()


@dataclass
class InProcessLambda:
    """Runs handlers named by `module.path.function`, found on this Python's import path."""

    invocations: list[Invocation] = field(default_factory=list)
    _modules: dict[str, ModuleType] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    while_parked: Callable[[Callable[[], None], Callable[[], None]], AbstractContextManager[None]] = field(
        default_factory=lambda: _never_parked
    )
    """Set by the sandbox to its scheduler's `while_parked`: what a parked invocation gives back."""

    def _load(self, handler: str, environment: dict[str, str]) -> Callable[[Any, Any], Any]:
        module_name, function_name = handler.rsplit(".", 1)
        # A fresh module per handler and environment: settings read at import time follow
        # the function's configuration, as they would in a new Lambda execution environment.
        fingerprint = hashlib.sha256(json.dumps([handler, sorted(environment.items())]).encode()).hexdigest()[
            :16
        ]
        module = self._modules.get(fingerprint)
        if module is None:
            spec = importlib.util.find_spec(module_name)
            if spec is None or spec.loader is None:
                raise ImportError(f"handler module {module_name} not found")
            isolated = importlib.util.spec_from_file_location(f"keywarden_sandbox_{fingerprint}", spec.origin)
            if isolated is None or isolated.loader is None:
                raise ImportError(f"cannot load {module_name}")
            module = importlib.util.module_from_spec(isolated)
            sys.modules[isolated.name] = module  # pydantic resolves annotations through it
            isolated.loader.exec_module(module)
            self._modules[fingerprint] = module
        function: Callable[[Any, Any], Any] = getattr(module, function_name)
        return function

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        environment = {
            **SANDBOX_POWERTOOLS_ENV,
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            **function.environment_vars,
        }
        payload = json.loads(event) if isinstance(event, (str, bytes)) else event
        logs = io.StringIO()

        def hold() -> contextlib.ExitStack:
            """The process-wide state an invocation holds: the lock, the environment, the output."""
            held = contextlib.ExitStack()
            held.enter_context(self._lock)
            held.enter_context(_environment(environment))
            held.enter_context(_captured_output(logs))
            return held

        holding = [hold()]

        def let_go() -> None:
            holding[0].close()

        def take_back() -> None:
            holding[0] = hold()

        # A call throttled inside the handler backs off on the virtual clock: its execution parks,
        # and another execution's function may run meanwhile, so the state is given back until then.
        with self.while_parked(let_go, take_back):
            try:
                context = LambdaContext(
                    function_name=function.function_name,
                    invoked_function_arn=function.function_arn,
                    memory_limit_in_mb=int(function.memory_size),
                    log_group_name=f"/aws/lambda/{function.function_name}",
                )
                try:
                    result = self._load(function.handler, environment)(payload, context)
                    errored = False
                except Exception as error:  # noqa: BLE001 - the Lambda runtime reports any handler error
                    result = {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_tb(error.__traceback__),
                    }
                    logs.write(traceback.format_exc())
                    errored = True
                finally:
                    # In Lambda, log_metrics flushes and clears the metrics and their dimensions at the
                    # end of every invocation; with metrics disabled it keeps them: discard them here.
                    powertools_metrics.clear_metrics()
            finally:
                holding[0].close()
        self.invocations.append(Invocation(function.function_name, payload, result, errored, logs.getvalue()))
        return json.dumps(result), errored, logs.getvalue()


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    with mock.patch.dict(os.environ, values):
        yield


@contextlib.contextmanager
def _captured_output(buffer: io.StringIO) -> Iterator[None]:
    """Keep handler logs out of the terminal (and out of `simulate --json` on stdout)."""
    handler = powertools_logger.registered_handler
    stream_handler = handler if isinstance(handler, logging.StreamHandler) else None
    previous = stream_handler.stream if stream_handler else None
    # Swap the stream without setStream(), which flushes the old one: that stream may be
    # closed by now (the stdout of an earlier CLI invocation in the same process).
    if stream_handler:
        stream_handler.stream = buffer
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        if stream_handler:
            stream_handler.stream = previous


@contextlib.contextmanager
def in_process_lambda(runtime: InProcessLambda) -> Iterator[InProcessLambda]:
    """Route moto's Lambda invocations to `runtime` while the context is open."""

    def _invoke(function: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
        return runtime.invoke(function, event if event is not None else "{}")

    with mock.patch.object(LambdaFunction, "_invoke_lambda", _invoke):
        yield runtime
