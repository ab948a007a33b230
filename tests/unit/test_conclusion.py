"""The Conclude step (lambdas.conclusion.conclude): the audit items and the operators' alert.

IAM, the notification-state table and the owners' topic are in-memory fakes (tests/unit/fakes.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from domain.compliance_event import read_compliance_event
from domain.config_inventory import deleted_user, not_in_config
from domain.credentials import UserSnapshot
from domain.evaluation import CaughtError, SlotReservation, WorkflowState
from domain.preparation import prepare
from domain.tables import AuditTable
from lambdas.conclusion import Conclusion, Ports, conclude
from lambdas.settings import ConcludeSettings
from tests.factories import (
    ACCOUNT_ID,
    EXECUTION_ARN,
    NOW,
    RULE_NAME,
    USER_ID,
    audit_items,
    automation,
    compliance_event,
    conclude_request,
    conclude_settings,
    deactivated,
    iam_user,
    key,
    prepared,
    started_automation,
)
from tests.unit.fakes import FakeIAM, conclude_ports

SETTINGS = conclude_settings()
UNUSED = "AKIAUNUSED0000000001"
IN_USE = "AKIAINUSE00000000001"
BOB = iam_user([key(UNUSED, created_days_ago=120)], tags={"owner-email": "bob@example.com"})


def run(
    state: WorkflowState,
    *after: UserSnapshot,
    settings: ConcludeSettings = SETTINGS,
    ports: Ports | None = None,
    execution_input: Any = None,
) -> Conclusion:
    """Conclude `state`, with IAM holding `after` (the users as the after-snapshot reads them)."""
    request = conclude_request(state, execution_input=execution_input)
    return conclude(request, settings, ports or conclude_ports(*after))


def summary(conclusion: Conclusion) -> dict[str, Any]:
    return audit_items(conclusion)[0]


def remediation(before: UserSnapshot, status: str, failure: str | None = None) -> WorkflowState:
    return WorkflowState(prepared=prepared(before), automation=automation(status, failure=failure))


class TestAuditItems:
    def test_one_summary_item_and_one_item_per_key(self) -> None:
        """Given a user with an unused and a recently used stale key,
        When the runbook deactivates the unused one,
        Then one summary item carries the user, account, outcome and index keys, and one item per key
        carries the key id, each kind of item only its own index attributes."""
        before = iam_user(
            [key(UNUSED, created_days_ago=120), key(IN_USE, created_days_ago=120, last_used_days_ago=2)],
            tags={"owner": "bob@example.com"},
        )
        record, *key_items = audit_items(run(remediation(before, "Success"), deactivated(before, UNUSED)))
        assert (record["pk"], record["sk"]) == ("REMEDIATION#run-1", "REMEDIATION")
        assert record["outcome"] == "KEYS_LEFT_ACTIVE"
        assert (record["user_name"], record["user_id"], record["account_id"]) == ("bob", USER_ID, ACCOUNT_ID)
        assert record["recorded_at"] == "2026-11-28T12:00:00.000Z"  # UTC, milliseconds: sorts as text
        assert record["automation"] == {"execution_id": "auto-1", "status": "Success", "polls": 2}
        assert record["owner"]["email"] == "bob@example.com"
        assert record["owner"]["source"] == "tag:owner"
        assert [k["result"] for k in record["keys"]] == ["DEACTIVATED", "SKIPPED_RECENTLY_USED"]
        assert record["event"] == {
            "rule_name": RULE_NAME,
            "event_id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "event_time": "2026-11-28T11:58:00+00:00",
        }
        assert "expires_at" not in record
        assert "access_key_id" not in record
        assert [(i["sk"], i["access_key_id"], i["result"]) for i in key_items] == [
            (f"KEY#{UNUSED}", UNUSED, "DEACTIVATED"),
            (f"KEY#{IN_USE}", IN_USE, "SKIPPED_RECENTLY_USED"),
        ]
        assert all("user_name" not in i and "outcome" not in i for i in key_items)
        assert key_items[0]["user"] == {"user_name": "bob", "user_id": USER_ID}
        assert key_items[0]["remediation_outcome"] == "KEYS_LEFT_ACTIVE"
        assert key_items[0]["execution_arn"] == EXECUTION_ARN

    def test_account_and_outcome_partitions_are_sharded_per_remediation(self) -> None:
        """Given any remediation, When recorded,
        Then its account and outcome index keys carry the execution's shard, and shards spread evenly."""
        record = summary(run(remediation(BOB, "Success"), deactivated(BOB, UNUSED)))
        shard = AuditTable.shard_of("run-1")
        assert record["account_shard"] == f"{ACCOUNT_ID}#{shard}"
        assert record["outcome_shard"] == f"REMEDIATED#{shard}"
        assert {AuditTable.shard_of(f"run-{n}") for n in range(200)} == set(range(AuditTable.INDEX_SHARDS))

    def test_an_input_without_account_is_filed_under_the_workflow_account(self) -> None:
        """Given an execution input that is not an event at all, When it is concluded,
        Then the REJECTED record is filed under the workflow's own account (from the execution ARN)."""
        request = read_compliance_event("not JSON", RULE_NAME)
        record = summary(run(WorkflowState(prepared=prepare(request, None, None, None, False, 90))))
        assert (record["outcome"], record["account_id"]) == ("REJECTED", ACCOUNT_ID)
        assert record["account_shard"].startswith(f"{ACCOUNT_ID}#")

    def test_a_retention_sets_the_ttl_attribute(self) -> None:
        """Given a 400-day record retention, When recorded, Then every item expires 400 days from now."""
        items = audit_items(
            run(
                remediation(BOB, "Success"),
                deactivated(BOB, UNUSED),
                settings=conclude_settings(retention_days=400),
            )
        )
        assert {i["expires_at"] for i in items} == {int((NOW + timedelta(days=400)).timestamp())}

    def test_the_items_are_puts_of_one_transaction_that_never_overwrite(self) -> None:
        """Given a remediation with one key, When concluded,
        Then the workflow gets one Put per item for the audit table, each only if absent, in DynamoDB's form,
        and the summary item's key for ConfirmRecorded."""
        conclusion = run(remediation(BOB, "Success"), deactivated(BOB, UNUSED))
        assert [put["Put"]["TableName"] for put in conclusion.transact_items] == ["keywarden-audit"] * 2
        assert {put["Put"]["ConditionExpression"] for put in conclusion.transact_items} == {
            "attribute_not_exists(pk)"
        }
        assert conclusion.transact_items[0]["Put"]["Item"]["pk"] == {"S": "REMEDIATION#run-1"}
        assert conclusion.summary_key == {"pk": {"S": "REMEDIATION#run-1"}, "sk": {"S": "REMEDIATION"}}


