"""End to end in the local sandbox: Config's event in, keys judged, owner told, outcome recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.iam.models import iam_backends

from deployment.settings import DeploymentSettings
from keywarden.demo import DEMO_SCENARIO
from keywarden.sandbox import Sandbox
from keywarden.scenario import KeySpec, PasswordSpec, Scenario, UserSpec
from keywarden.simulation import SimulationReport, run_scenario

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo() -> SimulationReport:
    return run_scenario(DEMO_SCENARIO)


def by_name(report: SimulationReport, name: str):
    return next(u for u in report.users if u.name == name)


def test_alice_unused_key_is_deactivated_and_recorded(demo: SimulationReport) -> None:
    alice = by_name(demo, "alice")
    assert alice.outcome == "REMEDIATED"
    assert [(k.result, k.status_before, k.status_after) for k in alice.keys] == [
        ("DEACTIVATED", "Active", "Inactive")
    ]
    assert alice.execution_status == "SUCCEEDED"
    assert alice.audit_record is not None
    assert alice.audit_record["user_name"] == "alice"
    assert alice.audit_record["outcome"] == "REMEDIATED"
    assert alice.audit_record["automation"]["status"] == "Success"


def test_bob_key_used_today_is_skipped_and_his_owner_told(demo: SimulationReport) -> None:
    bob = by_name(demo, "bob")
    assert bob.outcome == "KEYS_LEFT_ACTIVE"
    assert [(k.result, k.status_after) for k in bob.keys] == [("SKIPPED_RECENTLY_USED", "Active")]
    assert bob.notified
    assert bob.owner_email == "bob.owner@example.com"
    [note] = [n for n in demo.notifications if n.attributes["user_name"] == "bob" and n.day == 0]
    key_id = bob.keys[0].access_key_id
    assert key_id in note.subject
    assert "120 days" in note.subject
    assert "Last used: " in note.message
    assert "(today), by s3 in eu-west-1" in note.message
    assert note.attributes["owner_email"] == "bob.owner@example.com"
    assert bob.audit_record is not None
    assert bob.audit_record["notification_message_id"]
    assert bob.audit_record["keys"][0]["result"] == "SKIPPED_RECENTLY_USED"


def test_bob_is_reminded_then_rotates_and_his_finding_closes(demo: SimulationReport) -> None:
    """Given the demo's nine days, When bob ignores his first notice until day 9,
    Then the sweep reminds him on day 7 (7 days before the deadline, day 14), and on day 9, the day
    he rotates, closes the finding RESOLVED: the old key deleted, a new one Active."""
    bob = by_name(demo, "bob")
    [finding] = bob.findings
    assert (finding.status, finding.resolution) == ("RESOLVED", "DELETED")
    assert (finding.deadline_day, finding.reminder_days, finding.closed_day) == (14, [7], 9)
    kinds = [(n.day, n.kind) for n in demo.notifications if n.attributes["user_name"] == "bob"]
    assert kinds == [(0, "FIRST_NOTICE"), (7, "REMINDER"), (9, "RESOLVED")]
    assert list(bob.keys_in_iam.values()) == ["Active"]
    assert bob.keys[0].access_key_id not in bob.keys_in_iam
    assert by_name(demo, "alice").findings == []  # her key was deactivated on day 0


def test_a_happy_run_alerts_no_operator(demo: SimulationReport) -> None:
    assert demo.operator_alerts == []


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_a_demo_remediation_is_lean(demo: SimulationReport, name: str) -> None:
    """Given the demo's 30-second runbook polled every 15 s,
    When alice's and bob's remediations run,
    Then each takes 15 state transitions (at most 18) and 2 function invocations (at most 3):
    Prepare and Conclude, with an automation slot reserved, the runbook started once and polled twice."""
    report = by_name(demo, name)
    assert report.execution is not None
    path = report.execution.path
    assert (report.execution.state_transitions, report.execution.function_invocations) == (15, 2)
    assert [state for state in path if state in {"Prepare", "Conclude"}] == ["Prepare", "Conclude"]
    assert path.count("StartAutomation") == 1
    assert path.count("GetAutomationStatus") == 2
    assert report.execution.simulated_seconds == pytest.approx(30, abs=1)


def test_a_user_with_two_keys_and_a_password_gets_one_message_for_everything() -> None:
    report = run_scenario(
        Scenario(
            users=[
                UserSpec(
                    name="carol",
                    tags={"owner": "carol@example.com"},
                    keys=[
                        KeySpec(id="AKIACAROLUNUSED00001", created_days_ago=200, last_used_days_ago=150),
                        KeySpec(id="AKIACAROLINUSE000002", created_days_ago=100, last_used_days_ago=2),
                    ],
                    password=PasswordSpec(created_days_ago=300, last_used_days_ago=120),
                )
            ]
        )
    )
    [carol] = report.users
    assert {k.access_key_id: k.result for k in carol.keys} == {
        "AKIACAROLUNUSED00001": "DEACTIVATED",
        "AKIACAROLINUSE000002": "SKIPPED_RECENTLY_USED",
    }
    assert carol.outcome == "KEYS_LEFT_ACTIVE"
    assert carol.password_deleted
    [note] = report.notifications
    assert "AKIACAROLUNUSED00001: DEACTIVATED" in note.message
    assert "AKIACAROLINUSE000002: STILL ACTIVE" in note.message
    assert "Console password: DELETED" in note.message


def test_compliant_users_start_nothing() -> None:
    report = run_scenario(
        Scenario(
            users=[
                UserSpec(name="dave", keys=[KeySpec(created_days_ago=89)]),
                UserSpec(name="erin", keys=[KeySpec(created_days_ago=300, status="Inactive")]),
            ]
        )
    )
    assert [(u.name, u.outcome, u.execution) for u in report.users] == [
        ("dave", "COMPLIANT", None),
        ("erin", "COMPLIANT", None),
    ]
    assert [k.result for u in report.users for k in u.keys] == ["COMPLIANT", "ALREADY_INACTIVE"]
    assert report.notifications == []


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings()) as running:
        yield running


def test_audit_items_per_key_are_written(sandbox: Sandbox) -> None:
    user = sandbox.add_user(
        UserSpec(name="frank", keys=[KeySpec(id="AKIAFRANK00000000001", created_days_ago=100)])
    )
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    items = sandbox.audit_items(execution)
    assert [i["sk"] for i in items] == ["REMEDIATION", "KEY#AKIAFRANK00000000001"]
    assert items[1]["access_key_id"] == "AKIAFRANK00000000001"
    assert items[1]["result"] == "DEACTIVATED"
    assert sandbox.access_keys("frank") == {"AKIAFRANK00000000001": "Inactive"}


def test_lambda_logs_carry_no_secret_access_key(sandbox: Sandbox) -> None:
    user = sandbox.add_user(UserSpec(name="gina", keys=[KeySpec(created_days_ago=100, last_used_days_ago=1)]))
    secret = iam_backends[sandbox.account_id]["aws"].get_user("gina").access_keys[0].secret_access_key
    sandbox.put_event(sandbox.compliance_change(user.user_id))
    logs = "".join(i.logs for i in sandbox.lambdas.invocations)
    assert "remediation concluded" in logs  # the logs were captured at all
    assert secret not in logs
    assert "SecretAccessKey" not in logs
