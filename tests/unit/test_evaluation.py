"""Judging a remediation (domain.evaluation.judge): IAM's after-snapshot is the truth. Pure: no fakes."""

from __future__ import annotations

import pytest

from domain.classification import CredentialPolicy
from domain.compliance_event import read_compliance_event
from domain.config_inventory import deleted_user, not_in_config
from domain.credentials import UserSnapshot
from domain.evaluation import CaughtError, Judgement, SlotReservation, WorkflowState, decide_outcome, judge
from domain.preparation import UserLookup
from domain.results import KeyResult, PasswordResult, RemediationOutcome
from domain.runbook import AUTOMATION_FAILED, AutomationProgress
from tests.factories import (
    NOW,
    RULE_NAME,
    automation,
    compliance_event,
    deactivated,
    iam_user,
    key,
    login_profile,
    prepared,
    snapshot,
    started_automation,
    without_password,
)

POLICY = CredentialPolicy(90, 90)
UNUSED = "AKIAUNUSED0000000001"
"""A 120-day-old key never used: the runbook revokes it."""
IN_USE = "AKIAINUSE00000000001"
"""A 120-day-old key used 2 days ago: the runbook leaves it active."""


def remediated(
    before: UserSnapshot, automation_progress: AutomationProgress, after: UserSnapshot | None
) -> Judgement:
    """Judge a REMEDIATE run of `before` whose runbook ended so and left `after` in IAM."""
    state = WorkflowState(prepared=prepared(before), automation=automation_progress)
    return judge(state, snapshot(after), POLICY, NOW)


def results(judgement: Judgement) -> list[tuple[str, KeyResult]]:
    return [(k.access_key_id, k.result) for k in judgement.keys]


class TestRunbookSucceeded:
    def test_a_deactivated_key_is_remediated(self) -> None:
        """Given an unused stale key, When the runbook succeeds and IAM shows it inactive,
        Then the user is REMEDIATED and the reason names the revoked key."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        judgement = remediated(before, automation("Success"), deactivated(before, UNUSED))
        assert judgement.outcome is RemediationOutcome.REMEDIATED
        assert judgement.reason == f"revoked: {UNUSED}"
        assert results(judgement) == [(UNUSED, KeyResult.DEACTIVATED)]

    def test_a_recently_used_stale_key_is_left_active(self) -> None:
        """Given a stale key used 2 days ago, When the runbook succeeds and leaves it active,
        Then the outcome is KEYS_LEFT_ACTIVE and the reason names the key."""
        before = iam_user([key(IN_USE, created_days_ago=120, last_used_days_ago=2)])
        judgement = remediated(before, automation("Success"), before)
        assert judgement.outcome is RemediationOutcome.KEYS_LEFT_ACTIVE
        assert judgement.reason == f"left active because recently used: {IN_USE}"
        assert results(judgement) == [(IN_USE, KeyResult.SKIPPED_RECENTLY_USED)]

    def test_nothing_stale_is_no_change(self) -> None:
        """Given a 10-day-old key used yesterday, When the runbook succeeds,
        Then the outcome is NO_CHANGE."""
        before = iam_user([key(created_days_ago=10, last_used_days_ago=1)])
        judgement = remediated(before, automation("CompletedWithSuccess"), before)
        assert judgement.outcome is RemediationOutcome.NO_CHANGE
        assert judgement.reason == "no stale active credential was found"
        assert [k.result for k in judgement.keys] == [KeyResult.COMPLIANT]

    def test_success_contradicted_by_iam_is_failed(self) -> None:
        """Given an unused stale key,
        When the runbook reports success but IAM still shows the key active,
        Then the remediation is FAILED, the key NOT_REVOKED: the after-snapshot contradicts the runbook."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        judgement = remediated(before, automation("Success"), before)
        assert judgement.outcome is RemediationOutcome.FAILED
        assert judgement.reason == (
            f"the runbook reported success, but key {UNUSED} is still active although unused for the "
            "usage age: the after-snapshot contradicts it"
        )
        assert results(judgement) == [(UNUSED, KeyResult.NOT_REVOKED)]

    def test_a_deleted_console_password_counts_as_revoked(self) -> None:
        """Given a console password unused for 120 days and a young key,
        When the runbook deletes the password,
        Then the user is REMEDIATED with the password DELETED."""
        before = iam_user([key(created_days_ago=10)], profile=login_profile(200, 120))
        judgement = remediated(before, automation("Success"), without_password(before))
        assert (judgement.outcome, judgement.password) == (
            RemediationOutcome.REMEDIATED,
            PasswordResult.DELETED,
        )
        assert judgement.reason == "revoked: console password"

    def test_an_unused_password_left_in_place_is_a_contradiction(self) -> None:
        """Given a console password unused for 120 days, When the runbook succeeds but the password remains,
        Then the remediation is FAILED and the reason names the console password."""
        before = iam_user([], profile=login_profile(200, 120))
        judgement = remediated(before, automation("Success"), before)
        assert (judgement.outcome, judgement.password) == (
            RemediationOutcome.FAILED,
            PasswordResult.NOT_REVOKED,
        )
        assert "the console password is still active" in judgement.reason

    def test_a_recently_used_password_is_kept(self) -> None:
        """Given a console password used 3 days ago, When the runbook succeeds and keeps it,
        Then the password is KEPT_RECENTLY_USED and nothing changed."""
        before = iam_user([], profile=login_profile(200, 3))
        judgement = remediated(before, automation("Success"), before)
        assert (judgement.outcome, judgement.password) == (
            RemediationOutcome.NO_CHANGE,
            PasswordResult.KEPT_RECENTLY_USED,
        )


