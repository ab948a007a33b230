"""Microsoft Teams: an Adaptive Card posted to a Teams webhook (Workflows, or a legacy connector).

The payload, as Microsoft documents it ("Create and send messages", section "Send Adaptive
Cards using an Incoming Webhook", learn.microsoft.com/microsoftteams/platform/webhooks-and-
connectors/how-to/connectors-using): a message whose `type` must be "message", whose
`attachments` hold the card objects, each with `contentType`
"application/vnd.microsoft.card.adaptive" and the card itself in `content` (`type`
"AdaptiveCard", a `version`). Office 365 connectors are retired in favour of Workflows: the
"Post to a channel when a webhook request is received" workflow takes the same message and
posts `attachments[0].content`; its trigger URL carries its authorization (the `sig` query
parameter), so the URL is a secret, kept in Secrets Manager like Slack's and never logged.
A message may not exceed 28 KB, and more than four requests a second to one webhook are
throttled with 429 (add-incoming-webhook, same site): the shared poster retries 429 and 5xx
with back-off and honours Retry-After.

Every value from outside keywarden is shown as typed: the card uses RichTextBlock and TextRun
only, which render no Markdown ("RichTextBlock doesn't support Markdown", Adaptive Cards "Text
features", learn.microsoft.com/adaptive-cards/authoring-cards/text-features), where TextBlock
and FactSet would turn a crafted name into a link or formatting.
"""

from __future__ import annotations

from typing import Any, Final

from domain.notification_facts import NotificationFacts
from notifications.channels.base import DeliveryReceipt, ReadMessage, WebhookChannel, WebhookSecret
from notifications.lifecycle_wording import FollowUpStatement, Tone, follow_up_statement
from notifications.webhook import RetryPolicy, Webhooks, parse_webhooks, post_json
from notifications.wording import (
    introduction,
    key_statement,
    owner_subject,
    password_headline,
    password_statement,
    why_you_receive_this,
)

SERVICE: Final = "Teams"
ADAPTIVE_CARD: Final = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA: Final = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION: Final = "1.4"
"""RichTextBlock needs 1.2. Teams renders up to 1.5, but a 1.5 card is "incompatible with older
clients of ... Teams" (learn.microsoft.com, "Work with Universal Actions for Adaptive Cards")."""
MESSAGE_LIMIT_BYTES: Final = 28 * 1024


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def _paragraph(*runs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": list(runs), **options}


def _labelled(label: str, value: str) -> dict[str, Any]:
    return _paragraph(_run(f"{label}: ", weight="Bolder"), _run(value))


def _key_containers(facts: NotificationFacts) -> list[dict[str, Any]]:
    containers = []
    for key in facts.notified_keys:
        statement = key_statement(key, facts)
        colour = "Warning" if statement.still_active else "Attention"
        title = _paragraph(
            _run("Access key ", weight="Bolder"),
            _run(statement.access_key_id, weight="Bolder", fontType="Monospace"),
            _run(f": {statement.headline}", weight="Bolder", color=colour),
        )
        containers.append(
            {
                "type": "Container",
                "style": colour.lower(),
                "separator": True,
                "items": [
                    title,
                    _labelled("Created", statement.created),
                    _labelled("Last used", statement.last_used),
                    _paragraph(_run(statement.why)),
                    _paragraph(_run(statement.what_to_do, weight="Bolder")),
                ],
            }
        )
    return containers


_TONE_COLOURS: Final = {Tone.WARNING: "Warning", Tone.ATTENTION: "Attention", Tone.GOOD: "Good"}


def _follow_up_container(statement: FollowUpStatement) -> dict[str, Any]:
    colour = _TONE_COLOURS[statement.tone]
    return {
        "type": "Container",
        "style": colour.lower(),
        "separator": True,
        "items": [
            _paragraph(
                _run(f"{statement.key}: ", weight="Bolder"),
                _run(statement.headline, weight="Bolder", color=colour),
            ),
            _paragraph(_run(statement.happened)),
            _paragraph(_run(statement.next_steps, weight="Bolder")),
        ],
    }


def render_teams_message(facts: NotificationFacts) -> dict[str, Any]:
    """The webhook payload: a message with one Adaptive Card naming each key, its age, its last
    use, what to do and by when (the sentences of notifications/wording.py)."""
    subject = owner_subject(facts, limit=200).removeprefix("[keywarden] ")
    body: list[dict[str, Any]] = [
        _paragraph(_run(subject, size="Large", weight="Bolder")),
        _paragraph(_run(introduction(facts))),
    ]
    follow_up = follow_up_statement(facts)
    body += _key_containers(facts) if follow_up is None else [_follow_up_container(follow_up)]
    if follow_up is None and facts.password_deleted:
        body.append(
            {
                "type": "Container",
                "style": "attention",
                "separator": True,
                "items": [
                    _paragraph(
                        _run("Console password: ", weight="Bolder"),
                        _run(password_headline(facts), weight="Bolder", color="Attention"),
                    ),
                    _paragraph(_run(password_statement(facts))),
                ],
            }
        )
    body.append(_paragraph(_run(why_you_receive_this(facts), size="Small", isSubtle=True), separator=True))
    card = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def _element_text(element: dict[str, Any]) -> str:
    if element.get("type") == "RichTextBlock":
        return "".join(str(run.get("text", "")) for run in element.get("inlines", []))
    if element.get("type") == "Container":
        return "\n".join(_element_text(item) for item in element.get("items", []))
    return str(element.get("text", ""))


def read_teams_message(payload: dict[str, Any]) -> ReadMessage:
    """What a person reads in Teams: each card's elements as lines, the header as the subject."""
    paragraphs = [
        _element_text(element)
        for attachment in payload.get("attachments", [])
        for element in attachment.get("content", {}).get("body", [])
    ]
    return ReadMessage(subject=paragraphs[0] if paragraphs else "", text="\n\n".join(paragraphs))


def parse_teams_webhooks(secret_value: str) -> Webhooks:
    """A webhook URL, or {"default": url}: a Teams workflow posts to the channel chosen in it."""
    return parse_webhooks(secret_value, SERVICE)


def deliver_to_teams(
    facts: NotificationFacts, webhooks: Webhooks, policy: RetryPolicy, budget_seconds: float
) -> DeliveryReceipt:
    """Render the card and post it to the Teams webhook, with retries."""
    delivered = post_json(webhooks.default, render_teams_message(facts), policy, budget_seconds, SERVICE)
    return DeliveryReceipt(len(delivered.attempts), {"teams_webhook": "default"})


TEAMS = WebhookChannel(
    name="teams",
    title="Microsoft Teams",
    secret=WebhookSecret(
        default_name="keywarden/teams-webhook",
        description="keywarden: Microsoft Teams webhook URL of owner notifications "
        '(the Workflows trigger URL, or {"default": url})',
        not_rotated_because="A Teams webhook URL cannot be rotated by Secrets Manager: the workflow's "
        "trigger URL is regenerated in Teams (Workflows), then put in this secret by the operator.",
    ),
    parse_secret=parse_teams_webhooks,
    render=render_teams_message,
    read=read_teams_message,
    deliver=deliver_to_teams,
    # Teams throttles a webhook beyond four requests a second.
    default_concurrency=2,
)
