"""Injected AWS errors: an API answers with the error its service model names, for rehearsing failures.

Every AWS call in the sandbox, the workflow's own service integrations included, reaches moto's
response class for its service, which dispatches the action in `BaseResponse.call_action`. A
fault planned for (service, action) answers there instead, with a `ServiceException` of the
given code, serialized as moto serializes any service error: the HTTP status and the error shape
come from the service's model, so the caller sees what AWS would send (botocore's ClientError,
or the `<Service>.<Error>` name in a Step Functions Task).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse


@dataclass
class Fault:
    service: str
    """The boto3 service name (ssm, dynamodb, sns, iam, config ...)."""
    action: str
    """The API action, as AWS names it (GetAutomationExecution, TransactWriteItems ...)."""
    code: str
    """The error code, as the service's model names it (InternalServerError, ThrottlingException ...)."""
    message: str = "injected by the sandbox"
    times: int | None = None
    """How many calls fail (then the fault is spent); None: every call."""
    when: Callable[[BaseResponse], bool] | None = None
    """Only calls this accepts fail (it can read the request: `response._get_param("TopicArn")`)."""
    failed: int = 0

    def applies(self, response: BaseResponse, action: str) -> bool:
        if (response.boto3_service_name, action) != (self.service, self.action):
            return False
        if self.times is not None and self.failed >= self.times:
            return False
        return self.when is None or self.when(response)


@dataclass
class FaultPlan:
    """The faults of one sandbox; `add` one, `clear` them."""

    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, response: BaseResponse, action: str) -> Fault | None:
        """The first fault that applies to this call, counted as used."""
        with self._lock:
            for fault in self.faults:
                if fault.applies(response, action):
                    fault.failed += 1
                    return fault
        return None


@contextlib.contextmanager
def injected_faults(plan: FaultPlan) -> Iterator[FaultPlan]:
    """Answer planned faults instead of moto while the context is open."""
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        fault = plan.take(self, self._get_action()) if plan.faults else None
        if fault is None:
            return original(self)
        status, headers, body = self.serialized(ActionResult(ServiceException(fault.code, fault.message)))
        headers, body = self._enrich_response(headers, body)
        return status, headers, body

    with mock.patch.object(BaseResponse, "call_action", call_action):
        yield plan
