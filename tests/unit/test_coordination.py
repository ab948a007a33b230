"""One remediation per event and per user, slots given back, deferred users alerted once an hour.

The decisions (domain/coordination.py) and how Prepare and Conclude apply them to the coordination
table (lambdas/coordination.py), over an in-memory table (tests/unit/fakes.py: FakeCoordination).
"""

from __future__ import annotations

from datetime import timedelta

from domain.coordination import LEASE, Admission, slot_member, slots_to_release
from domain.evaluation import CaughtError, SlotReservation, WorkflowState, judge
from domain.preparation import PreparedAction, prepare
from domain.results import RemediationOutcome
from domain.runbook import AutomationProgress
from domain.tables import CoordinationTable
from lambdas.conclusion import conclude
from lambdas.coordination import admit
from tests.factories import (
    ACCOUNT_ID,
    NOW,
    USER_ID,
    accepted_request,
    automation,
    conclude_request,
    conclude_settings,
    deactivated,
    iam_user,
    key,
    prepared,
    snapshot,
)
from tests.unit.fakes import FakeCoordination, conclude_ports

EVENT_ID = "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
BOB = iam_user([key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120)])
SLOTS = CoordinationTable.slots_pk(ACCOUNT_ID, "eu-west-1")
LOCK = (CoordinationTable.lock_pk(ACCOUNT_ID, USER_ID), CoordinationTable.LOCK_SK)
SLOT_TAKEN = CaughtError(
    Error="DynamoDb.ConditionalCheckFailedException", Cause="The conditional request failed"
)


def admitted(store: FakeCoordination, execution: str) -> Admission:
    return admit(store, EVENT_ID, ACCOUNT_ID, USER_ID, execution, NOW)


class TestAdmission:
    def test_the_first_delivery_claims_the_event_and_locks_the_user(self) -> None:
        # Given an empty coordination table
        store = FakeCoordination()

        # When the first delivery of an event is admitted
        # Then it claims the event and locks the user for its execution
        assert admitted(store, "run-1") == Admission(event_claimed=True, lock_held=True)
        assert store.items[LOCK]["holder"] == "run-1"

    def test_a_retried_prepare_of_the_same_execution_is_admitted_again(self) -> None:
        # Given run-1 was admitted
        store = FakeCoordination()
        admitted(store, "run-1")

        # When Prepare retries in the same execution, Then it is admitted again
        assert admitted(store, "run-1").admitted

    def test_a_second_delivery_after_the_outcome_was_recorded_is_replayed(self) -> None:
        """Given run-1 handled the event and recorded REMEDIATED, When the same event id arrives again,
        Then the new execution is REPLAYED, naming run-1 and its outcome, and holds nothing."""
        store = FakeCoordination()
        admitted(store, "run-1")
        store.record_outcome(CoordinationTable.event_pk(EVENT_ID), "run-1", "REMEDIATED")
        replay = admitted(store, "run-2")
        assert replay.outcome is RemediationOutcome.REPLAYED
        assert "execution run-1 already handled it and recorded REMEDIATED" in replay.reason
        assert (replay.event_claimed, replay.lock_held) == (False, False)

    def test_a_second_delivery_while_the_first_runs_is_already_in_progress(self) -> None:
        # Given run-1 was admitted and is still running
        store = FakeCoordination()
        admitted(store, "run-1")

        # When the same event arrives for run-2
        second = admitted(store, "run-2")

        # Then it is already in progress, naming run-1
        assert second.outcome is RemediationOutcome.ALREADY_IN_PROGRESS
        assert f"event {EVENT_ID} is being handled by execution run-1" in second.reason

    def test_another_event_for_a_locked_user_is_already_in_progress(self) -> None:
        """Given run-1 holds bob's lock, When another event for bob arrives,
        Then it is ALREADY_IN_PROGRESS (its own event claimed, so a replay of it is REPLAYED)."""
        store = FakeCoordination()
        admitted(store, "run-1")
        other = admit(store, "another-event", ACCOUNT_ID, USER_ID, "run-2", NOW)
        assert other.outcome is RemediationOutcome.ALREADY_IN_PROGRESS
        assert f"IAM user {USER_ID} is being handled by execution run-1" in other.reason
        assert (other.event_claimed, other.lock_held) == (True, False)

    def test_a_lock_whose_lease_is_over_is_taken_by_the_next_event(self) -> None:
        """Given run-1 died holding bob's lock, When an event arrives after the lease, Then it is admitted."""
        store = FakeCoordination()
        admitted(store, "run-1")
        later = admit(
            store, "another-event", ACCOUNT_ID, USER_ID, "run-2", NOW + LEASE + timedelta(seconds=1)
        )
        assert later.admitted
        assert store.items[LOCK]["holder"] == "run-2"

    def test_a_refused_admission_records_only_and_needs_no_user(self) -> None:
        # Given an admission refused as a replay
        refused = Admission(outcome=RemediationOutcome.REPLAYED, reason="replayed")

        # When Prepare runs without a user
        preparation = prepare(accepted_request(), None, None, None, False, 90, refused)

        # Then it only records, and the judgement is the refusal with its reason
        assert preparation.action is PreparedAction.RECORD_ONLY
        judgement = judge(WorkflowState(prepared=preparation), None, conclude_settings().policy, NOW)
        assert (judgement.outcome, judgement.reason) == (RemediationOutcome.REPLAYED, "replayed")


