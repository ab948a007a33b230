"""End to end in the sandbox: one remediation per event and per user, SSM's quota kept, nobody lost.

The sandbox runs one execution at a time (to its end, inside PutEvents), so races are played by
delivering the same event twice in a row, or by seeding the coordination table as another live
execution would have left it (a user's lock, every automation slot taken).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from typer.testing import CliRunner

from deployment.settings import DeploymentSettings
from domain.coordination import slot_member
from domain.runbook import AutomationStatus
from domain.tables import CoordinationTable
from keywarden.cli import app
from keywarden.sandbox import Sandbox
from keywarden.scenario import AutomationSpec, KeySpec, UserSpec

pytestmark = pytest.mark.e2e

STALE_UNUSED = [KeySpec(created_days_ago=120)]
TABLE = ("--table", "keywarden-audit")
runner = CliRunner()
FAILED = AutomationStatus.FAILED


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings(maxConcurrentAutomations=2)) as running:
        yield running


def coordination(sandbox: Sandbox) -> Any:
    return boto3.resource("dynamodb", region_name=sandbox.region).Table(sandbox.stack.coordination_table_name)


def items(sandbox: Sandbox, pk: str) -> list[dict[str, Any]]:
    table = coordination(sandbox)
    return list(table.query(KeyConditionExpression=Key(CoordinationTable.PARTITION_KEY).eq(pk))["Items"])


def slot_holders(sandbox: Sandbox) -> set[str]:
    slots = items(sandbox, CoordinationTable.slots_pk(sandbox.account_id, sandbox.region))
    return set(slots[0].get(CoordinationTable.HOLDERS, set())) if slots else set()


def outcome(sandbox: Sandbox, execution_arn: str) -> str:
    return str(sandbox.audit_items(execution_arn)[0]["outcome"])


def automations(sandbox: Sandbox) -> int:
    return len(sandbox.automation.executions)


def test_the_same_event_delivered_twice_remediates_once_and_records_the_replay(sandbox: Sandbox) -> None:
    """Given alice's NON_COMPLIANT event, When EventBridge delivers it twice (at least once: the same
    event, same id, to a new execution), Then one automation ran, the first execution recorded REMEDIATED,
    the second REPLAYED (naming the first), the owner and the operators heard nothing about the replay."""
    alice = sandbox.add_user(UserSpec(name="alice", keys=STALE_UNUSED))
    [first] = sandbox.put_event(sandbox.compliance_change(alice.user_id))
    sandbox.published("owners")  # read the first remediation's notice
    delivered = json.loads(sandbox.client("stepfunctions").describe_execution(executionArn=first)["input"])
    second = sandbox.start_execution(delivered, name="redelivered")
    assert automations(sandbox) == 1
    assert (outcome(sandbox, first), outcome(sandbox, second)) == ("REMEDIATED", "REPLAYED")
    replay = sandbox.audit_items(second)[0]
    assert (
        f"execution {first.rsplit(':', 1)[-1]} already handled it and recorded REMEDIATED" in replay["reason"]
    )
    assert sandbox.execution(second).status == "SUCCEEDED"
    assert "ReserveAutomationSlot" not in sandbox.execution(second).path
    assert sandbox.published("owners") == []
    assert sandbox.published("operators") == []
    # An auditor finds the replay by its outcome, and the summary counts it.
    replays = runner.invoke(app, ["audit", "history", "--outcome", "replayed", "--format", "json", *TABLE])
    assert replays.exit_code == 0, replays.output
    assert [r["execution_arn"] for r in json.loads(replays.stdout)] == [second]
    summary = runner.invoke(app, ["audit", "summary", "--format", "json", *TABLE])
    assert summary.exit_code == 0, summary.output
    counts = json.loads(summary.stdout)["by_outcome"]
    assert (counts["REMEDIATED"], counts["REPLAYED"], counts["DEFERRED"]) == (1, 1, 0)


def test_an_event_for_a_user_another_live_execution_holds_is_already_in_progress(sandbox: Sandbox) -> None:
    """Given another execution holds bob's lock (seeded as it leaves it while its automation runs),
    When an event for bob arrives, Then ALREADY_IN_PROGRESS is recorded, no automation starts, nobody is
    alerted, and the other execution's lock stays."""
    bob = sandbox.add_user(UserSpec(name="bob", keys=STALE_UNUSED))
    lock = CoordinationTable.lock_pk(sandbox.account_id, bob.user_id)
    now = int(sandbox.clock.now().timestamp())
    coordination(sandbox).put_item(
        Item={"pk": lock, "sk": "LOCK", "holder": "other-live-execution", "lease_until": now + 3600}
    )
    [execution] = sandbox.put_event(sandbox.compliance_change(bob.user_id))
    assert outcome(sandbox, execution) == "ALREADY_IN_PROGRESS"
    assert "is being handled by execution other-live-execution" in sandbox.audit_items(execution)[0]["reason"]
    assert automations(sandbox) == 0
    assert sandbox.published("operators") == []
    assert items(sandbox, lock)[0]["holder"] == "other-live-execution"
    assert sandbox.access_keys("bob") == dict.fromkeys(bob.access_key_ids, "Active")


