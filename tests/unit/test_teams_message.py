"""What owners read in Microsoft Teams: one Adaptive Card, in the shape Teams takes, values as typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyOutcome, KeyStatus
from domain.results import PasswordResult
from notifications.channels.teams import (
    ADAPTIVE_CARD,
    MESSAGE_LIMIT_BYTES,
    parse_teams_webhooks,
    read_teams_message,
    render_teams_message,
)
from notifications.webhook import WebhookDeliveryError
from tests.factories import NOW, key, notification_facts

POLICY = CredentialPolicy(90, 90)


def skipped(key_id: str = "AKIAIOSFODNN7EXAMPLE") -> KeyOutcome:
    used = key(key_id, created_days_ago=120, last_used_days_ago=3)
    return classify_key(used, used, POLICY, NOW, NOW)


def deactivated(key_id: str = "AKIAIOSFODNN7EXAMPL2") -> KeyOutcome:
    unused = key(key_id, created_days_ago=200)
    return classify_key(unused, unused.model_copy(update={"status": KeyStatus.INACTIVE}), POLICY, NOW, NOW)


def card(payload: dict[str, Any]) -> dict[str, Any]:
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    return dict(attachment["content"])


def elements(tree: Any) -> Iterator[dict[str, Any]]:
    """Every element and inline of a card, depth first."""
    if isinstance(tree, dict):
        if "type" in tree:
            yield tree
        for value in tree.values():
            yield from elements(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from elements(item)


def test_the_card_names_key_age_last_use_what_to_do_and_the_deadline() -> None:
    # Given a key older than 90 days, used three days ago
    payload = render_teams_message(notification_facts((skipped(),)))
    # When an owner reads the card
    shown = read_teams_message(payload)
    # Then it names the key, its age, its last use, what to do and by when
    assert shown.subject == (
        "Action needed: rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob (120 days old)"
    )
    assert "Access key AKIAIOSFODNN7EXAMPLE: STILL ACTIVE - action needed" in shown.text
    assert "Created: 2026-07-31 (120 days ago)" in shown.text
    assert "Last used: 2026-11-25 12:00 UTC (3 days ago), by s3 in eu-west-1" in shown.text
    assert "What to do, before 2026-12-12: create a new access key" in shown.text
    assert "recorded as the owner of bob (tag:owner-email)" in shown.text


def test_the_message_has_the_shape_teams_documents() -> None:
    payload = render_teams_message(notification_facts((skipped(),)))
    assert payload["type"] == "message"
    assert payload["attachments"][0]["contentUrl"] is None
    content = card(payload)
    assert (content["type"], content["version"]) == ("AdaptiveCard", "1.4")
    assert content["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"


def test_a_still_active_key_is_a_warning_and_a_deactivated_one_an_attention() -> None:
    payload = render_teams_message(
        notification_facts((skipped(), deactivated()), password=PasswordResult.DELETED)
    )
    containers = [e for e in card(payload)["body"] if e["type"] == "Container"]
    assert [c["style"] for c in containers] == ["warning", "attention", "attention"]
    text = read_teams_message(payload).text
    assert text.index("AKIAIOSFODNN7EXAMPLE: STILL ACTIVE") < text.index("AKIAIOSFODNN7EXAMPL2: DEACTIVATED")
    assert "Console password: DELETED" in text


def test_a_dry_run_says_nothing_changed() -> None:
    facts = notification_facts((deactivated(),)).model_copy(update={"dry_run": True})
    shown = read_teams_message(render_teams_message(facts))
    assert shown.subject == (
        "[keywarden dry run] Access key AKIAIOSFODNN7EXAMPL2 of IAM user bob would be deactivated"
    )
    assert "WOULD BE DEACTIVATED (dry run: not changed yet)" in shown.text


def test_outside_values_are_shown_as_typed_never_as_markdown() -> None:
    # Given a user name and owner tag crafted as Markdown links and emphasis
    crafted = "[click](https://evil.example)_x_**y**"
    facts = notification_facts(
        (skipped(),), user_name="mallory+x", tags={"owner-email": "bob@example.com"}
    ).model_copy(update={"user_name": crafted})
    payload = render_teams_message(facts)
    # Then every text sits in a TextRun (Teams renders no Markdown there), never a TextBlock or FactSet
    kinds = {e["type"] for e in elements(card(payload)["body"])}
    assert kinds == {"RichTextBlock", "TextRun", "Container"}
    assert crafted in read_teams_message(payload).text


def test_long_values_stay_under_the_message_limit() -> None:
    facts = notification_facts(
        (skipped("AKIAIOSFODNN7EXAMPLE"), deactivated("AKIAIOSFODNN7EXAMPL2")),
        user_name="u" * 64,
        tags={"owner-email": "o" * 60 + "@example.com", "slack-channel": "c" * 80},
        password=PasswordResult.DELETED,
    )
    payload = render_teams_message(facts)
    assert len(json.dumps(payload, ensure_ascii=False).encode()) < MESSAGE_LIMIT_BYTES / 2


class TestSecret:
    def test_a_bare_url_or_a_default(self) -> None:
        url = (
            "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t"
        )
        assert parse_teams_webhooks(url).default == url
        assert parse_teams_webhooks(json.dumps({"default": url})).default == url

    def test_channels_are_refused_a_workflow_posts_where_it_was_set_up(self) -> None:
        secret = json.dumps(
            {"default": "https://x.example/d", "channels": {"ops": "https://x.example/leaked"}}
        )
        with pytest.raises(
            WebhookDeliveryError, match="Teams webhooks are not routed per channel"
        ) as refused:
            parse_teams_webhooks(secret)
        assert "leaked" not in str(refused.value)

    def test_an_unusable_secret_is_refused_without_echoing_it(self) -> None:
        with pytest.raises(WebhookDeliveryError, match="the Teams webhook secret is not usable") as refused:
            parse_teams_webhooks("http://teams.example/leaked?sig=s3cr3t")
        assert "s3cr3t" not in str(refused.value)
