"""What a forwarder needs to deliver to its channel, built once when the function starts.

The channel's entry says what it needs; this module supplies it from AWS: a webhook channel
reads its webhook secret (Secrets Manager, cached), the email channel sends through SES.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import assert_never

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider

from domain.notification_facts import NotificationFacts
from notifications.channels import Channel, EmailChannel, WebhookChannel
from notifications.channels.base import DeliveryReceipt
from notifications.webhook import RetryPolicy

Deliver = Callable[[NotificationFacts, float], DeliveryReceipt]
"""Deliver these facts within this many seconds."""


class SesRawSender:
    """RawEmailSender over SES v2 SendEmail (Content.Raw)."""

    def __init__(self) -> None:
        self._ses = boto3.client("sesv2")

    def __call__(
        self, *, sender: str, to: Sequence[str], cc: Sequence[str], raw: bytes, configuration_set: str | None
    ) -> str:
        options = {"ConfigurationSetName": configuration_set} if configuration_set else {}
        answer = self._ses.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": list(to), "CcAddresses": list(cc)},
            Content={"Raw": {"Data": raw}},
            **options,
        )
        return str(answer["MessageId"])


def _webhook_forwarder(channel: WebhookChannel, environ: Mapping[str, str] | None) -> Deliver:
    settings = channel.settings_model.from_environment(environ)
    policy = RetryPolicy(max_attempts=settings.max_attempts, timeout_seconds=settings.timeout_seconds)
    secrets = SecretsProvider()

    def deliver(facts: NotificationFacts, budget_seconds: float) -> DeliveryReceipt:
        value = secrets.get(settings.webhook_secret_name, max_age=settings.secret_max_age_seconds)
        return channel.deliver(facts, channel.parse_secret(str(value)), policy, budget_seconds)

    return deliver


def _email_forwarder(channel: EmailChannel, environ: Mapping[str, str] | None) -> Deliver:
    settings = channel.settings_model.from_environment(environ)
    send = SesRawSender()

    def deliver(facts: NotificationFacts, budget_seconds: float) -> DeliveryReceipt:
        return channel.deliver(facts, settings, send)

    return deliver


def start_forwarder(channel: Channel, environ: Mapping[str, str] | None = None) -> Deliver:
    """Validate the channel's settings and build its clients; a bad setting fails the start."""
    match channel:
        case WebhookChannel():
            return _webhook_forwarder(channel, environ)
        case EmailChannel():
            return _email_forwarder(channel, environ)
        case _:
            assert_never(channel)
