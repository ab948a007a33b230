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


def test_the_owner_address_and_channel_come_from_their_tags() -> None:
    """Given a user tagged with an owner address and a Slack channel, When the owner is resolved, Then both
    are read from their tags, each saying which."""
    assert owner({"owner-email": "bob@example.com", "slack-channel": "#payments-alerts"}) == OwnerContact(
        email="bob@example.com",
        source="tag:owner-email",
        slack_channel="#payments-alerts",
        slack_channel_source="tag:slack-channel",
    )


def test_configured_tag_keys_are_read_in_order() -> None:
    # Given tags under configured keys, each list naming two that are present
    contact = owner(
        {"contact": "ops@example.com", "team-email": "team@example.com", "chat": "payments", "room": "other"},
        email_keys=("team-email", "contact"),
        slack_keys=("room", "chat"),
    )

    # When the owner is resolved, Then the first key of each list wins
    assert (contact.email, contact.source) == ("team@example.com", "tag:team-email")
    assert (contact.slack_channel, contact.slack_channel_source) == ("#other", "tag:room")


def test_no_tags_fall_back_and_record_why() -> None:
    # Given a user with no owner or channel tag, When the owner is resolved
    contact = owner({"team": "payments"})

    # Then the security contact and the default channel are used, each saying why
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
    # Given an owner tag whose address is malformed, When the owner is resolved
    contact = owner({"owner-email": address})

    # Then the security contact is told, saying which tag was malformed
    assert (contact.email, contact.source) == (
        "security@example.com",
        "fallback: malformed address in tag owner-email",
    )


def test_a_good_second_tag_wins_over_a_malformed_first() -> None:
    # Given a malformed first owner tag and a good second one, When the owner is resolved
    contact = owner({"owner-email": "nope", "owner": "ops@example.com"})

    # Then the second tag's address is used, no fallback
    assert (contact.email, contact.source, contact.email_is_fallback) == (
        "ops@example.com",
        "tag:owner",
        False,
    )


def test_a_malformed_channel_goes_to_the_default_and_says_why() -> None:
    # Given a good address and a malformed channel tag, When the owner is resolved
    contact = owner({"owner-email": "bob@example.com", "slack-channel": "#Payments Alerts!"})

    # Then the default channel is used, saying why, and the address still holds
    assert contact.slack_channel is None
    assert contact.slack_channel_source == "default channel: malformed channel in tag slack-channel"
    assert not contact.email_is_fallback


def test_without_channel_tag_keys_no_channel_is_looked_for() -> None:
    # Given a channel tag but no channel tag keys configured, When the owner is resolved
    contact = owner({"slack-channel": "#payments"}, slack_keys=())

    # Then no channel is looked for
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
def test_a_tag_value_is_a_slack_channel_only_as_slack_names_them(value: str, channel: str | None) -> None:
    """Given a tag's value, When read as a Slack channel, Then a name gains its '#', an id stays, and
    anything Slack would refuse is no channel."""
    assert slack_channel(value) == channel