class TestOperatorAlert:
    def test_a_failed_runbook_that_left_an_unused_key_active_alerts_the_operators(self) -> None:
        """Given an unused stale key, When the runbook ends Failed and IAM still shows the key active,
        Then the outcome is FAILED and the operators get the outcome, reason, account, user and execution."""
        conclusion = run(remediation(BOB, "Failed", failure="Step timed out"), BOB)
        reason = f"automation auto-1 ended Failed: Step timed out; IAM still shows key {UNUSED} active"
        assert (conclusion.outcome.value, conclusion.reason) == ("FAILED", reason)
        assert conclusion.operator_alert is not None
        assert conclusion.operator_alert.subject == "[keywarden] Remediation FAILED for IAM user bob"
        assert conclusion.operator_alert.message == (
            f"Outcome: FAILED\nReason: {reason}\nAccount: {ACCOUNT_ID}\nUser: bob\n"
            f"Execution: {EXECUTION_ARN}\n"
        )
        assert conclusion.operator_alert.error == "keywarden.FAILED"

    def test_a_failed_runbook_whose_rule_iam_shows_applied_alerts_nobody(self) -> None:
        """Given an unused stale key, When the runbook ends Failed but IAM shows the key revoked,
        Then IAM decides: REMEDIATED, the runbook's status kept in the reason and the record, no alert."""
        conclusion = run(remediation(BOB, "Failed", failure="verify step failed"), deactivated(BOB, UNUSED))
        assert conclusion.outcome.value == "REMEDIATED"
        assert "although automation auto-1 ended Failed: verify step failed" in conclusion.reason
        assert conclusion.operator_alert is None
        assert summary(conclusion)["automation"]["status"] == "Failed"

    def test_a_runbook_still_running_at_the_poll_bound_alerts_as_timed_out(self) -> None:
        """Given the last of 40 polls still InProgress,
        When concluded,
        Then the operators get a TIMED_OUT alert."""
        state = WorkflowState(prepared=prepared(BOB), automation=automation("InProgress", polls=40))
        alert = run(state, BOB).operator_alert
        assert alert is not None
        assert (alert.subject, alert.error) == (
            "[keywarden] Remediation TIMED_OUT for IAM user bob",
            "keywarden.TIMED_OUT",
        )

    def test_a_rejected_event_is_recorded_without_a_user_and_alerts(self) -> None:
        """Given an event that turned COMPLIANT, When concluded,
        Then it is recorded as REJECTED with nothing to index under a user, and the operators are alerted."""
        request = read_compliance_event(compliance_event(compliance_type="COMPLIANT"), RULE_NAME)
        conclusion = run(WorkflowState(prepared=prepare(request, None, None, None, False, 90)))
        assert conclusion.reason == "compliance type is 'COMPLIANT', not NON_COMPLIANT"
        assert conclusion.operator_alert is not None
        assert conclusion.operator_alert.subject == "[keywarden] Remediation REJECTED"
        assert f"User: {USER_ID}\n" in conclusion.operator_alert.message
        record = summary(conclusion)
        assert record["outcome"] == "REJECTED"
        assert "user_name" not in record

    @pytest.mark.parametrize(
        ("before", "after", "outcome"),
        [
            (BOB, deactivated(BOB, UNUSED), "REMEDIATED"),
            (
                iam_user([key(IN_USE, last_used_days_ago=2)]),
                iam_user([key(IN_USE, last_used_days_ago=2)]),
                "KEYS_LEFT_ACTIVE",
            ),
            (iam_user([key(created_days_ago=10)]), iam_user([key(created_days_ago=10)]), "NO_CHANGE"),
        ],
    )
    def test_outcomes_that_need_nobody_alert_nobody(
        self, before: UserSnapshot, after: UserSnapshot, outcome: str
    ) -> None:
        """Given a runbook that succeeded, When IAM agrees with it, Then there is no operator alert."""
        conclusion = run(remediation(before, "Success"), after)
        assert (conclusion.outcome.value, conclusion.operator_alert) == (outcome, None)

    def test_the_alert_subject_fits_sns_for_the_longest_user_name(self) -> None:
        """Given an IAM user name of 64 characters (IAM's maximum),
        When the runbook fails for it,
        Then the operator alert's subject still fits SNS (at most 100 characters)."""
        long_named = iam_user([key(UNUSED, created_days_ago=120)], user_name="u" * 64)
        alert = run(remediation(long_named, "Failed"), long_named).operator_alert
        assert alert is not None
        assert len(alert.subject) <= 100


