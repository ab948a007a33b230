"""Who is told: the owner's address and Slack channel from configurable tags, else a recorded fallback."""

from __future__ import annotations

import pytest

from domain.owners import OwnerContact, resolve_owner, slack_channel

EMAIL_KEYS = ("owner-email", "owner")
SLACK_KEYS = ("slack-channel",)


def owner(
    tags: dict[str, str], email_keys: tuple[str, ...] = EMAIL_KEYS, slack_keys=SLACK_KEYS
) -> OwnerContact:
    return resolve_owner(tags, email_keys, "security@example.com", slack_keys)


def test_email_and_channel_from_the_tags() -> None:
    assert owner({"owner-email": "bob@example.com", "slack-channel": "#payments-alerts"}) == OwnerContact(
        email="bob@example.com",
        source="tag:owner-email",
        slack_channel="#payments-alerts",
        slack_channel_source="tag:slack-channel",
    )


def test_configured_tag_keys_are_read_in_order() -> None:
    contact = owner(
        {"contact": "ops@example.com", "team-email": "team@example.com", "chat": "payments", "room": "other"},
        email_keys=("team-email", "contact"),
        slack_keys=("room", "chat"),
    )
    assert (contact.email, contact.source) == ("team@example.com", "tag:team-email")
    assert (contact.slack_channel, contact.slack_channel_source) == ("#other", "tag:room")


def test_no_tags_fall_back_and_record_why() -> None:
    contact = owner({"team": "payments"})
    assert contact == OwnerContact(
        email="security@example.com",
        source="fallback: no owner tag (owner-email, owner)",
        slack_channel=None,
        slack_channel_source="default channel: no channel tag (slack-channel)",
    )
    assert contact.email_is_fallback


@pytest.mark.parametrize(
    "address", ["bob", "bob@", "bob at example.com", "bob@example", "<bob@example.com>", "b o@x.io"]
)
def test_a_malformed_address_falls_back(address: str) -> None:
    contact = owner({"owner-email": address})
    assert (contact.email, contact.source) == (
        "security@example.com",
        "fallback: malformed address in tag owner-email",
    )


def test_a_good_second_tag_wins_over_a_malformed_first() -> None:
    contact = owner({"owner-email": "nope", "owner": "ops@example.com"})
    assert (contact.email, contact.source, contact.email_is_fallback) == (
        "ops@example.com",
        "tag:owner",
        False,
    )


def test_a_malformed_channel_goes_to_the_default_and_says_why() -> None:
    contact = owner({"owner-email": "bob@example.com", "slack-channel": "#Payments Alerts!"})
    assert contact.slack_channel is None
    assert contact.slack_channel_source == "default channel: malformed channel in tag slack-channel"
    assert not contact.email_is_fallback


def test_without_channel_tag_keys_no_channel_is_looked_for() -> None:
    contact = owner({"slack-channel": "#payments"}, slack_keys=())
    assert (contact.slack_channel, contact.slack_channel_source) == (None, None)


@pytest.mark.parametrize(
    ("value", "channel"),
    [
        ("payments", "#payments"),
        ("#payments-alerts", "#payments-alerts"),
        (" #ops_2 ", "#ops_2"),
        ("C0123ABCD9", "C0123ABCD9"),
        ("G0123ABCD9", "G0123ABCD9"),
        ("#Payments", None),
        ("#paiements-équipe", None),
        ("<!channel>", None),
        ("#" + "a" * 81, None),
        ("", None),
    ],
)
def test_slack_channel_names(value: str, channel: str | None) -> None:
    assert slack_channel(value) == channel
