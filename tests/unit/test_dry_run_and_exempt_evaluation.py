"""Dry-run and exempt users: predicted results in a real run's words, nothing changed, IAM not read again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.classification import CredentialPolicy
from domain.credentials import KeyStatus
from domain.evaluation import WorkflowState, judge
from domain.exemptions import Exemption, ExemptionCheck
from domain.results import RemediationAction
from lambdas.conclusion import Conclusion, Ports, conclude
from tests.factories import (
    NOW,
    audit_items,
    automation,
    conclude_request,
    conclude_settings,
    deactivated,
    iam_user,
    key,
    login_profile,
    prepared,
    snapshot,
    without_password,
)
from tests.unit.fakes import FakeIAM, FakeNotificationStateTable, FakeOwnerTopic, conclude_ports

POLICY = CredentialPolicy(90, 90)
BOB = iam_user(
    [
        key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120),
        key("AKIAAAAAAAAAAAAAAAA2", created_days_ago=120, last_used_days_ago=3),
        key("AKIAAAAAAAAAAAAAAAA3", created_days_ago=10, last_used_days_ago=1),
        key("AKIAAAAAAAAAAAAAAAA4", created_days_ago=300, status=KeyStatus.INACTIVE),
    ],
    tags={"owner-email": "bob@example.com"},
    profile=login_profile(200, 150),
)
"""One key the runbook revokes, one it leaves active, one young, one inactive; an unused password."""
AFTER_A_REAL_RUN = without_password(deactivated(BOB, "AKIAAAAAAAAAAAAAAAA1"))
EXEMPTION = Exemption(
    user="bob",
    reason="break-glass account",
    added_by="arn:aws:iam::111122223333:role/SecurityAdmin",
    added_at=NOW - timedelta(days=2),
    expires_at=NOW + timedelta(days=20),
)


def run(state: WorkflowState, topic: FakeOwnerTopic | None = None, iam: FakeIAM | None = None) -> Conclusion:
    """Conclude `state`; IAM holds bob as a real run would leave him."""
    ports = conclude_ports(topic=topic)
    iam = iam or FakeIAM(AFTER_A_REAL_RUN)
    return conclude(
        conclude_request(state),
        conclude_settings(),
        Ports(iam, ports.claims, ports.owner_topic, ports.coordination),
    )


def summary(conclusion: Conclusion) -> dict[str, Any]:
    return audit_items(conclusion)[0]


def test_a_dry_run_predicts_what_a_real_run_records() -> None:
    """Given the same user in dry-run mode and in enforcing mode,
    When the dry run is judged from the before-snapshot and the real run from IAM after the runbook,
    Then both give the same per-key and password results, and the dry run says what it would do."""
    dry = judge(WorkflowState(prepared=prepared(BOB, dry_run=True)), None, POLICY, NOW)
    real_state = WorkflowState(prepared=prepared(BOB), automation=automation("Success"))
    real = judge(real_state, snapshot(AFTER_A_REAL_RUN), POLICY, NOW)
    assert dry.outcome.value == "DRY_RUN"
    assert [(k.access_key_id, k.result) for k in dry.keys] == [(k.access_key_id, k.result) for k in real.keys]
    assert dry.password == real.password
    assert [k.status_after for k in dry.keys] == [k.status_before for k in dry.keys]  # nothing changed
    assert dry.reason == (
        "dry-run mode: nothing is changed; would revoke: AKIAAAAAAAAAAAAAAAA1, console password; "
        "would leave active because recently used: AKIAAAAAAAAAAAAAAAA2"
    )
    assert (dry.predicted, real.predicted) == (True, False)


def test_a_dry_run_is_recorded_as_predicted_without_reading_iam_again() -> None:
    """Given dry-run mode, When concluded,
    Then the record says its results are predicted, IAM is not read, and nobody is alerted."""
    iam = FakeIAM(AFTER_A_REAL_RUN)
    conclusion = run(WorkflowState(prepared=prepared(BOB, dry_run=True)), iam=iam)
    record = summary(conclusion)
    assert (record["outcome"], record["results_predicted"]) == ("DRY_RUN", True)
    assert all(item["result_predicted"] for item in audit_items(conclusion)[1:])
    assert (iam.calls, conclusion.operator_alert) == ([], None)


def test_a_dry_run_tells_the_owner_what_would_happen() -> None:
    """Given dry-run mode,
    When concluded,
    Then the owner is told what enforcement would do, and the claims are kept apart from a real run's."""
    topic = FakeOwnerTopic()
    table = FakeNotificationStateTable()
    state = WorkflowState(prepared=prepared(BOB, dry_run=True))
    conclude(conclude_request(state), conclude_settings(), conclude_ports(table=table, topic=topic))
    [notice] = topic.published
    assert notice.subject.startswith(
        "[keywarden dry run] Action needed: rotate access key AKIAAAAAAAAAAAAAAAA2"
    )
    assert "dry-run mode: it changed nothing" in notice.text
    assert "AKIAAAAAAAAAAAAAAAA1: WOULD BE DEACTIVATED (dry run: not changed yet)" in notice.text
    assert "Console password: WOULD BE DELETED (dry run: not changed yet)" in notice.text
    assert {item["result"] for item in table.items.values()} == {
        "DRY_RUN:DEACTIVATED",
        "DRY_RUN:SKIPPED_RECENTLY_USED",
        "DRY_RUN:DELETED",
    }


