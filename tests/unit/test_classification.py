"""The per-key verdicts: what the runbook does to a key, and what happened to it."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from domain.classification import (
    CredentialPolicy,
    classify_key,
    classify_password,
    predict_key,
    predict_password,
    runbook_deletes_password,
    runbook_revokes_key,
)
from domain.credentials import AccessKeySnapshot, KeyStatus
from domain.results import KeyResult, PasswordResult
from tests.factories import NOW, key, login_profile

POLICY = CredentialPolicy(max_access_key_age_days=90, max_credential_usage_age_days=90)
ONE_SECOND = 1 / 86400


def deactivated(before_key: AccessKeySnapshot) -> AccessKeySnapshot:
    return before_key.model_copy(update={"status": KeyStatus.INACTIVE})


class TestRunbookRule:
    @pytest.mark.parametrize(
        ("last_used_days_ago", "revoked"),
        [(90, True), (90 - ONE_SECOND, False), (91, True), (89, False), (0, False), (400, True)],
    )
    def test_a_used_key_is_revoked_from_exactly_the_usage_age(
        self, last_used_days_ago: float, revoked: bool
    ) -> None:
        """Given a key last used that many days ago, When the runbook's rule judges it, Then it is revoked
        from exactly 90 days."""
        used_key = key(created_days_ago=500, last_used_days_ago=last_used_days_ago)
        assert runbook_revokes_key(used_key, 90, NOW) is revoked

    @pytest.mark.parametrize(
        ("created_days_ago", "revoked"), [(90, True), (90 - ONE_SECOND, False), (120, True), (10, False)]
    )
    def test_a_never_used_key_is_judged_by_its_creation_date(
        self, created_days_ago: float, revoked: bool
    ) -> None:
        """Given a never-used key created that many days ago, When the rule judges it, Then its creation
        date counts as its last use."""
        assert runbook_revokes_key(key(created_days_ago=created_days_ago), 90, NOW) is revoked

    def test_an_inactive_key_is_never_revoked_again(self) -> None:
        """Given an inactive stale key, When the rule judges it, Then it is not revoked again."""
        assert not runbook_revokes_key(key(created_days_ago=400, status=KeyStatus.INACTIVE), 90, NOW)

    def test_dates_in_other_timezones_are_the_same_instants(self) -> None:
        # Given a key used exactly 90 days ago, its dates in Tokyo time and now in UTC-5
        tokyo = timezone(timedelta(hours=9))
        used_key = key(created_days_ago=200, last_used_days_ago=90)
        in_tokyo = used_key.model_copy(update={"last_used_at": used_key.last_used_at.astimezone(tokyo)})

        # When the rule judges it, Then it is revoked as if all were UTC
        assert runbook_revokes_key(in_tokyo, 90, NOW.astimezone(timezone(timedelta(hours=-5))))
        # Given one used a second less than 90 days ago, in Tokyo time
        almost = key(created_days_ago=200, last_used_days_ago=90 - ONE_SECOND)
        almost_in_tokyo = almost.model_copy(update={"last_used_at": almost.last_used_at.astimezone(tokyo)})

        # Then it is kept
        assert not runbook_revokes_key(almost_in_tokyo, 90, NOW)

    @pytest.mark.parametrize(
        ("created", "used", "deleted"),
        [(200, 90, True), (200, 89, False), (90, None, True), (89, None, False)],
    )
    def test_password_rule_matches_the_key_rule(self, created: int, used: int | None, deleted: bool) -> None:
        """Given a login profile created and last used so many days ago, When the runbook's rule judges it,
        Then it is deleted exactly when a key would be revoked."""
        assert runbook_deletes_password(login_profile(created, used), 90, NOW) is deleted


class TestClassifyKey:
    def test_active_then_inactive_is_deactivated(self) -> None:
        # Given an unused 120-day-old key that is inactive after the runbook
        before = key(created_days_ago=120)

        # When it is classified
        outcome = classify_key(before, deactivated(before), POLICY, NOW, NOW)

        # Then it was deactivated, with its statuses and age
        assert outcome.result is KeyResult.DEACTIVATED
        assert (outcome.status_before, outcome.status_after) == (KeyStatus.ACTIVE, KeyStatus.INACTIVE)
        assert outcome.age_days == 120
        assert outcome.days_since_last_use is None

    def test_old_key_used_today_and_left_active_is_skipped_recently_used(self) -> None:
        # Given an old key used today and still active after
        before = key(created_days_ago=120, last_used_days_ago=0)

        # When it is classified
        outcome = classify_key(before, before, POLICY, NOW, NOW)

        # Then it was skipped as recently used, saying when and where it was used
        assert outcome.result is KeyResult.SKIPPED_RECENTLY_USED
        assert outcome.days_since_last_use == 0
        assert outcome.last_used_service == "s3"

    @pytest.mark.parametrize(
        ("age", "result"), [(90, KeyResult.SKIPPED_RECENTLY_USED), (89, KeyResult.COMPLIANT)]
    )
    def test_key_age_boundary_is_exactly_max_access_key_age(self, age: int, result: KeyResult) -> None:
        """Given a key used yesterday, When it is classified, Then it is past the age limit from exactly 90
        days (recently used) and compliant below."""
        before = key(created_days_ago=age, last_used_days_ago=1)
        assert classify_key(before, before, POLICY, NOW, NOW).result is result

    def test_inactive_before_is_already_inactive_whatever_after_says(self) -> None:
        """Given a key inactive before the runbook, When it is classified, Then it was already inactive."""
        before = key(created_days_ago=300, status=KeyStatus.INACTIVE)
        assert classify_key(before, before, POLICY, NOW, NOW).result is KeyResult.ALREADY_INACTIVE

    def test_key_gone_after_is_deleted(self) -> None:
        """Given a key missing from the after-snapshot, When it is classified, Then it was deleted."""
        assert classify_key(key(), None, POLICY, NOW, NOW).result is KeyResult.DELETED

    def test_stale_unused_key_still_active_after_is_not_revoked(self) -> None:
        # Given the runbook said success, but the after-snapshot shows an unused stale key still active
        before = key(created_days_ago=120)

        # When it is classified, Then it was not revoked
        assert classify_key(before, before, POLICY, NOW, NOW).result is KeyResult.NOT_REVOKED

    def test_not_revoked_is_judged_when_the_runbook_started(self) -> None:
        # Given a key exactly at the usage age now, but not yet when the runbook started a minute ago
        before = key(created_days_ago=120, last_used_days_ago=90)
        started = NOW - timedelta(minutes=1)

        # When it is classified, Then it was rightly kept as recently used
        assert classify_key(before, before, POLICY, started, NOW).result is KeyResult.SKIPPED_RECENTLY_USED

    def test_two_keys_of_one_user_with_different_fates(self) -> None:
        # Given two 150-day-old keys of one user, one unused and deactivated, one used 3 days ago
        unused = key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=150)
        used = key("AKIAAAAAAAAAAAAAAAA2", created_days_ago=150, last_used_days_ago=3)

        # When each is classified
        results = {
            k.access_key_id: classify_key(k, after, POLICY, NOW, NOW).result
            for k, after in [(unused, deactivated(unused)), (used, used)]
        }

        # Then one was deactivated and the other skipped as recently used
        assert results == {
            "AKIAAAAAAAAAAAAAAAA1": KeyResult.DEACTIVATED,
            "AKIAAAAAAAAAAAAAAAA2": KeyResult.SKIPPED_RECENTLY_USED,
        }

    def test_a_shorter_usage_age_deactivates_a_young_unused_key(self) -> None:
        # Given a policy with a 45-day usage age and an unused 60-day-old key
        policy = CredentialPolicy(max_access_key_age_days=90, max_credential_usage_age_days=45)
        before = key(created_days_ago=60)

        # When it is classified and predicted, Then both say deactivated
        assert classify_key(before, deactivated(before), policy, NOW, NOW).result is KeyResult.DEACTIVATED
        assert predict_key(before, policy, NOW).result is KeyResult.DEACTIVATED


class TestPrediction:
    @pytest.mark.parametrize(
        ("spec", "result"),
        [
            ({"created_days_ago": 120}, KeyResult.DEACTIVATED),
            ({"created_days_ago": 120, "last_used_days_ago": 0}, KeyResult.SKIPPED_RECENTLY_USED),
            ({"created_days_ago": 30}, KeyResult.COMPLIANT),
            ({"created_days_ago": 300, "status": KeyStatus.INACTIVE}, KeyResult.ALREADY_INACTIVE),
        ],
    )
    def test_prediction_uses_the_same_rule(self, spec: dict[str, object], result: KeyResult) -> None:
        """Given a key before any runbook, When its fate is predicted, Then the prediction is what the
        classification would be."""
        assert predict_key(key(**spec), POLICY, NOW).result is result

    def test_password_prediction(self) -> None:
        """Given no password, an unused one and a recently used one, When their fates are predicted, Then
        they read: none, deleted, kept."""
        assert predict_password(None, POLICY, NOW) is PasswordResult.NO_PASSWORD
        assert predict_password(login_profile(200, 100), POLICY, NOW) is PasswordResult.DELETED
        assert predict_password(login_profile(200, 10), POLICY, NOW) is PasswordResult.KEPT_RECENTLY_USED


class TestClassifyPassword:
    def test_profile_gone_after_is_deleted(self) -> None:
        """Given a login profile gone after the runbook, When it is classified, Then the password was
        deleted."""
        assert classify_password(login_profile(200, 100), None, POLICY, NOW) is PasswordResult.DELETED

    def test_recently_used_password_is_kept(self) -> None:
        """Given a password used 5 days ago, When it is classified, Then it was kept as recently used."""
        profile = login_profile(200, 5)
        assert classify_password(profile, profile, POLICY, NOW) is PasswordResult.KEPT_RECENTLY_USED

    def test_unused_password_still_there_is_not_revoked(self) -> None:
        """Given an unused password still there after, When it is classified, Then it was not revoked."""
        profile = login_profile(200, 100)
        assert classify_password(profile, profile, POLICY, NOW) is PasswordResult.NOT_REVOKED

    def test_no_password(self) -> None:
        """Given no password before nor after, When it is classified, Then there was no password."""
        assert classify_password(None, None, POLICY, NOW) is PasswordResult.NO_PASSWORD


def test_policy_refuses_zero_days() -> None:
    """Given a limit of zero days, When a policy is made, Then it is refused: limits are whole days."""
    with pytest.raises(ValueError, match="whole days"):
        CredentialPolicy(max_access_key_age_days=0, max_credential_usage_age_days=90)
