"""Token buckets on the virtual clock: a burst passes, the rest waits for the refill."""

from __future__ import annotations

from datetime import UTC, datetime

from keywarden.sandbox.aws.throttling import DEFAULT_BUCKETS, BucketSpec, ThrottlingLimits
from keywarden.sandbox.clock import VirtualClock


def test_a_bucket_lets_its_burst_through_then_refills_on_the_clock() -> None:
    """Given GetUser limited to a burst of 2 refilled at 0.5 per second
    When 3 calls come at one instant, then 2 more 2 s and 4 s later
    Then the third is throttled (and counted), and one token is back every 2 simulated seconds."""
    clock = VirtualClock(datetime(2026, 11, 28, tzinfo=UTC))
    limits = ThrottlingLimits(clock, buckets={"iam:GetUser": BucketSpec(burst=2, per_second=0.5)})
    assert [limits.take("iam", "GetUser") for _ in range(3)] == [True, True, False]
    clock.advance(1)
    assert limits.take("iam", "GetUser") is False  # half a token
    clock.advance(1)
    assert limits.take("iam", "GetUser") is True
    assert limits.take("iam", "GetUser") is False
    clock.advance(60)
    assert [limits.take("iam", "GetUser") for _ in range(3)] == [True, True, False]  # never above the burst
    assert limits.throttled == {"iam:GetUser": 4}


def test_apis_without_a_bucket_are_never_throttled_and_buckets_are_per_api() -> None:
    """Given ListAccessKeys' bucket empty
    When ListAccessKeys, GetUser and an API without a bucket are called
    Then only ListAccessKeys is throttled: GetUser still passes, and an API without a bucket always does."""
    clock = VirtualClock(datetime(2026, 11, 28, tzinfo=UTC))
    limits = ThrottlingLimits(clock)
    limits.configure("iam:ListAccessKeys", BucketSpec(burst=0, per_second=0))
    assert limits.take("iam", "ListAccessKeys") is False
    assert limits.take("iam", "GetUser") is True
    assert all(limits.take("dynamodb", "PutItem") for _ in range(10_000))


def test_step_functions_start_execution_has_aws_documented_us_east_1_bucket() -> None:
    """Given the default buckets, StartExecution's being 1,300 burst and 300 per second (Step Functions
    quotas, us-east-1), When 1,400 then, a second later, 400 start, Then 1,300 then 300 pass."""
    assert DEFAULT_BUCKETS["stepfunctions:StartExecution"] == BucketSpec(burst=1300, per_second=300)
    clock = VirtualClock(datetime(2026, 11, 28, tzinfo=UTC))
    limits = ThrottlingLimits(clock)
    assert sum(limits.take("stepfunctions", "StartExecution") for _ in range(1400)) == 1300
    clock.advance(1)
    assert sum(limits.take("stepfunctions", "StartExecution") for _ in range(400)) == 300