def test_a_finishing_execution_gives_back_its_slot_and_every_slot_past_its_lease() -> None:
    # Given run-1's own slot, another running one and one whose lease is over
    mine = slot_member("2026-11-28T11:59:00.000Z", "run-1")
    running = slot_member("2026-11-28T11:00:00.000Z", "run-2")
    dead = slot_member((NOW - LEASE).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "run-0")

    # When run-1 finishes, Then its slot and the dead one are given back
    assert slots_to_release({mine, running, dead}, "run-1", NOW) == {mine, dead}


def remediating(store: FakeCoordination, execution: str) -> WorkflowState:
    """Prepare's answer for bob in `execution`, its admission taken in `store`."""
    event_id = f"event-of-{execution}"
    admission = admit(store, event_id, ACCOUNT_ID, USER_ID, execution, NOW)
    request = accepted_request().model_copy(update={"event_id": event_id})
    preparation = prepared(BOB, request=request).model_copy(update={"admission": admission})
    return WorkflowState(prepared=preparation)


class TestConclude:
    def test_the_lock_and_the_slot_are_given_back_and_the_event_keeps_its_outcome(self) -> None:
        """Given run-1 locked bob, reserved a slot beside another execution's, and remediated,
        When Conclude runs, Then bob's lock is free, only run-1's slot is given back, and the event's claim
        holds the outcome (a replay of it is REPLAYED)."""
        store = FakeCoordination()
        state = remediating(store, "run-1").model_copy(
            update={"slot": SlotReservation(reserved=True), "automation": automation("Success")}
        )
        other = slot_member("2026-11-28T11:58:00.000Z", "run-2")
        store.items[(SLOTS, CoordinationTable.SLOTS_SK)] = {
            "holders": {slot_member("2026-11-28T11:59:00.000Z", "run-1"), other}
        }
        after = deactivated(BOB, "AKIAAAAAAAAAAAAAAAA1")
        result = conclude(
            conclude_request(state, execution_name="run-1"),
            conclude_settings(),
            conclude_ports(after, coordination=store),
        )
        assert result.outcome is RemediationOutcome.REMEDIATED
        assert LOCK not in store.items
        assert store.slot_holders(SLOTS) == {other}
        event = store.items[(CoordinationTable.event_pk("event-of-run-1"), CoordinationTable.EVENT_SK)]
        assert event["outcome"] == result.outcome.value
        assert admit(store, "event-of-run-1", ACCOUNT_ID, USER_ID, "run-3", NOW).outcome is (
            RemediationOutcome.REPLAYED
        )

    def test_a_prepare_that_failed_after_locking_the_user_still_has_its_lock_given_back(self) -> None:
        """Given Prepare claimed the event and locked the user, then failed (IAM denied it),
        When Conclude records FAILED from the execution's input, Then the lock is free again and the
        event's claim holds FAILED."""
        store = FakeCoordination()
        admit(store, EVENT_ID, ACCOUNT_ID, USER_ID, "run-1", NOW)
        state = WorkflowState(failure=CaughtError(Error="AccessDenied", Cause="iam:GetUser"))
        result = conclude(
            conclude_request(state, execution_name="run-1"),
            conclude_settings(),
            conclude_ports(coordination=store),
        )
        assert result.outcome is RemediationOutcome.FAILED
        assert LOCK not in store.items
        assert (
            store.items[(CoordinationTable.event_pk(EVENT_ID), CoordinationTable.EVENT_SK)]["outcome"]
            == "FAILED"
        )

    def test_a_replayed_execution_touches_neither_the_claim_nor_the_lock_of_another(self) -> None:
        # Given run-1 holds the event and the lock, and run-2 is refused as a replay of it
        store = FakeCoordination()
        admit(store, EVENT_ID, ACCOUNT_ID, USER_ID, "run-1", NOW)
        replay = admit(store, EVENT_ID, ACCOUNT_ID, USER_ID, "run-2", NOW)
        preparation = prepare(accepted_request(), None, None, None, False, 90, replay)

        # When run-2 concludes
        request = conclude_request(WorkflowState(prepared=preparation), execution_name="run-2")
        result = conclude(request, conclude_settings(), conclude_ports(coordination=store))

        # Then it is already in progress, run-1 keeps its lock, and the event has no outcome yet
        assert result.outcome is RemediationOutcome.ALREADY_IN_PROGRESS
        assert store.items[LOCK]["holder"] == "run-1"
        assert (
            "outcome" not in store.items[(CoordinationTable.event_pk(EVENT_ID), CoordinationTable.EVENT_SK)]
        )

    def test_a_slot_never_freed_is_deferred_nothing_changed_and_not_a_failure(self) -> None:
        """Given ReserveAutomationSlot ran out of patience, When Conclude runs,
        Then the outcome is DEFERRED with the step, the error and the next step, the key is NOT_REVOKED,
        no automation is said unknown, the owner is not told, and the alert fails no execution."""
        store = FakeCoordination()
        state = remediating(store, "run-1").model_copy(update={"failure": SLOT_TAKEN})
        result = conclude(
            conclude_request(state, execution_name="run-1"),
            conclude_settings(),
            conclude_ports(BOB, coordination=store),
        )
        assert result.outcome is RemediationOutcome.DEFERRED
        assert result.reason.startswith(
            "ReserveAutomationSlot failed: DynamoDb.ConditionalCheckFailedException; "
            "waited for an automation slot longer than the patience allows"
        )
        assert result.reason.endswith("nothing was changed: the next sweep retries")
        assert [k.result.value for k in result.keys] == ["NOT_REVOKED"]
        assert not result.notified
        assert result.operator_alert is not None
        assert (result.operator_alert.fails_execution, result.operator_alert.error) == (
            False,
            "keywarden.DEFERRED",
        )
        assert LOCK not in store.items

    def test_several_deferred_users_in_an_hour_raise_one_alert_naming_how_many(self) -> None:
        """Given three users deferred within the hour, then one more an hour after the alert,
        When each concludes, Then only the first and the fourth alert; the fourth names the 3 since."""
        store = FakeCoordination()
        alerts = []
        for minute, execution in ((0, "run-1"), (10, "run-2"), (50, "run-3"), (61, "run-4")):
            state = remediating(store, execution).model_copy(update={"failure": SLOT_TAKEN})
            request = conclude_request(state, execution_name=execution, at=NOW + timedelta(minutes=minute))
            alerts.append(
                conclude(request, conclude_settings(), conclude_ports(BOB, coordination=store)).operator_alert
            )
        assert [a is not None for a in alerts] == [True, False, False, True]
        assert alerts[0] is not None
        assert alerts[3] is not None
        assert alerts[0].subject == f"[keywarden] 1 remediation deferred in {ACCOUNT_ID} eu-west-1"
        assert alerts[3].subject == f"[keywarden] 3 remediations deferred in {ACCOUNT_ID} eu-west-1"
        assert "(4 deferred in all)" in alerts[3].message


def test_an_automation_still_queued_past_the_queue_patience_is_deferred_not_timed_out() -> None:
    """Given SSM kept the automation Pending for every queued poll, When judged,
    Then DEFERRED (queue time is no runbook timeout); one poll short of it, the loop would have gone on."""
    queued = AutomationProgress.model_validate(
        {
            **automation("Pending", polls=1).model_dump(mode="json", by_alias=True),
            "queued": {"number": 360, "max": 360},
        }
    )
    state = WorkflowState(prepared=prepared(BOB), slot=SlotReservation(reserved=True), automation=queued)
    judgement = judge(state, snapshot(BOB), conclude_settings().policy, NOW)
    assert judgement.outcome is RemediationOutcome.DEFERRED
    assert "still queued (Pending) by SSM after 360 queued polls" in judgement.reason
