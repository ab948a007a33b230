"""Slack's incoming webhooks, on 127.0.0.1: "ok" to a message, a webhook per owner channel.

Slack answers 200 "ok"; a post with neither `text` nor `blocks` is refused 400 "no_text"
(Slack's "Sending messages using incoming webhooks", its error list).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import boto3

from domain.owners import OwnerContact
from keywarden.sandbox.servers.webhook_server import ScriptedAnswer, WebhookServer

SANDBOX_DEFAULT_SLACK_CHANNEL = "#keywarden-alerts"
"""The channel the sandbox's default Slack webhook posts to."""


class SlackWebhookServer(WebhookServer):
    channel: ClassVar[str] = "slack"
    default_destination: ClassVar[str] = SANDBOX_DEFAULT_SLACK_CHANNEL

    def refusal(self, payload: Any, size: int) -> ScriptedAnswer | None:
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return ScriptedAnswer(400, "no_text")
        return None

    def prepare_for(self, owner: OwnerContact, secret_name: str, region: str) -> None:
        """An owner tagged with a channel: the team set up a webhook for it."""
        if owner.slack_channel:
            add_channel_webhook(self, secret_name, owner.slack_channel, region)


def add_channel_webhook(server: WebhookServer, secret_name: str, channel: str, region: str) -> None:
    """Give `channel` its own webhook in the Slack secret, as a team would when it sets one up."""
    secrets = boto3.client("secretsmanager", region_name=region)
    webhooks = json.loads(secrets.get_secret_value(SecretId=secret_name)["SecretString"])
    webhooks.setdefault("channels", {})[channel] = server.url(channel)
    secrets.put_secret_value(SecretId=secret_name, SecretString=json.dumps(webhooks))