class TestFailureBeforeConclude:
    @pytest.mark.parametrize(
        ("state", "error", "known", "unknown"),
        [
            (
                WorkflowState(failure=CaughtError(Error="Lambda.Unknown", Cause="Task timed out after 30 s")),
                "Prepare failed: Lambda.Unknown: Task timed out after 30 s",
                {"user_id": USER_ID},
                ["user_name", "keys"],
            ),
            (
                WorkflowState(
                    prepared=prepared(BOB),
                    slot=SlotReservation(reserved=True),
                    failure=CaughtError(Error="Ssm.AutomationExecutionLimitExceededException"),
                ),
                "StartAutomation failed: Ssm.AutomationExecutionLimitExceededException",
                {"user_id": USER_ID, "user_name": "bob", "key_results": ["NOT_REVOKED"]},
                ["automation"],
            ),
            (
                WorkflowState(
                    prepared=prepared(BOB),
                    automation=started_automation(),
                    failure=CaughtError(Error="Ssm.InternalServerErrorException", Cause="Internal error"),
                ),
                "GetAutomationStatus failed: Ssm.InternalServerErrorException: Internal error",
                {
                    "user_id": USER_ID,
                    "user_name": "bob",
                    "key_results": ["NOT_REVOKED"],
                    "automation": {"execution_id": "auto-1", "polls": 0},
                },
                ["automation_status"],
            ),
        ],
        ids=["Prepare", "StartAutomation", "GetAutomationStatus"],
    )
    def test_a_caught_failure_is_failed_with_what_was_known_and_what_was_not(
        self, state: WorkflowState, error: str, known: dict[str, Any], unknown: list[str]
    ) -> None:
        """Given a step before Conclude failed and its Catch led to Conclude,
        When concluded,
        Then the record is FAILED naming the step and its error, keeps what was known by then, lists what was
        not, and the operators are alerted with the step's own error."""
        conclusion = run(state, BOB)
        record = summary(conclusion)
        assert (record["outcome"], record["reason"]) == ("FAILED", error)
        recorded: dict[str, Any] = {
            name: record[name] for name in ("user_id", "user_name", "automation") if name in record
        }
        if record.get("keys"):
            recorded["key_results"] = [k["result"] for k in record["keys"]]
        assert recorded == known
        assert record.get("unknown", []) == unknown
        assert conclusion.operator_alert is not None
        assert state.failure is not None
        assert conclusion.operator_alert.error == state.failure.Error

    def test_prepare_failed_recovers_the_user_from_the_raw_input(self) -> None:
        """Given Prepare failed before returning anything,
        When concluded with the execution's raw input,
        Then the record and the alert name the flagged user's id, account and region read from that input."""
        conclusion = run(WorkflowState(failure=CaughtError(Error="Lambda.Unknown")), BOB)
        record = summary(conclusion)
        assert (record["user_id"], record["account_id"], record["region"]) == (
            USER_ID,
            ACCOUNT_ID,
            "eu-west-1",
        )
        assert conclusion.operator_alert is not None
        assert f"User: {USER_ID}\n" in conclusion.operator_alert.message
        assert conclusion.operator_alert.message.endswith("Unknown: user_name, keys\n")

    def test_prepare_failed_on_an_unreadable_input_lists_the_user_id_as_unknown(self) -> None:
        """Given Prepare failed and the execution's input is not an event,
        When concluded,
        Then the user id is unknown too, and the record is filed under the workflow's account."""
        conclusion = run(
            WorkflowState(failure=CaughtError(Error="Lambda.Unknown")), execution_input=["not", "an", "event"]
        )
        record = summary(conclusion)
        assert record["unknown"] == ["user_id", "user_name", "keys"]
        assert record["account_id"] == ACCOUNT_ID
        assert conclusion.operator_alert is not None
        assert "User: unknown\n" in conclusion.operator_alert.message

    def test_a_user_unknown_to_config_is_failed_with_the_remedy_and_alerts(self) -> None:
        """Given Prepare found the user in no recorder's inventory (RECORD_ONLY),
        When concluded,
        Then it is FAILED with the remedy in the reason, IAM is not read, and the operators are alerted."""
        lookup = not_in_config(USER_ID, "eu-west-1", [], True)
        iam = FakeIAM(BOB)
        ports = conclude_ports()
        conclusion = run(
            WorkflowState(prepared=prepared(None, lookup=lookup)),
            ports=replace(ports, iam=iam),
        )
        assert conclusion.outcome.value == "FAILED"
        assert "Remedy: record AWS::IAM::User in the configuration recorder of eu-west-1" in conclusion.reason
        assert conclusion.operator_alert is not None
        assert conclusion.operator_alert.error == "keywarden.FAILED"
        assert iam.calls == []

    def test_a_deleted_user_is_recorded_without_alert(self) -> None:
        """Given Config's inventory says the user was deleted,
        When concluded,
        Then the record is USER_NOT_FOUND under the user's id, and nobody is alerted."""
        lookup = deleted_user(USER_ID, "2026-11-20T10:00:00+00:00")
        conclusion = run(WorkflowState(prepared=prepared(None, lookup=lookup)))
        record = summary(conclusion)
        assert (record["outcome"], record["user_id"]) == ("USER_NOT_FOUND", USER_ID)
        assert conclusion.operator_alert is None

    def test_a_user_deleted_while_the_runbook_ran_is_recorded_without_alert(self) -> None:
        """Given a user found by Prepare, When IAM no longer has it after the runbook,
        Then the record is USER_NOT_FOUND and nobody is alerted."""
        conclusion = run(remediation(BOB, "Success"))
        assert (conclusion.outcome.value, conclusion.operator_alert) == ("USER_NOT_FOUND", None)
        assert conclusion.reason == "IAM user bob was deleted while the remediation ran"

    def test_iam_unreadable_after_the_runbook_fails_conclude_itself(self) -> None:
        """Given IAM refuses the after-snapshot, When concluded,
        Then Conclude fails (its Catch records the failure) instead of recording a guess."""
        ports = conclude_ports()
        failing = Ports(
            FakeIAM(BOB, error="AccessDenied"), ports.claims, ports.owner_topic, ports.coordination
        )
        with pytest.raises(ClientError, match="AccessDenied"):
            run(remediation(BOB, "Success"), ports=failing)
