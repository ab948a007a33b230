"""The sandbox's local stand-in for each webhook channel (a new webhook channel adds its line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from keywarden.sandbox.servers.slack_server import SlackWebhookServer
from keywarden.sandbox.servers.teams_server import TeamsWebhookServer
from keywarden.sandbox.servers.webhook_server import WebhookServer
from notifications.channels import WebhookChannel

STAND_INS: Final[Mapping[str, type[WebhookServer]]] = {
    server.channel: server for server in (SlackWebhookServer, TeamsWebhookServer)
}


def stand_in_for(channel: WebhookChannel) -> WebhookServer:
    """A new (not started) local server answering as `channel`'s service does."""
    server = STAND_INS.get(channel.name)
    if server is None:
        raise RuntimeError(
            f"the sandbox has no local stand-in for {channel.title} webhooks: add one to "
            "keywarden/sandbox/servers/webhook_stand_ins.py"
        )
    return server()
