"""No spam: the conditional updates the workflow sends to the notification-state table."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyOutcome, KeyStatus
from domain.results import PasswordResult
from lambdas.notification_state import duplicate_notice, notification_claims
from tests.factories import NOW, key, notification_facts

POLICY = CredentialPolicy(90, 90)


def outcome(key_id: str, *, used_days_ago: int | None, deactivated: bool = False) -> KeyOutcome:
    before = key(key_id, created_days_ago=120, last_used_days_ago=used_days_ago)
    after = before.model_copy(update={"status": KeyStatus.INACTIVE}) if deactivated else before
    return classify_key(before, after, POLICY, NOW, NOW)


def placeholders(expression: str) -> set[str]:
    return set(re.findall(r":[a-z_]+", expression))


def test_one_claim_per_notified_key_and_the_password() -> None:
    keys = (
        outcome("AKIASKIPPED000000001", used_days_ago=1),
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
    assert [(c.key["pk"]["S"], c.key["sk"]["S"], c.attribute_values[":result"]["S"]) for c in claims] == [
        ("USER#AIDAEXAMPLEUSERID0001", "KEY#AKIASKIPPED000000001", "SKIPPED_RECENTLY_USED"),
        ("USER#AIDAEXAMPLEUSERID0001", "KEY#AKIAOFF0000000000001", "DEACTIVATED"),
        ("USER#AIDAEXAMPLEUSERID0001", "PASSWORD", "DELETED"),
    ]


def test_a_claim_holds_for_the_window_and_only_for_the_same_result() -> None:
    [claim] = notification_claims(
        notification_facts((outcome("AKIASKIPPED000000001", used_days_ago=1),)), "run-1", 24
    )
    values = claim.attribute_values
    assert claim.condition_expression == (
        "attribute_not_exists(pk) OR suppress_until <= :now OR #result <> :result"
    )
    assert claim.attribute_names == {"#result": "result"}
    assert values[":now"] == {"N": str(int(NOW.timestamp()))}
    assert values[":suppress_until"] == {"N": str(int((NOW + timedelta(hours=24)).timestamp()))}
    assert values[":deadline"] == {"S": "2026-12-12"}
    assert values[":owner_email"] == {"S": "bob@example.com"}
    assert values[":slack_channel"] == {"S": "#payments"}
    assert values[":execution"] == {"S": "run-1"}
    # Kept 90 days past the later of the window and the deadline, for a reminder to find.
    assert int(values[":expires_at"]["N"]) == int((NOW + timedelta(days=14 + 90)).timestamp())


def test_every_value_is_used_and_every_placeholder_has_a_value() -> None:
    # DynamoDB refuses unused ExpressionAttributeValues, and unknown placeholders.
    for tags in ({}, None):
        [claim] = notification_claims(
            notification_facts((outcome("AKIASKIPPED000000001", used_days_ago=1),), tags=tags), "run-1", 24
        )
        used = placeholders(claim.update_expression) | placeholders(claim.condition_expression)
        assert used == set(claim.attribute_values)
        assert placeholders(claim.release_expression) | placeholders(claim.release_condition) == set(
            claim.release_values
        )


def test_the_first_notification_time_and_the_count_are_kept_across_updates() -> None:
    [claim] = notification_claims(
        notification_facts((outcome("AKIASKIPPED000000001", used_days_ago=1),)), "r", 24
    )
    assert "first_notified_at = if_not_exists(first_notified_at, :notified_at)" in claim.update_expression
    assert claim.update_expression.endswith("ADD notification_count :one")


def test_release_gives_back_only_this_executions_claim() -> None:
    [claim] = notification_claims(
        notification_facts((outcome("AKIASKIPPED000000001", used_days_ago=1),)), "run-7", 24
    )
    assert claim.release_expression == "SET suppress_until = :released"
    assert claim.release_condition == "last_execution = :execution"
    assert claim.release_values == {":released": {"N": "0"}, ":execution": {"S": "run-7"}}


def test_a_window_of_zero_never_suppresses() -> None:
    [claim] = notification_claims(
        notification_facts((outcome("AKIASKIPPED000000001", used_days_ago=1),)), "r", 0
    )
    assert claim.attribute_values[":suppress_until"] == claim.attribute_values[":now"]


def test_the_duplicate_notice_names_the_window() -> None:
    assert duplicate_notice(168) == (
        "not sent again: the owner was already told about the same result for every key "
        "within the last 168 hours (notification window)"
    )
