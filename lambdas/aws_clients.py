"""The functions' AWS clients: IAM's and Config's read APIs throttle under a burst, so retry them.

AWS publishes no per-API rate for IAM or Config reads; botocore's standard retry mode backs off
exponentially with jitter on throttling and 5xx errors. A call still throttled after that is
surfaced as `AwsThrottled` (`throttling_surfaced`), an error the workflow's Retry waits out with a
longer, jittered back-off (Prepare's and Conclude's `AwsThrottled` retrier); any other failure fails
its Task, and the workflow's failure path records it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PATIENT: Config = Config(retries={"mode": "standard", "max_attempts": 8})

THROTTLING_ERROR_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""The error codes botocore's standard retry mode treats as throttling (botocore/retries/standard.py)."""


class AwsThrottled(RuntimeError):  # noqa: N818 (the workflow's Retry matches this name)
    """An AWS API kept answering with a throttling error after the client's own retries.

    Its class name is the error name Step Functions sees, and Prepare's and Conclude's Retry wait
    it out; the message names the service, the operation and the code.
    """


def condition_failed(error: ClientError) -> bool:
    """Whether DynamoDB refused a conditional write because its condition did not hold."""
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def throttling_code(error: ClientError) -> str | None:
    """The error's code when it is a throttling one."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code if code in THROTTLING_ERROR_CODES else None


@contextmanager
def throttling_surfaced() -> Iterator[None]:
    """Turn a throttled AWS call into AwsThrottled; every other error passes unchanged."""
    try:
        yield
    except ClientError as error:
        code = throttling_code(error)
        if code is None:
            raise
        operation = getattr(error, "operation_name", "an AWS call")
        raise AwsThrottled(f"{operation} throttled ({code}) after the client's retries") from error


def client(service: str) -> Any:
    """A boto3 client that retries throttled calls patiently."""
    return boto3.client(service, config=PATIENT)  # type: ignore[call-overload]


def failed_alone(error: ClientError) -> tuple[str, str] | None:
    """(code, message) of an AWS error that fails one item of a batch alone (access denied, a user
    gone meanwhile...); None for throttling, which the caller surfaces as AwsThrottled so the whole
    page is retried later."""
    if throttling_code(error) is not None:
        return None
    details = error.response.get("Error", {})
    return str(details.get("Code", "Unknown")), str(details.get("Message", str(error)))
