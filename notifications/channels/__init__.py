"""The channels owners can be told through: one entry each, and everything else reads them.

A deployment picks its channels by name (`notificationChannels`); CDK, the local sandbox, the
settings and the one forwarder handler (`lambdas.handlers.forward_owner_notification`, with
`CHANNEL=<name>`) find here what each needs. Adding a channel: a module with its entry, and
its line below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from notifications.channels.base import Channel, EmailChannel, WebhookChannel
from notifications.channels.email import EMAIL
from notifications.channels.slack import SLACK
from notifications.channels.teams import TEAMS

CHANNELS: Final[Mapping[str, Channel]] = {channel.name: channel for channel in (SLACK, EMAIL, TEAMS)}
"""Every channel keywarden can deliver to, by name."""

DEFAULT_CHANNELS: Final = ("slack", "email")

FORWARDER_HANDLER: Final = "lambdas.handlers.forward_owner_notification.handler"
"""The Lambda handler of every channel's forwarder (the channel comes from its CHANNEL variable)."""


class UnknownChannelError(ValueError):
    """A channel name that is not in the registry; the message lists the known ones."""


def channel_named(name: str) -> Channel:
    """The registry entry of `name`, or UnknownChannelError naming the channels there are."""
    try:
        return CHANNELS[name]
    except KeyError:
        known = ", ".join(sorted(CHANNELS))
        raise UnknownChannelError(f"unknown notification channel {name!r} (keywarden has: {known})") from None


__all__ = [
    "CHANNELS",
    "DEFAULT_CHANNELS",
    "FORWARDER_HANDLER",
    "Channel",
    "EmailChannel",
    "UnknownChannelError",
    "WebhookChannel",
    "channel_named",
]
