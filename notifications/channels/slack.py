"""Slack: Block Kit through incoming webhooks, routed to the owner's channel when it has a webhook.

A Slack app's incoming webhook posts to the one channel it was created for, so reaching an
owner's own channel takes that channel's webhook (`channels` in the secret); other owners'
messages go to the default webhook and say for whom they were meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, assert_never

from domain.findings import MessageKind
from domain.notification_facts import NotificationFacts
from domain.owners import slack_channel
from notifications.channels.base import DeliveryReceipt, ReadMessage, WebhookChannel, WebhookSecret
from notifications.slack_message import blocks_as_text, mrkdwn_unescape, render_slack_message
from notifications.webhook import RetryPolicy, Webhooks, parse_webhooks, post_json

SERVICE = "Slack"


def parse_slack_webhooks(secret_value: str) -> Webhooks:
    """A webhook URL, or {"default": url, "channels": {"#name" or channel id: url}}."""
    return parse_webhooks(secret_value, SERVICE, slack_channel)


@dataclass(frozen=True)
class SlackRoute:
    url: str = field(repr=False)
    channel: str
    """Where the message lands: the owner's channel, or `default`."""
    note: str | None = None
    """Why the message is not in the owner's own channel, when it is not."""


def route(owner_channel: str | None, webhooks: Webhooks) -> SlackRoute:
    """The owner's channel's webhook when there is one, else the default webhook."""
    if owner_channel and owner_channel in webhooks.channels:
        return SlackRoute(webhooks.channels[owner_channel], owner_channel)
    if owner_channel:
        return SlackRoute(
            webhooks.default,
            "default",
            f"This was meant for {owner_channel}, which has no keywarden webhook: "
            "posted to the default channel.",
        )
    return SlackRoute(webhooks.default, "default")


def owner_channel(facts: NotificationFacts) -> str | None:
    """The channel a message is for: the owner's, but none for a RESOLVED notice, which is for the
    security contact (as its email is, notifications/email_message.py recipients) and so goes to
    the default channel, where the messages of owners without a channel go."""
    match facts.kind:
        case MessageKind.FIRST_NOTICE | MessageKind.REMINDER | MessageKind.ESCALATION | MessageKind.ENFORCED:
            return facts.owner.slack_channel
        case MessageKind.RESOLVED:
            return None
        case _:
            assert_never(facts.kind)


def deliver_to_slack(
    facts: NotificationFacts, webhooks: Webhooks, policy: RetryPolicy, budget_seconds: float
) -> DeliveryReceipt:
    """Route to the owner's channel (or the default one), render, post with retries."""
    target = route(owner_channel(facts), webhooks)
    payload = render_slack_message(facts, target.note)
    delivered = post_json(target.url, payload, policy, budget_seconds, SERVICE)
    return DeliveryReceipt(
        len(delivered.attempts), {"slack_channel": target.channel, "routing_note": target.note}
    )


def read_slack_message(payload: dict[str, Any]) -> ReadMessage:
    return ReadMessage(subject=mrkdwn_unescape(str(payload.get("text", ""))), text=blocks_as_text(payload))


SLACK = WebhookChannel(
    name="slack",
    title="Slack",
    secret=WebhookSecret(
        default_name="keywarden/slack-webhook",
        description="keywarden: Slack incoming webhook URL(s) of owner notifications "
        '(a URL, or {"default": url, "channels": {"#name": url}})',
        not_rotated_because="A Slack incoming webhook URL cannot be rotated by Secrets Manager: it is "
        "revoked and re-created in Slack, then put in this secret by the operator.",
    ),
    parse_secret=parse_slack_webhooks,
    render=render_slack_message,
    read=read_slack_message,
    deliver=deliver_to_slack,
    # Slack takes about one message a second per webhook.
    default_concurrency=2,
)
