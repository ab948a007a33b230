"""No spam: the conditional updates of the notification-state table (domain.notification_claims).

The claims are plain-value UpdateItem parameters; their conditions are checked here against a fake
table that evaluates them as DynamoDB does, through the real DynamoDBNotificationClaims.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyOutcome, KeyStatus
from domain.notification_claims import (
    HELD_BY_EXECUTION,
    NOT_YET_SENT_BY_EXECUTION,
    RELEASE_EXPRESSION,
    SENT_EXPRESSION,
    NotificationClaim,
    duplicate_notice,
    notification_claims,
)
from domain.results import PasswordResult
from lambdas.owner_notice import ClaimAnswer, DynamoDBNotificationClaims
from tests.factories import NOW, USER_ID, key, notification_facts
from tests.unit.fakes import FakeNotificationStateTable

POLICY = CredentialPolicy(90, 90)
SKIPPED = "AKIASKIPPED000000001"


def outcome(key_id: str, *, used_days_ago: int | None, deactivated: bool = False) -> KeyOutcome:
    before = key(key_id, created_days_ago=120, last_used_days_ago=used_days_ago)
    after = before.model_copy(update={"status": KeyStatus.INACTIVE}) if deactivated else before
    return classify_key(before, after, POLICY, NOW, NOW)


def skipped_claim(
    execution: str = "run-1", *, hours_later: float = 0, window: int = 24, **facts: Any
) -> NotificationClaim:
    """The claim of a skipped key `hours_later` than NOW, by `execution`, for a `window`-hour window."""
    at = NOW + timedelta(hours=hours_later)
    notified = notification_facts((outcome(SKIPPED, used_days_ago=1),), now=at)
    [claim] = notification_claims(notified.model_copy(update=facts), execution, window)
    return claim


def placeholders(expression: str) -> set[str]:
    return set(re.findall(r":[a-z_]+", expression))


class Store:
    """The notification-state table behind the adapter Conclude uses."""

    def __init__(self) -> None:
        self.table = FakeNotificationStateTable()
        self.claims = DynamoDBNotificationClaims(self.table)

    def claim(self, claim: NotificationClaim, execution: str) -> ClaimAnswer:
        return self.claims.claim(claim, execution)

    def item(self) -> dict[str, Any]:
        item = self.table.item(USER_ID, f"KEY#{SKIPPED}")
        assert item is not None
        return item


def test_one_claim_per_notified_key_and_the_password() -> None:
    """Given a skipped key, a deactivated key, a compliant key and a deleted password,
    When their notice is claimed,
    Then there is one claim per credential the owner is told about, keyed by user and credential."""
    keys = (
        outcome(SKIPPED, used_days_ago=1),
        outcome("AKIAOFF0000000000001", used_days_ago=None, deactivated=True),
        classify_key(
            key("AKIAYOUNG00000000001", created_days_ago=3),
            key("AKIAYOUNG00000000001", created_days_ago=3),
            POLICY,
            NOW,
            NOW,
        ),
    )
    claims = notification_claims(notification_facts(keys, password=PasswordResult.DELETED), "run-1", 168)
    assert [(c.key["pk"], c.key["sk"], c.attribute_values[":result"]) for c in claims] == [
        (f"USER#{USER_ID}", f"KEY#{SKIPPED}", "SKIPPED_RECENTLY_USED"),
        (f"USER#{USER_ID}", "KEY#AKIAOFF0000000000001", "DEACTIVATED"),
        (f"USER#{USER_ID}", "PASSWORD", "DELETED"),
    ]


def test_a_claim_keeps_what_a_reminder_needs_as_plain_values() -> None:
    """Given a 24-hour window and a deadline 14 days away,
    When a key is claimed,
    Then the claim carries the owner, the deadline and the window as plain values, and is kept 90 days past
    the later of the window and the deadline."""
    values = skipped_claim().attribute_values
    assert values[":now"] == int(NOW.timestamp())
    assert values[":suppress_until"] == int((NOW + timedelta(hours=24)).timestamp())
    assert (values[":deadline"], values[":owner_email"], values[":slack_channel"]) == (
        "2026-12-12",
        "bob@example.com",
        "#payments",
    )
    assert values[":execution"] == "run-1"
    assert values[":expires_at"] == int((NOW + timedelta(days=14 + 90)).timestamp())


def test_every_value_is_used_and_every_placeholder_has_a_value() -> None:
    """Given owners with and without a Slack channel,
    When a key is claimed, released or marked as sent,
    Then each expression uses exactly the values given (DynamoDB refuses unused or unknown ones)."""
    tags: dict[str, str] | None
    for tags in ({}, None):
        claim = skipped_claim(owner=notification_facts(tags=tags).owner)
        used = placeholders(claim.update_expression) | placeholders(claim.condition_expression)
        assert used == set(claim.attribute_values)
    assert placeholders(RELEASE_EXPRESSION) | placeholders(HELD_BY_EXECUTION) == {":released", ":execution"}
    assert placeholders(SENT_EXPRESSION) | placeholders(NOT_YET_SENT_BY_EXECUTION) == {
        ":message_id",
        ":execution",
        ":one",
    }


class TestWhenAClaimSucceeds:
    def test_a_credential_never_notified_is_claimed(self) -> None:
        """Given an empty table, When a key is claimed, Then the claim is taken."""
        assert Store().claim(skipped_claim(), "run-1") == ClaimAnswer(taken=True)

    def test_the_same_result_within_the_window_is_not_claimed_again(self) -> None:
        """Given run-1 claimed the key for 24 hours,
        When run-2 claims the same result 23 hours later,
        Then the claim is refused and run-1 still holds it."""
        store = Store()
        store.claim(skipped_claim("run-1"), "run-1")
        assert store.claim(skipped_claim("run-2", hours_later=23), "run-2") == ClaimAnswer(taken=False)
        assert store.item()["last_execution"] == "run-1"

    def test_after_the_window_the_credential_is_claimed_again(self) -> None:
        """Given run-1 claimed the key for 24 hours and sent its notice,
        When run-2 claims it 25 hours later and sends its own,
        Then the claim is taken, each notice counted once, and the first notification time kept."""
        store = Store()
        store.claim(skipped_claim("run-1"), "run-1")
        store.claims.mark_sent(skipped_claim("run-1"), "run-1", "msg-1")
        assert store.claim(skipped_claim("run-2", hours_later=25), "run-2").taken
        store.claims.mark_sent(skipped_claim("run-2", hours_later=25), "run-2", "msg-2")
        item = store.item()
        assert (item["notification_count"], item["first_notified_at"]) == (2, NOW.isoformat())
        assert item["last_notified_at"] == (NOW + timedelta(hours=25)).isoformat()

    def test_a_changed_result_is_claimed_within_the_window(self) -> None:
        """Given run-1 claimed the key as skipped,
        When run-2 claims it as deactivated an hour later,
        Then the claim is taken: the news is new."""
        store = Store()
        store.claim(skipped_claim("run-1"), "run-1")
        deactivated = notification_facts((outcome(SKIPPED, used_days_ago=100, deactivated=True),))
        [claim] = notification_claims(deactivated, "run-2", 24)
        assert store.claim(claim, "run-2").taken
        assert store.item()["result"] == "DEACTIVATED"

    def test_a_dry_run_prediction_is_not_the_news_of_a_real_run(self) -> None:
        """Given a dry run claimed the key's predicted result,
        When a real run claims the same result within the window,
        Then the real run's claim is taken."""
        store = Store()
        dry = skipped_claim("run-1", dry_run=True)
        assert dry.attribute_values[":result"] == "DRY_RUN:SKIPPED_RECENTLY_USED"
        store.claim(dry, "run-1")
        assert store.claim(skipped_claim("run-2", hours_later=1), "run-2").taken

    def test_a_window_of_zero_never_suppresses(self) -> None:
        """Given a window of 0 hours, When two executions claim the same result at the same moment,
        Then both claims are taken."""
        store = Store()
        store.claim(skipped_claim("run-1", window=0), "run-1")
        assert store.claim(skipped_claim("run-2", window=0), "run-2").taken

    def test_no_user_id_no_claim(self) -> None:
        """Given facts without the user's unique id, When claimed, Then there is nothing to claim."""
        facts = notification_facts((outcome(SKIPPED, used_days_ago=1),)).model_copy(update={"user_id": None})
        assert notification_claims(facts, "run-1", 24) == []


