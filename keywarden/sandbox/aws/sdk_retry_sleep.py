"""The AWS SDK's own retry back-offs, slept on the virtual clock.

A throttled call made by a function (Prepare reading Config, Conclude reading IAM) is retried by
botocore before the error reaches the handler: in the legacy retry mode, up to 4 retries with
exponential back-off (botocore/data/_retry.json; "Retry behavior" in the AWS SDKs and Tools
reference guide). In Lambda that back-off is time the function spends; in the sandbox it passes on
the virtual clock (the calling execution parks, as at a Wait state), so that throttling buckets
refill as they would, other executions run meanwhile, and no real time is slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

from botocore import endpoint

from keywarden.sandbox.clock import VirtualClock


@contextmanager
def sdk_retries_on_clock(clock: VirtualClock) -> Iterator[None]:
    """botocore's Endpoint sleeps between attempts with `time.sleep`: make that the clock's."""
    with mock.patch.object(endpoint, "time", SimpleNamespace(sleep=clock.sleep)):
        yield