class TestRunbookFailed:
    @pytest.mark.parametrize("status", sorted(AUTOMATION_FAILED))
    def test_a_failed_runbook_that_left_an_unused_key_active_is_failed(self, status: str) -> None:
        """Given an unused stale key,
        When the runbook ends in a failed status and IAM still shows the key active,
        Then the remediation is FAILED and the reason gives the status, the runbook's message and the key."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        judgement = remediated(before, automation(status, failure="Step timed out"), before)
        assert judgement.outcome is RemediationOutcome.FAILED
        assert judgement.reason == (
            f"automation auto-1 ended {status}: Step timed out; IAM still shows key {UNUSED} active"
        )
        assert results(judgement) == [(UNUSED, KeyResult.NOT_REVOKED)]

    def test_a_failed_runbook_whose_rule_iam_shows_applied_is_judged_by_iam(self) -> None:
        """Given an unused stale key and a young one,
        When the runbook ends Failed but IAM shows the unused key revoked,
        Then the outcome is what IAM shows (REMEDIATED) and the reason still names the runbook's status."""
        before = iam_user(
            [key(UNUSED, created_days_ago=120), key(IN_USE, created_days_ago=10, last_used_days_ago=2)]
        )
        judgement = remediated(
            before, automation("Failed", failure="verify step: key still active"), deactivated(before, UNUSED)
        )
        assert judgement.outcome is RemediationOutcome.REMEDIATED
        assert judgement.reason == (
            f"revoked: {UNUSED} (IAM shows the runbook's rule applied, although automation auto-1 ended "
            "Failed: verify step: key still active)"
        )
        assert results(judgement) == [(UNUSED, KeyResult.DEACTIVATED), (IN_USE, KeyResult.COMPLIANT)]

    def test_a_cancelled_runbook_that_had_nothing_to_revoke_is_judged_by_iam(self) -> None:
        """Given only a recently used stale key, When the runbook is Cancelled and the key is still active,
        Then the key was rightly left active: KEYS_LEFT_ACTIVE, with the runbook's status in the reason."""
        before = iam_user([key(IN_USE, created_days_ago=120, last_used_days_ago=2)])
        judgement = remediated(before, automation("Cancelled"), before)
        assert judgement.outcome is RemediationOutcome.KEYS_LEFT_ACTIVE
        assert judgement.reason.endswith("although automation auto-1 ended Cancelled)")


