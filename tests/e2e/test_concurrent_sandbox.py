"""The sandbox's concurrency mechanics, through the APIs: duplicate deliveries, events at a time,
SSM's Pending queue and its limit. (What keywarden does about duplicates is not asserted here.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from domain.runbook import RUNBOOK_NAME, AutomationStatus
from keywarden.sandbox import Sandbox
from keywarden.sandbox.ssm.automation import AutomationBehaviour
from keywarden.sandbox.ssm.automation_quota import AutomationQuota
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e

STALE = [KeySpec(created_days_ago=120)]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    quota = AutomationQuota(concurrent_automations=1, queued_automations=1)
    ends_failed = AutomationBehaviour(duration_seconds=60, final_status=AutomationStatus.FAILED)
    with Sandbox(automation=ends_failed, automation_quota=quota) as running:
        yield running


def _to_the_millisecond(moment: datetime) -> datetime:
    """The APIs answer in milliseconds."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _parameters(sandbox: Sandbox, user_id: str) -> dict[str, list[str]]:
    return {
        "AutomationAssumeRole": [f"arn:aws:iam::{sandbox.account_id}:role/any"],
        "IAMResourceId": [user_id],
        "MaxCredentialUsageAge": ["90"],
    }


def test_an_event_published_twice_reaches_two_executions_with_one_event_id_at_one_instant(
    sandbox: Sandbox,
) -> None:
    """Given one compliance change delivered twice (EventBridge delivers at least once)
    When it is published
    Then two executions started at the same simulated instant, with the same event id."""
    user = sandbox.add_user(UserSpec(name="twice", keys=STALE))
    before = len(sandbox.delivery.deliveries)
    executions = sandbox.publish(sandbox.compliance_change(user.user_id), copies=2)

    assert len(set(executions)) == 2
    deliveries = sandbox.delivery.deliveries[before:]
    assert len({d.event_id for d in deliveries}) == 1
    sfn = sandbox.client("stepfunctions")
    described = [sfn.describe_execution(executionArn=arn) for arn in executions]
    assert described[0]["startDate"] == described[1]["startDate"]
    assert json.loads(described[0]["input"]) == json.loads(described[1]["input"])
    assert [d["status"] != "RUNNING" for d in described] == [True, True]  # both ran to the end


def test_an_event_scheduled_later_is_delivered_at_its_time(sandbox: Sandbox) -> None:
    """Given an event due 600 s from now
    When the sandbox runs until idle
    Then its execution started 600 simulated seconds later."""
    user = sandbox.add_user(UserSpec(name="later", keys=STALE))
    now = sandbox.clock.now()
    scheduled = sandbox.publish_at(600, lambda: sandbox.compliance_change(user.user_id))
    assert scheduled.executions == []
    sandbox.run_until_idle()

    [execution] = scheduled.executions
    started = sandbox.client("stepfunctions").describe_execution(executionArn=execution)["startDate"]
    assert _to_the_millisecond(started) == _to_the_millisecond(now + timedelta(seconds=600))


def test_ssm_queues_past_the_quota_and_refuses_past_the_queue(sandbox: Sandbox) -> None:
    """Given 1 automation may run and 1 wait
    When three are started at one moment
    Then the second is Pending, the third is refused with AutomationExecutionLimitExceededException,
    and the second starts running (its 60 s counted from then) when the first ends."""
    ssm = sandbox.client("ssm")
    sandbox.clock.advance(3600)  # earlier tests' automations have all ended
    started_at = sandbox.clock.now()
    first, second = (
        ssm.start_automation_execution(DocumentName=RUNBOOK_NAME, Parameters=_parameters(sandbox, user))[
            "AutomationExecutionId"
        ]
        for user in ("AIDAFIRST", "AIDASECOND")
    )
    with pytest.raises(ClientError) as refused:
        ssm.start_automation_execution(
            DocumentName=RUNBOOK_NAME, Parameters=_parameters(sandbox, "AIDATHIRD")
        )
    assert refused.value.response["Error"]["Code"] == "AutomationExecutionLimitExceededException"

    def status(execution_id: str) -> str:
        return str(
            ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"][
                "AutomationExecutionStatus"
            ]
        )

    assert (status(first), status(second)) == ("InProgress", "Pending")
    sandbox.clock.advance(90)
    assert (status(first), status(second)) == ("Failed", "InProgress")
    sandbox.clock.advance(30)  # 60 s after it started running, 120 s after it was requested
    described = ssm.get_automation_execution(AutomationExecutionId=second)["AutomationExecution"]
    assert described["AutomationExecutionStatus"] == "Failed"
    assert _to_the_millisecond(described["ExecutionEndTime"]) == _to_the_millisecond(
        started_at + timedelta(seconds=120)
    )
    assert sandbox.automation.counters.refused >= 1
