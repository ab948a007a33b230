"""AWS's limits in the sandbox, through the APIs: throttled calls, EventBridge's retries and its
dead-letter queue. (Sandbox mechanics only: what keywarden does about them is tested elsewhere.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from keywarden.sandbox import Sandbox
from keywarden.sandbox.aws.throttling import BucketSpec
from keywarden.scenario import KeySpec, UserSpec
from tests.e2e.runbook_runs import run_runbook

pytestmark = pytest.mark.e2e

STALE = [KeySpec(created_days_ago=120)]
NEVER = BucketSpec(burst=0, per_second=0)
NO_RETRIES = Config(retries={"total_max_attempts": 1})  # each refusal seen once, not botocore's retries


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def _dead_letters(sandbox: Sandbox) -> list[dict[str, Any]]:
    answer = sandbox.client("sqs").receive_message(
        QueueUrl=sandbox.stack.dead_letter_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return list(answer.get("Messages", []))


def _target(sandbox: Sandbox) -> dict[str, Any]:
    [target] = sandbox.client("events").list_targets_by_rule(Rule=sandbox.stack.event_rule_name)["Targets"]
    return dict(target)


def test_api_calls_past_their_bucket_answer_the_services_throttling_error_until_it_refills(
    sandbox: Sandbox,
) -> None:
    """Given IAM GetUser limited to 1 call, refilled at 1 per 10 s, and StartExecution to none
    When GetUser is called twice at one instant, then 10 s later, and StartExecution once
    Then the second GetUser answers IAM's Throttling (HTTP 400), the third passes, and StartExecution
    answers ThrottlingException; each refusal is counted."""
    sandbox.add_user(UserSpec(name="reader", keys=STALE))
    sandbox.throttling.configure("iam:GetUser", BucketSpec(burst=1, per_second=0.1))
    sandbox.throttling.configure("stepfunctions:StartExecution", NEVER)
    iam = boto3.client("iam", region_name=sandbox.region, config=NO_RETRIES)
    iam.get_user(UserName="reader")
    with pytest.raises(ClientError) as throttled:
        iam.get_user(UserName="reader")
    assert throttled.value.response["Error"]["Code"] == "Throttling"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sandbox.clock.advance(10)
    assert iam.get_user(UserName="reader")["User"]["UserName"] == "reader"

    sfn = boto3.client("stepfunctions", region_name=sandbox.region, config=NO_RETRIES)
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=sandbox.stack.state_machine_arn, name="throttled", input="{}")
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert sandbox.throttling.throttled == {"iam:GetUser": 1, "stepfunctions:StartExecution": 1}


def test_the_sdks_own_retries_wait_on_the_virtual_clock_not_in_real_time(sandbox: Sandbox) -> None:
    """Given IAM GetUser limited to 1 call, refilled at 1 per 2 s
    When a client with botocore's standard retries (20 attempts) calls GetUser twice at one instant
    Then the second call is throttled, botocore backs off on the virtual clock (simulated time passes,
    so the bucket refills) and the call passes, without seconds of real sleep.
    (Legacy retries, 4 of them, failed now and then: their jittered back-offs can add up to less than
    the 2 s a refill takes. Standard mode's 19 back-offs of up to 20 s cannot, but with odds below
    one in 10^15.)"""
    sandbox.add_user(UserSpec(name="patient", keys=STALE))
    sandbox.throttling.configure("iam:GetUser", BucketSpec(burst=1, per_second=0.5))
    iam = boto3.client(
        "iam", region_name=sandbox.region, config=Config(retries={"mode": "standard", "max_attempts": 20})
    )
    iam.get_user(UserName="patient")
    before, started = sandbox.clock.now(), time.perf_counter()
    assert iam.get_user(UserName="patient")["User"]["UserName"] == "patient"
    assert sandbox.throttling.throttled["iam:GetUser"] >= 1
    waited = (sandbox.clock.now() - before).total_seconds()
    assert waited >= 2  # the back-offs added up to a refill (1 token per 2 s)
    assert time.perf_counter() - started < waited


def test_a_throttled_delivery_is_retried_with_backoff_until_start_execution_passes(sandbox: Sandbox) -> None:
    """Given StartExecution has 1 token, refilled at 1 per 60 s
    When one event is delivered twice at one instant
    Then the second delivery is retried after 1, 2, 4, 8, 16 and 32 s and starts its execution at 63 s."""
    user = sandbox.add_user(UserSpec(name="retried", keys=STALE))
    sandbox.throttling.configure("stepfunctions:StartExecution", BucketSpec(burst=1, per_second=1 / 60))
    published_at = sandbox.clock.now()
    executions = sandbox.publish(sandbox.compliance_change(user.user_id), copies=2)

    assert len(executions) == 2
    attempts = [(d.attempt, d.execution_arn is not None) for d in sandbox.delivery.deliveries]
    assert attempts == [
        (1, True),
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, False),
        (6, False),
        (7, True),
    ]
    started = sandbox.client("stepfunctions").describe_execution(executionArn=executions[1])["startDate"]
    assert abs(started - (published_at + timedelta(seconds=63))) < timedelta(milliseconds=1)
    assert sandbox.throttling.throttled["stepfunctions:StartExecution"] == 6
    assert _dead_letters(sandbox) == []


def test_a_delivery_throttled_past_the_targets_retry_policy_goes_to_the_dlq_with_its_attributes(
    sandbox: Sandbox,
) -> None:
    """Given StartExecution never has a token, and the deployed target retries 10 times
    When an event is published
    Then after 11 attempts the event is in the DLQ with RULE_ARN, TARGET_ARN, ERROR_CODE and the rest."""
    user = sandbox.add_user(UserSpec(name="lost", keys=STALE))
    sandbox.throttling.configure("stepfunctions:StartExecution", NEVER)
    entry = sandbox.compliance_change(user.user_id)
    assert sandbox.publish(entry) == []

    assert [d.attempt for d in sandbox.delivery.deliveries] == list(range(1, 12))
    [message] = _dead_letters(sandbox)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    rule_arn = sandbox.client("events").describe_rule(Name=sandbox.stack.event_rule_name)["Arn"]
    assert attributes == {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": sandbox.stack.state_machine_arn,
        "ERROR_CODE": "ThrottlingException",
        "ERROR_MESSAGE": "ThrottlingException: Rate exceeded (stepfunctions:StartExecution)",
        "RETRY_ATTEMPTS": "10",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    assert json.loads(message["Body"])["detail"]["resourceId"] == user.user_id


def test_without_a_retry_policy_eventbridge_retries_185_times_within_24_hours(sandbox: Sandbox) -> None:
    """Given the target without its RetryPolicy (EventBridge's defaults apply) and StartExecution
    never passing
    When an event is published
    Then it is attempted 186 times (185 retries) over less than 24 simulated hours, then dead-lettered."""
    user = sandbox.add_user(UserSpec(name="patient", keys=STALE))
    target = {k: v for k, v in _target(sandbox).items() if k != "RetryPolicy"}
    sandbox.client("events").put_targets(Rule=sandbox.stack.event_rule_name, Targets=[target])
    sandbox.throttling.configure("stepfunctions:StartExecution", NEVER)
    published_at = sandbox.clock.now()
    sandbox.publish(sandbox.compliance_change(user.user_id))

    assert len(sandbox.delivery.deliveries) == 186
    spent = (sandbox.clock.now() - published_at).total_seconds()
    assert 23 * 3600 < spent <= 24 * 3600
    [message] = _dead_letters(sandbox)
    assert message["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"] == "185"


def test_a_delivery_refused_with_another_4xx_goes_to_the_dlq_without_a_retry(sandbox: Sandbox) -> None:
    """Given the rule's target points at a state machine that does not exist
    When an event is published
    Then one attempt is made and the event is dead-lettered with the error's code."""
    user = sandbox.add_user(UserSpec(name="misrouted", keys=STALE))
    target = {**_target(sandbox), "Arn": sandbox.stack.state_machine_arn + "-gone"}
    sandbox.client("events").put_targets(Rule=sandbox.stack.event_rule_name, Targets=[target])
    sandbox.publish(sandbox.compliance_change(user.user_id))

    assert [d.attempt for d in sandbox.delivery.deliveries] == [1]
    [message] = _dead_letters(sandbox)
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "StateMachineDoesNotExist"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_functions_throttled_at_once_back_off_in_turn_each_in_its_own_environment() -> None:
    """Given Config's ListDiscoveredResources limited to 1 call, refilled at 1 per 5 s
    When three users' events arrive at one instant (three Prepares, each backing off inside the
    function while it holds its environment)
    Then no execution waits on another's function (the run ends, on the virtual clock), every user is
    remediated, and the functions' back-offs added up to simulated, not real, time."""
    with Sandbox() as sandbox:
        sandbox.throttling.configure("config:ListDiscoveredResources", BucketSpec(burst=1, per_second=0.2))
        users = [sandbox.add_user(UserSpec(name=f"crowd{n}", keys=STALE)) for n in range(3)]
        finished: list[list[str]] = []

        def burst() -> None:
            with sandbox.scheduler.paused():
                for user in users:
                    sandbox.put_event(sandbox.compliance_change(user.user_id))
            finished.append([d.execution_arn or "" for d in sandbox.delivery.deliveries])

        runner = threading.Thread(target=burst, daemon=True)
        started = time.perf_counter()
        runner.start()
        runner.join(timeout=120)
        assert not runner.is_alive(), "an execution waited forever for another's function"
        [executions] = finished
        assert [sandbox.audit_items(arn)[0]["outcome"] for arn in executions] == ["REMEDIATED"] * 3
        assert sandbox.throttling.throttled["config:ListDiscoveredResources"] >= 2
        assert sandbox.clock.elapsed_seconds > time.perf_counter() - started


def test_the_emulated_runbooks_own_calls_are_not_metered(sandbox: Sandbox) -> None:
    """Given Config's ListDiscoveredResources allowed no call at all
    When the runbook runs for a stale user (its script looks the user up in Config)
    Then the runbook succeeds and its lookup was not refused, while keywarden's own call is."""
    user = sandbox.add_user(UserSpec(name="metered", keys=STALE))
    sandbox.throttling.configure("config:ListDiscoveredResources", NEVER)
    automation = run_runbook(sandbox, user.user_id)
    assert automation["AutomationExecutionStatus"] == "Success"
    assert sandbox.throttling.throttled["config:ListDiscoveredResources"] == 0
    config = boto3.client("config", region_name=sandbox.region, config=NO_RETRIES)
    with pytest.raises(ClientError):
        config.list_discovered_resources(resourceType="AWS::IAM::User", resourceIds=[user.user_id])
    assert sandbox.throttling.throttled["config:ListDiscoveredResources"] == 1