def test_an_exempt_user_is_recorded_with_the_exemption_and_not_notified() -> None:
    """Given an active exemption for bob,
    When concluded,
    Then the record is EXEMPT with the exemption and predicted results; nobody is told or alerted."""
    topic = FakeOwnerTopic()
    conclusion = run(
        WorkflowState(prepared=prepared(BOB, exemptions=ExemptionCheck(applied=EXEMPTION))), topic
    )
    assert conclusion.outcome.value == "EXEMPT"
    assert conclusion.reason == (
        "exempt until 2026-12-18 12:00 UTC by 'bob': break-glass account "
        "(added by arn:aws:iam::111122223333:role/SecurityAdmin)"
    )
    assert (topic.published, conclusion.notified, conclusion.operator_alert) == ([], False, None)
    record = summary(conclusion)
    assert record["exemption"] == {
        "user": "bob",
        "reason": "break-glass account",
        "added_by": "arn:aws:iam::111122223333:role/SecurityAdmin",
        "added_at": "2026-11-26T12:00:00Z",
        "expires_at": "2026-12-18T12:00:00Z",
        "status": "applied",
    }
    assert record["results_predicted"] is True
    assert [k["result"] for k in record["keys"]] == [
        "DEACTIVATED",
        "SKIPPED_RECENTLY_USED",
        "COMPLIANT",
        "ALREADY_INACTIVE",
    ]


def test_an_expired_exemption_is_said_in_the_record_of_a_real_run() -> None:
    """Given bob's exemption expired yesterday,
    When the runbook remediates bob,
    Then the record of the real run names the expired exemption, and its reason says it no longer applies."""
    expired = EXEMPTION.model_copy(update={"expires_at": NOW - timedelta(days=1)})
    preparation = prepared(BOB, exemptions=ExemptionCheck(expired=expired))
    assert preparation.decision is not None
    assert preparation.decision.action is RemediationAction.REMEDIATE
    record = summary(run(WorkflowState(prepared=preparation, automation=automation("Success"))))
    assert record["outcome"] == "KEYS_LEFT_ACTIVE"
    assert record["exemption"]["status"] == "expired"
    assert record["reason"] == (
        "left active because recently used: AKIAAAAAAAAAAAAAAAA2; exemption 'bob' (break-glass account) "
        "expired on 2026-11-27 12:00 UTC and no longer applies"
    )


def test_an_exemption_granted_too_long_is_ignored_and_said() -> None:
    """Given an exemption of bob granted for a year (the limit is 90 days),
    When bob is remediated,
    Then the exemption is ignored and the record says so."""
    too_long = EXEMPTION.model_copy(update={"expires_at": NOW + timedelta(days=365)})
    preparation = prepared(BOB, exemptions=ExemptionCheck(too_long=too_long))
    record = summary(run(WorkflowState(prepared=preparation, automation=automation("Success"))))
    assert record["exemption"]["status"] == "ignored: granted for longer than allowed"
    assert record["reason"].endswith(
        "exemption 'bob' (break-glass account) was granted for longer than the allowed 90 days and is ignored"
    )
