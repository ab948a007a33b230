"""What a key owner reads: which key, how old, last used when and where, why, what to do, by when."""

from __future__ import annotations

from datetime import date

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyStatus
from domain.notification_facts import NotificationFacts, needs_owner_notification
from domain.owners import OwnerContact, resolve_owner
from domain.results import PasswordResult, RemediationOutcome
from notifications.owner_message import render_owner_notification
from tests.factories import NOW, key

POLICY = CredentialPolicy(90, 90)


def facts(keys: tuple, password: PasswordResult = PasswordResult.NO_PASSWORD) -> NotificationFacts:
    return NotificationFacts(
        user_name="bob",
        account_id="111122223333",
        region="eu-west-1",
        rule_name="keywarden-access-keys-rotated",
        outcome=RemediationOutcome.KEYS_LEFT_ACTIVE,
        keys=keys,
        password=password,
        owner=OwnerContact(email="bob@example.com", source="tag:owner-email"),
        security_contact_email="security@example.com",
        max_access_key_age_days=90,
        max_credential_usage_age_days=90,
        deadline=date(2026, 12, 12),
        notified_at=NOW,
    )


def test_a_skipped_key_message_names_key_age_last_use_and_deadline() -> None:
    """Given a 120-day-old key used today and left active, When its owner's message is rendered,
    Then it names the key, its age, its last use and the deadline, with the filterable attributes."""
    used = key("AKIAIOSFODNN7EXAMPLE", created_days_ago=120, last_used_days_ago=0)
    outcome = classify_key(used, used, POLICY, NOW, NOW)
    note = render_owner_notification(facts((outcome,)))
    assert (
        note.subject
        == "[keywarden] Action needed: rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob (120 days old)"
    )
    assert "Access key AKIAIOSFODNN7EXAMPLE: STILL ACTIVE - action needed" in note.text
    assert "Created:   2026-07-31 (120 days ago)" in note.text
    assert "Last used: 2026-11-28 12:00 UTC (today), by s3 in eu-west-1" in note.text
    assert "before 2026-12-12" in note.text
    assert note.attributes == {
        "user_name": {"DataType": "String", "StringValue": "bob"},
        "outcome": {"DataType": "String", "StringValue": "KEYS_LEFT_ACTIVE"},
        "account_id": {"DataType": "String", "StringValue": "111122223333"},
        "owner_email": {"DataType": "String", "StringValue": "bob@example.com"},
        "owner_known": {"DataType": "String", "StringValue": "true"},
        "severity": {"DataType": "String", "StringValue": "high"},
        "kind": {"DataType": "String", "StringValue": "FIRST_NOTICE"},
    }


def test_a_deactivated_key_message_warns_the_workload_may_fail() -> None:
    """Given an unused 200-day-old key that was deactivated, When its owner's message is rendered,
    Then it says the key was deactivated, never used, and that calls will fail (InvalidClientTokenId)."""
    unused = key("AKIAIOSFODNN7EXAMPL2", created_days_ago=200)
    outcome = classify_key(unused, unused.model_copy(update={"status": KeyStatus.INACTIVE}), POLICY, NOW, NOW)
    note = render_owner_notification(facts((outcome,)))
    assert note.subject == "[keywarden] Access key AKIAIOSFODNN7EXAMPL2 of IAM user bob was deactivated"
    assert "Last used: never" in note.text
    assert "InvalidClientTokenId" in note.text


def test_only_notified_results_appear_and_every_line_fits_an_email() -> None:
    """Given a young key, an old key and a deleted password, When the message is rendered,
    Then only the old key and the password appear, and no line is over 78 characters."""
    young = key("AKIAYOUNGKEY00000001", created_days_ago=3, last_used_days_ago=1)
    old = key("AKIAOLDKEY0000000001", created_days_ago=95, last_used_days_ago=9)
    outcomes = tuple(classify_key(k, k, POLICY, NOW, NOW) for k in (young, old))
    note = render_owner_notification(facts(outcomes, PasswordResult.DELETED))
    assert "AKIAYOUNGKEY00000001" not in note.text
    assert "AKIAOLDKEY0000000001" in note.text
    assert "Console password: DELETED" in note.text
    assert max(len(line) for line in note.text.splitlines()) <= 78


def test_who_gets_told() -> None:
    """Given a stale key in use, a young key, or a deleted password, When asked who needs telling,
    Then the stale key's and the password's owners do, the young key's does not."""
    used = key(created_days_ago=120, last_used_days_ago=0)
    young = key(created_days_ago=5)
    assert needs_owner_notification((classify_key(used, used, POLICY, NOW, NOW),), PasswordResult.NO_PASSWORD)
    assert not needs_owner_notification(
        (classify_key(young, young, POLICY, NOW, NOW),), PasswordResult.NO_PASSWORD
    )
    assert needs_owner_notification((), PasswordResult.DELETED)


class TestOwnerResolution:
    def test_first_tag_in_order_wins(self) -> None:
        """Given two owner tags, When the owner is resolved,
        Then the first tag in the configured order wins."""
        owner = resolve_owner(
            {"owner": "team@example.com", "owner-email": "bob@example.com"},
            ("owner-email", "owner"),
            "sec@example.com",
        )
        assert owner == OwnerContact(email="bob@example.com", source="tag:owner-email")

    def test_a_malformed_address_falls_back_and_says_why(self) -> None:
        """Given a malformed address in the owner tag, When resolved,
        Then the fallback is used and says why."""
        owner = resolve_owner({"owner-email": "bob at example"}, ("owner-email",), "sec@example.com")
        assert owner == OwnerContact(
            email="sec@example.com", source="fallback: malformed address in tag owner-email"
        )

    def test_a_malformed_first_tag_does_not_hide_a_good_second(self) -> None:
        """Given a malformed first tag and a good second, When resolved,
        Then the second tag's address is used."""
        owner = resolve_owner(
            {"owner-email": "nope", "owner": "ops@example.com"}, ("owner-email", "owner"), "s@example.com"
        )
        assert owner.email == "ops@example.com"

    def test_no_tag_falls_back(self) -> None:
        """Given no owner tag, When resolved, Then the fallback is used and names the tags looked for."""
        owner = resolve_owner({"team": "payments"}, ("owner-email", "owner"), "sec@example.com")
        assert owner == OwnerContact(
            email="sec@example.com", source="fallback: no owner tag (owner-email, owner)"
        )
