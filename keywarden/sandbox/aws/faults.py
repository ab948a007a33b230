"""Injected AWS errors: an API answers with the error its service model names, for rehearsing failures.

Every AWS call in the sandbox, the workflow's own service integrations included, reaches moto's
response class for its service, which dispatches the action in `BaseResponse.call_action`. A
fault planned for (service, action) answers there instead, with a `ServiceException` of the
given code, serialized as moto serializes any service error: the HTTP status and the error shape
come from the service's model, so the caller sees what AWS would send (botocore's ClientError,
or the `<Service>.<Error>` name in a Step Functions Task). An error common to all services and
absent from the model (AccessDeniedException, for one) is sent as AWS sends those: a 400 with
the code in the protocol's error body (https://docs.aws.amazon.com/general/latest/gr/api-retries.html,
and each API reference's "Common Errors").
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from xml.sax.saxutils import escape

from botocore.loaders import Loader
from moto.core.exceptions import JsonRESTError, ServiceException, _RESTError
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


class InjectedServiceError(ServiceException):
    """A modeled error. Defined here, not taken from moto: moto finds an error's service model
    from the module of its class, and a class from moto.core has none."""


_models: dict[str, tuple[str, set[str]]] = {}


def _protocol_and_errors(service: str) -> tuple[str, set[str]]:
    """The service's protocol and the error shapes its model names (read once per service)."""
    if service not in _models:
        model = Loader().load_service_model(service, "service-2")
        errors = {name for name, shape in model["shapes"].items() if shape.get("exception")}
        _models[service] = (model["metadata"]["protocol"], errors)
    return _models[service]


def answer_with_error(response: BaseResponse, fault: Fault) -> Any:
    """The HTTP answer AWS would send for `fault` (its status and error shape from the model)."""
    protocol, modeled = _protocol_and_errors(response.boto3_service_name)
    if fault.code in modeled:
        status, headers, body = response.serialized(
            ActionResult(InjectedServiceError(fault.code, fault.message))
        )
        headers, body = response._enrich_response(headers, body)
        return status, headers, body
    if protocol.startswith("json"):
        common = JsonRESTError(fault.code, fault.message)
        description = common.description
    else:  # query and XML protocols: the request id is in the body, as AWS writes it
        common = _RESTError(fault.code, fault.message)
        description = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(fault.code)}</Code><Message>{escape(fault.message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )
    # As moto's call_action answers any HTTPException.
    error_headers: dict[str, Any] = {**dict(common.get_headers() or []), "status": common.code}
    status, headers, body = response._transform_response(
        response.response_headers, (description, error_headers)
    )
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


@contextlib.contextmanager
def injected_faults(plan: FaultPlan) -> Iterator[FaultPlan]:
    """Answer planned faults instead of moto while the context is open."""
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        fault = plan.take(self, self._get_action()) if plan.faults else None
        return original(self) if fault is None else answer_with_error(self, fault)

    with mock.patch.object(BaseResponse, "call_action", call_action):
        yield plan