class TestTimedOut:
    @pytest.mark.parametrize("status", ["InProgress", "Pending", "Waiting", "Cancelling"])
    def test_a_runbook_still_running_at_the_poll_bound_is_timed_out(self, status: str) -> None:
        """Given 40 polls of 15 s, When the last poll still answers a running status,
        Then the remediation is TIMED_OUT and the reason says how long keywarden waited."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        judgement = remediated(before, automation(status, polls=40), before)
        assert judgement.outcome is RemediationOutcome.TIMED_OUT
        assert judgement.reason == (
            f"automation auto-1 still {status} after 40 polls (about 600 s); keywarden stopped waiting"
        )

    def test_without_an_automation_nothing_was_started(self) -> None:
        """Given no automation, When the outcome is decided, Then it is FAILED: no automation was started."""
        assert decide_outcome(None, (), PasswordResult.NO_PASSWORD) == (
            RemediationOutcome.FAILED,
            "no automation was started",
        )


class TestNothingToRemediate:
    def test_a_rejected_event_is_rejected_with_its_reason(self) -> None:
        """Given an event of another rule, When it is judged, Then it is REJECTED with the event's reason."""
        request = read_compliance_event(compliance_event(rule_name="s3-bucket-logging"), RULE_NAME)
        judgement = judge(WorkflowState(prepared=prepared(None, request=request)), None, POLICY, NOW)
        assert judgement.outcome is RemediationOutcome.REJECTED
        assert (
            judgement.reason
            == "rule 's3-bucket-logging' is not keywarden's rule 'keywarden-access-keys-rotated'"
        )

    def test_a_user_unknown_to_config_is_failed_with_the_remedy(self) -> None:
        """Given a recorder that does not record IAM users, When Prepare found no user,
        Then the remediation is FAILED with the lookup's remedy as its reason."""
        lookup = not_in_config("AIDAEXAMPLEUSERID0001", "eu-west-1", [{"recordingGroup": {}}], True)
        judgement = judge(WorkflowState(prepared=prepared(None, lookup=lookup)), None, POLICY, NOW)
        assert judgement.outcome is RemediationOutcome.FAILED
        assert judgement.reason == lookup.reason
        assert "Remedy: record AWS::IAM::User in the configuration recorder of eu-west-1" in judgement.reason

    def test_a_deleted_user_is_user_not_found(self) -> None:
        """Given Config's inventory says the user was deleted,
        When it is judged,
        Then it is USER_NOT_FOUND, with the deletion time."""
        lookup = deleted_user("AIDAEXAMPLEUSERID0001", "2026-11-20T10:00:00+00:00")
        judgement = judge(WorkflowState(prepared=prepared(None, lookup=lookup)), None, POLICY, NOW)
        assert judgement.outcome is RemediationOutcome.USER_NOT_FOUND
        assert judgement.reason == (
            "IAM user AIDAEXAMPLEUSERID0001 was deleted on 2026-11-20T10:00:00+00:00 "
            "(AWS Config's inventory); nothing to remediate"
        )

    def test_a_user_deleted_while_the_runbook_ran_is_user_not_found(self) -> None:
        """Given a user found before, When IAM no longer has it after the runbook,
        Then the outcome is USER_NOT_FOUND, whatever the runbook said."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        judgement = remediated(before, automation("Failed"), None)
        assert judgement.outcome is RemediationOutcome.USER_NOT_FOUND
        assert judgement.reason == "IAM user bob was deleted while the remediation ran"

    def test_a_state_with_neither_preparation_nor_failure_is_refused(self) -> None:
        """Given a state without Prepare's result and without a failure, When judged, Then it is refused."""
        with pytest.raises(ValueError, match="must carry the failure that stopped it"):
            judge(WorkflowState(), None, POLICY, NOW)


class TestFailureBeforeConclude:
    def test_prepare_failed_knows_neither_user_nor_keys(self) -> None:
        """Given Prepare failed (caught), When judged, Then FAILED names Prepare and its error,
        and the user name and keys are listed as unknown."""
        state = WorkflowState(failure=CaughtError(Error="Lambda.Unknown", Cause="Task timed out after 30 s"))
        judgement = judge(state, None, POLICY, NOW)
        assert judgement.outcome is RemediationOutcome.FAILED
        assert judgement.reason == "Prepare failed: Lambda.Unknown: Task timed out after 30 s"
        assert (judgement.keys, judgement.unknown) == ((), ("user_name", "keys"))

    def test_start_automation_failed_knows_the_keys_but_not_the_automation(self) -> None:
        """Given the runbook could not be started (caught), When judged with the after-snapshot,
        Then FAILED names StartAutomation, the keys are judged from IAM, and the automation is unknown."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        state = WorkflowState(
            prepared=prepared(before),
            slot=SlotReservation(reserved=True),
            failure=CaughtError(Error="Ssm.AutomationExecutionLimitExceededException"),
        )
        judgement = judge(state, snapshot(before), POLICY, NOW)
        assert judgement.reason == "StartAutomation failed: Ssm.AutomationExecutionLimitExceededException"
        assert results(judgement) == [(UNUSED, KeyResult.NOT_REVOKED)]
        assert judgement.unknown == ("automation",)

    def test_get_automation_status_failed_still_judges_the_keys(self) -> None:
        """Given polling failed after the runbook started (caught),
        When IAM shows the key revoked,
        Then the remediation is FAILED naming GetAutomationStatus, with the key judged DEACTIVATED."""
        before = iam_user([key(UNUSED, created_days_ago=120)])
        state = WorkflowState(
            prepared=prepared(before),
            automation=started_automation(),
            failure=CaughtError(Error="Ssm.InternalServerErrorException", Cause="Internal error"),
        )
        judgement = judge(state, snapshot(deactivated(before, UNUSED)), POLICY, NOW)
        assert judgement.outcome is RemediationOutcome.FAILED
        assert (
            judgement.reason == "GetAutomationStatus failed: Ssm.InternalServerErrorException: Internal error"
        )
        assert results(judgement) == [(UNUSED, KeyResult.DEACTIVATED)]


def test_a_lookup_without_outcome_and_without_user_is_user_not_found() -> None:
    """Given a Preparation without a user and a lookup without an outcome, When judged,
    Then the user is taken for deleted: USER_NOT_FOUND naming its unique id."""
    state = WorkflowState(prepared=prepared(None, lookup=UserLookup()))
    judgement = judge(state, None, POLICY, NOW)
    assert judgement.outcome is RemediationOutcome.USER_NOT_FOUND
    assert judgement.reason == "no IAM user has the unique id AIDAEXAMPLEUSERID0001; it was probably deleted"