def test_lock_and_slot_are_given_back_and_a_later_event_remediates_again(sandbox: Sandbox) -> None:
    """Given carol was remediated, When a new event for her arrives later (a new key went stale),
    Then her lock and the slot were given back after the first run, and the second run remediates."""
    carol = sandbox.add_user(UserSpec(name="carol", keys=STALE_UNUSED))
    [first] = sandbox.put_event(sandbox.compliance_change(carol.user_id))
    assert outcome(sandbox, first) == "REMEDIATED"
    assert items(sandbox, CoordinationTable.lock_pk(sandbox.account_id, carol.user_id)) == []
    assert slot_holders(sandbox) == set()
    boto3.client("iam", region_name=sandbox.region).update_access_key(
        UserName="carol", AccessKeyId=carol.access_key_ids[0], Status="Active"
    )
    [second] = sandbox.put_event(sandbox.compliance_change(carol.user_id))
    assert outcome(sandbox, second) == "REMEDIATED"
    assert automations(sandbox) == 2
    assert slot_holders(sandbox) == set()


@pytest.mark.parametrize(
    ("spec", "end"),
    [
        ({"keys": [KeySpec(created_days_ago=10)]}, "NO_CHANGE"),
        (
            {"keys": STALE_UNUSED, "automation": AutomationSpec(final_status=AutomationStatus.FAILED)},
            "FAILED",
        ),
        ({"keys": STALE_UNUSED, "automation": AutomationSpec(duration_seconds=86400)}, "TIMED_OUT"),
    ],
    ids=["NO_CHANGE", "FAILED", "TIMED_OUT"],
)
def test_every_outcome_gives_back_the_lock_and_the_slot(
    sandbox: Sandbox, spec: dict[str, Any], end: str
) -> None:
    """Given a user with nothing stale, a runbook that fails, or one that never ends,
    When remediated, Then the lock and the slot are given back whatever the outcome."""
    dave = sandbox.add_user(UserSpec(name="dave", **spec))
    [execution] = sandbox.put_event(sandbox.compliance_change(dave.user_id))
    assert outcome(sandbox, execution) == end
    assert "ReserveAutomationSlot" in sandbox.execution(execution).path
    assert items(sandbox, CoordinationTable.lock_pk(sandbox.account_id, dave.user_id)) == []
    assert slot_holders(sandbox) == set()


def test_users_waiting_past_the_slot_patience_are_deferred_with_one_alert_for_all(sandbox: Sandbox) -> None:
    """Given every automation slot taken by live executions (maxConcurrentAutomations 2, seeded),
    When three users are flagged within the hour,
    Then each waits out the patience and records DEFERRED with its keys untouched, no automation runs,
    the operators get exactly one alert naming the deferred count, the executions succeed, and each
    user's lock is given back while the live executions keep their slots."""
    reserved_at = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
    live = {slot_member(reserved_at, "live-1"), slot_member(reserved_at, "live-2")}
    coordination(sandbox).put_item(
        Item={
            "pk": CoordinationTable.slots_pk(sandbox.account_id, sandbox.region),
            "sk": "SLOTS",
            "holders": live,
        }
    )
    users = [sandbox.add_user(UserSpec(name=f"user{n}", keys=STALE_UNUSED)) for n in range(3)]
    flagged_at = sandbox.clock.now()
    executions = []
    for user in users:  # a burst: every event at the same instant (the sandbox runs them one by one)
        sandbox.clock.restart_at(flagged_at)
        executions += sandbox.put_event(sandbox.compliance_change(user.user_id))
    assert [outcome(sandbox, e) for e in executions] == ["DEFERRED"] * 3
    record = sandbox.audit_items(executions[0])[0]
    assert "waited for an automation slot longer than the patience allows" in record["reason"]
    assert [k["result"] for k in record["keys"]] == ["NOT_REVOKED"]
    assert automations(sandbox) == 0
    assert [sandbox.execution(e).status for e in executions] == ["SUCCEEDED"] * 3
    [alert] = sandbox.published("operators")
    assert alert.subject == f"[keywarden] 1 remediation deferred in {sandbox.account_id} {sandbox.region}"
    assert "2 of 2 held by keywarden now" in alert.message
    assert slot_holders(sandbox) == live
    for user in users:
        assert items(sandbox, CoordinationTable.lock_pk(sandbox.account_id, user.user_id)) == []
        assert sandbox.access_keys(user.name) == dict.fromkeys(user.access_key_ids, "Active")
