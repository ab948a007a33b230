"""Microsoft Teams' webhooks, on 127.0.0.1: strict about the message shape Teams documents.

A Teams webhook takes a message whose `type` is "message" and whose `attachments` each carry an
Adaptive Card (`contentType` "application/vnd.microsoft.card.adaptive", `content` with `type`
"AdaptiveCard" and a `version`), at most 28 KB (notifications/channels/teams.py cites the
pages). A legacy connector webhook refuses anything else with 400; a Workflows webhook answers
202 Accepted first and its flow then fails to post, which nobody sees: the stand-in refuses
with 400 so that a malformed card fails here, in a test, and not silently in a tenant. What
it takes it answers 202, as the Workflows trigger does. It cannot route per channel: the
workflow posts where it was set up to.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from keywarden.sandbox.servers.webhook_server import ScriptedAnswer, WebhookServer
from notifications.channels.teams import ADAPTIVE_CARD, MESSAGE_LIMIT_BYTES

SANDBOX_DEFAULT_TEAMS_CHANNEL = "Security > keywarden alerts"
"""The team and channel the sandbox's Teams workflow posts to."""
HIGHEST_CARD_VERSION = (1, 5)
"""Teams is "limited to version 1.5" of Adaptive Cards (learn.microsoft.com, Copilot Studio's
"Adaptive Cards overview")."""
_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def _card_problem(card: Any) -> str | None:
    if not isinstance(card, dict):
        return "an attachment's content must be an Adaptive Card object"
    if card.get("type") != "AdaptiveCard":
        return "an attachment's content must have type 'AdaptiveCard'"
    version = _VERSION.fullmatch(str(card.get("version", "")))
    if version is None:
        return "an Adaptive Card needs a version such as '1.4'"
    if (int(version.group(1)), int(version.group(2))) > HIGHEST_CARD_VERSION:
        return f"Adaptive Card version {card['version']} is newer than Teams renders"
    body = card.get("body", [])
    if not isinstance(body, list) or not all(
        isinstance(e, dict) and isinstance(e.get("type"), str) for e in body
    ):
        return "an Adaptive Card's body must be a list of elements, each with a type"
    return None


def teams_refusal(payload: Any, size: int) -> str | None:
    """Why Teams would not post this message (None: it would)."""
    if size > MESSAGE_LIMIT_BYTES:
        return f"the message is {size} bytes; Teams takes at most {MESSAGE_LIMIT_BYTES}"
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return "type must be 'message'"
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "attachments must hold at least one card"
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
            return f"an attachment's contentType must be {ADAPTIVE_CARD!r}"
        problem = _card_problem(attachment.get("content"))
        if problem:
            return problem
    return None


class TeamsWebhookServer(WebhookServer):
    channel: ClassVar[str] = "teams"
    default_destination: ClassVar[str] = SANDBOX_DEFAULT_TEAMS_CHANNEL
    accepted: ClassVar[ScriptedAnswer] = ScriptedAnswer(202, "")

    def refusal(self, payload: Any, size: int) -> ScriptedAnswer | None:
        problem = teams_refusal(payload, size)
        if problem is None:
            return None
        status = 413 if size > MESSAGE_LIMIT_BYTES else 400
        return ScriptedAnswer(status, f"Bad payload: {problem}")