class TestTheExecutionThatHoldsTheClaim:
    def test_its_own_claim_is_taken_again_with_the_message_it_sent(self) -> None:
        """Given run-1 claimed the key and published msg-1,
        When run-1 claims it again (Conclude retried),
        Then the claim is taken and says msg-1 was already sent."""
        store = Store()
        claim = skipped_claim("run-1")
        store.claim(claim, "run-1")
        store.claims.mark_sent(claim, "run-1", "msg-1")
        assert store.claim(claim, "run-1") == ClaimAnswer(taken=True, sent_message_id="msg-1")

    def test_a_new_claim_is_not_told_an_earlier_execution_sent_its_notice(self) -> None:
        """Given run-1 published msg-1 for the key,
        When run-2 claims it after the window,
        Then run-2 is not told it sent anything (msg-1 stays recorded as run-1's)."""
        store = Store()
        store.claim(skipped_claim("run-1"), "run-1")
        store.claims.mark_sent(skipped_claim("run-1"), "run-1", "msg-1")
        assert store.claim(skipped_claim("run-2", hours_later=25), "run-2") == ClaimAnswer(taken=True)
        assert (store.item()["last_message_id"], store.item()["sent_by"]) == ("msg-1", "run-1")

    def test_only_the_holder_releases_or_marks_the_claim(self) -> None:
        """Given run-2 holds the key's claim,
        When run-1 (an earlier holder) releases it or marks it sent,
        Then nothing changes; when run-2 releases it, the next execution may claim it at once."""
        store = Store()
        store.claim(skipped_claim("run-1"), "run-1")
        claim = skipped_claim("run-2", hours_later=25)
        store.claim(claim, "run-2")
        store.claims.release(claim, "run-1")
        store.claims.mark_sent(claim, "run-1", "msg-old")
        assert (store.item()["suppress_until"], store.item().get("last_message_id")) == (
            claim.attribute_values[":suppress_until"],
            None,
        )
        store.claims.release(claim, "run-2")
        assert store.item()["suppress_until"] == 0
        assert store.claim(skipped_claim("run-3", hours_later=25), "run-3").taken


def test_the_duplicate_notice_names_the_window() -> None:
    """Given a 168-hour window, When every claim was taken, Then the record says so, naming the window."""
    assert duplicate_notice(168) == (
        "not sent again: the owner was already told about the same result for every key "
        "within the last 168 hours (notification window)"
    )
