"""GetExecutionHistory answered as JSON directly, not through botocore's shape model.

moto serializes an execution's history event by event, member by member, through the service's
shape model: about 40 ms for one run of keywarden's workflow, paid by every report that reads the
path of an execution. The events moto keeps are already the API's JSON structure (names as the
API spells them) with datetimes inside: the sandbox writes them with json.dumps, timestamps as
moto writes them (epoch seconds, truncated to milliseconds), empty members left out.
tests/e2e/test_sandbox_reuse.py checks that boto3 reads the same history either way.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from moto.core.serialize import TimestampSerializer
from moto.stepfunctions.responses import StepFunctionResponse


def as_api_json(value: Any) -> Any:
    """moto's history (dicts, lists, datetimes) as the JSON the API answers."""
    if isinstance(value, dict):
        return {name: as_api_json(member) for name, member in value.items() if member is not None}
    if isinstance(value, list):
        return [as_api_json(member) for member in value]
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # moto's naive times are UTC
        return TimestampSerializer._timestamp_unixtimestamp(aware)
    return value


@contextlib.contextmanager
def history_as_json() -> Iterator[None]:
    """Answer GetExecutionHistory this way while the context is open."""
    original = StepFunctionResponse.get_execution_history

    def get_execution_history(self: StepFunctionResponse) -> str:
        answer = original(self)  # errors are raised here, and serialized by moto as before
        return json.dumps(as_api_json(answer.result))

    with mock.patch.object(StepFunctionResponse, "get_execution_history", get_execution_history):
        yield
