"""A throttled AWS call leaves a function as AwsThrottled, the error the workflow's Retry waits out."""

from __future__ import annotations

import pytest

from lambdas.aws_clients import THROTTLING_ERROR_CODES, AwsThrottled, throttling_surfaced
from tests.unit.fakes import client_error


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException", "TooManyRequestsException"])
def test_a_throttling_code_becomes_aws_throttled_naming_the_call(code: str) -> None:
    """Given a call that answers a throttling code, When it runs inside throttling_surfaced,
    Then AwsThrottled is raised, naming the operation and the code."""
    throttled = f"ListDiscoveredResources throttled \\({code}\\)"
    with pytest.raises(AwsThrottled, match=throttled), throttling_surfaced():
        raise client_error(code, "ListDiscoveredResources")


@pytest.mark.parametrize("code", ["AccessDenied", "NoSuchEntity", "ValidationException"])
def test_any_other_error_passes_unchanged(code: str) -> None:
    """Given a permanent error, When it runs inside throttling_surfaced, Then it is raised as it was."""
    error = client_error(code, "GetUser")
    with pytest.raises(type(error)) as raised, throttling_surfaced():
        raise error
    assert raised.value is error


def test_the_codes_are_botocores_own() -> None:
    """Given botocore's standard retry mode, When its throttling codes are compared with ours,
    Then they are the same set: no code of our own."""
    from botocore.retries.standard import ThrottledRetryableChecker

    assert set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES) == THROTTLING_ERROR_CODES
