"""API rate limits: token buckets on the virtual clock, answering each service's throttling error.

Each throttled API has a bucket of `burst` tokens refilled at `per_second` tokens per simulated
second; a call takes one token, and a call that finds the bucket empty is answered with the
service's throttling error (HTTP 400, as AWS's common errors describe), and counted.

Where the numbers come from:
- Step Functions StartExecution, Standard workflows: bucket 1,300, refill 300 per second in
  us-east-1, us-west-2 and eu-west-1 (800 / 150 elsewhere): "Quotas related to API action
  throttling", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html. The
  sandbox runs in us-east-1. Answer: ThrottlingException.
- SSM StartAutomationExecution and GetAutomationExecution, the IAM reads (GetUser,
  ListAccessKeys, GetAccessKeyLastUsed, GetLoginProfile, ListUserTags, ListUsers) and AWS
  Config's ListDiscoveredResources: AWS publishes no rates for them (the Systems Manager and IAM
  quota pages say so, and IAM's cannot be raised). The defaults below are ASSUMPTIONS, chosen so
  that a burst of 100 users at one instant is not throttled, and meant to be overridden
  (`ThrottlingLimits(...)`, a scenario's "throttling" object). Answers: IAM `Throttling`
  (its query-protocol code), SSM and Config `ThrottlingException`.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from unittest import mock

from moto.core.responses import BaseResponse

from keywarden.sandbox.aws.faults import Fault, answer_with_error
from keywarden.sandbox.clock import VirtualClock


@dataclass(frozen=True)
class BucketSpec:
    burst: float
    """Tokens when full: how many calls at one instant pass."""
    per_second: float
    """Tokens added per simulated second (up to `burst`)."""


THROTTLING_CODES: Mapping[str, str] = {
    "iam": "Throttling",
    "ssm": "ThrottlingException",
    "config": "ThrottlingException",
    "stepfunctions": "ThrottlingException",
}
"""The throttling error code of each service, as its API reference's common errors name it."""

_ASSUMED_SSM = BucketSpec(burst=200, per_second=20)
_ASSUMED_IAM_READ = BucketSpec(burst=500, per_second=50)
_ASSUMED_CONFIG = BucketSpec(burst=200, per_second=20)

DEFAULT_BUCKETS: Mapping[str, BucketSpec] = {
    "stepfunctions:StartExecution": BucketSpec(burst=1300, per_second=300),  # documented, us-east-1
    "ssm:StartAutomationExecution": _ASSUMED_SSM,
    "ssm:GetAutomationExecution": _ASSUMED_SSM,
    "iam:GetUser": _ASSUMED_IAM_READ,
    "iam:ListAccessKeys": _ASSUMED_IAM_READ,
    "iam:GetAccessKeyLastUsed": _ASSUMED_IAM_READ,
    "iam:GetLoginProfile": _ASSUMED_IAM_READ,
    "iam:ListUserTags": _ASSUMED_IAM_READ,
    "iam:ListUsers": _ASSUMED_IAM_READ,
    "config:ListDiscoveredResources": _ASSUMED_CONFIG,
}
"""Bucket per "service:Action" (boto3 service name, AWS's action name)."""


class ThrottledCallError(Exception):
    """A call the sandbox refused for its rate (raised where no HTTP answer is made, e.g. a delivery)."""

    def __init__(self, api: str, code: str) -> None:
        super().__init__(f"{code}: Rate exceeded ({api})")
        self.api = api
        self.code = code


@dataclass
class _Bucket:
    spec: BucketSpec
    tokens: float
    filled_at: datetime


@dataclass
class ThrottlingLimits:
    """The buckets of one sandbox and what they refused."""

    clock: VirtualClock
    buckets: dict[str, BucketSpec] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))
    throttled: Counter[str] = field(default_factory=Counter)
    """Calls refused, per "service:Action"."""
    _state: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, api: str, spec: BucketSpec) -> None:
        """Set (or replace) the bucket of one "service:Action"; it starts full."""
        with self._lock:
            self.buckets[api] = spec
            self._state.pop(api, None)

    def take(self, service: str, action: str) -> bool:
        """Take a token for one call: False (and counted) when the bucket is empty."""
        api = f"{service}:{action}"
        spec = self.buckets.get(api)
        if spec is None:
            return True
        now = self.clock.now()
        with self._lock:
            bucket = self._state.setdefault(api, _Bucket(spec, spec.burst, now))
            elapsed = max((now - bucket.filled_at).total_seconds(), 0.0)
            bucket.tokens = min(spec.burst, bucket.tokens + elapsed * spec.per_second)
            bucket.filled_at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return True
            self.throttled[api] += 1
            return False

    def take_or_raise(self, service: str, action: str) -> None:
        """`take`, raising ThrottledCallError when refused."""
        if not self.take(service, action):
            code = THROTTLING_CODES.get(service, "ThrottlingException")
            raise ThrottledCallError(f"{service}:{action}", code)


_UNMETERED = threading.local()


@contextlib.contextmanager
def unmetered() -> Iterator[None]:
    """Calls made in the block (on this thread) take no token: the emulated runbook's own calls.

    In AWS the runbook's script runs inside SSM and its SDK retries a throttled call there, within
    the automation's duration; emulated, it runs while SSM's emulator holds its lock, where a back-off
    that parks the calling execution would stop every other one. AWS publishes no rate for these
    APIs in any case (see the module docstring): keywarden's own calls are the ones metered.
    """
    depth = getattr(_UNMETERED, "depth", 0)
    _UNMETERED.depth = depth + 1
    try:
        yield
    finally:
        _UNMETERED.depth = depth


@contextlib.contextmanager
def throttled_apis(limits: ThrottlingLimits) -> Iterator[ThrottlingLimits]:
    """Answer calls beyond their bucket with the service's throttling error while the context is open."""
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        service, action = self.boto3_service_name, self._get_action()
        if getattr(_UNMETERED, "depth", 0) or limits.take(service, action):
            return original(self)
        code = THROTTLING_CODES.get(service, "ThrottlingException")
        return answer_with_error(self, Fault(service, action, code, "Rate exceeded"))

    with mock.patch.object(BaseResponse, "call_action", call_action):
        yield limits
