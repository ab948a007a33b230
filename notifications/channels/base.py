"""What a channel is: a renderer, a deliver function and what it needs deployed, as one entry.

Two kinds of channel exist, by what they need in the account: a webhook channel needs a
Secrets Manager secret holding its webhook URL(s); the email channel needs the SES identity of
the sender. Everything else (CDK, the sandbox, the settings, the forwarder) reads the entry:
a new webhook channel is one module with its entry, and one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from domain.notification_facts import NotificationFacts
from notifications.settings import EmailForwarderSettings, WebhookForwarderSettings
from notifications.webhook import RetryPolicy, Webhooks

LogValue = str | int | bool | None


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the forwarder logs about one delivery: never a URL, a token or a message body."""

    attempts: int
    details: Mapping[str, LogValue]


@dataclass(frozen=True)
class ReadMessage:
    """A posted message as a person reads it (for the sandbox's report and the terminal)."""

    subject: str
    text: str


@dataclass(frozen=True)
class WebhookSecret:
    """Deployed for a webhook channel: a secret, created without a value, that the operator fills."""

    default_name: str
    description: str
    not_rotated_because: str
    """Why Secrets Manager does not rotate it (the cdk-nag AwsSolutions-SMG4 acknowledgement)."""


class _Channel:
    name: str
    title: str
    default_concurrency: int
    """Reserved concurrency of the forwarder unless `<name>ForwarderConcurrency` says otherwise (0: none)."""

    @property
    def severities_setting(self) -> str:
        """The deployment setting of the severities its forwarder receives (its filter policy)."""
        return f"{self.name}Severities"

    @property
    def concurrency_setting(self) -> str:
        return f"{self.name}ForwarderConcurrency"


@dataclass(frozen=True)
class WebhookChannel(_Channel):
    """A chat service reached through an incoming webhook (Slack, for one)."""

    name: str
    title: str
    secret: WebhookSecret
    parse_secret: Callable[[str], Webhooks]
    """The secret's value -> its webhooks; WebhookDeliveryError (never echoing it) when unusable."""
    render: Callable[[NotificationFacts], dict[str, Any]]
    """The payload posted for these facts (to the default webhook)."""
    read: Callable[[dict[str, Any]], ReadMessage]
    """A payload as the channel's reader sees it."""
    deliver: Callable[[NotificationFacts, Webhooks, RetryPolicy, float], DeliveryReceipt]
    """Route, render and post within the time budget (seconds); WebhookDeliveryError on failure."""
    default_concurrency: int = 0

    settings_model: ClassVar[type[WebhookForwarderSettings]] = WebhookForwarderSettings
    """Its forwarder's environment variables."""

    @property
    def secret_setting(self) -> str:
        return f"{self.name}WebhookSecretName"

    def preview(self, facts: NotificationFacts) -> str:
        """What the owner reads, as plain text."""
        return self.read(self.render(facts)).text


class RawEmailSender(Protocol):
    """Sends one raw MIME message (SES SendEmail, Content.Raw); returns the provider's message id."""

    def __call__(
        self, *, sender: str, to: Sequence[str], cc: Sequence[str], raw: bytes, configuration_set: str | None
    ) -> str: ...


@dataclass(frozen=True)
class EmailChannel(_Channel):
    """Email through SES, from the deployment's notificationSenderEmail (a verified identity)."""

    name: str
    title: str
    render_text: Callable[[NotificationFacts], str]
    deliver: Callable[[NotificationFacts, EmailForwarderSettings, RawEmailSender], DeliveryReceipt]
    default_concurrency: int = 0

    settings_model: ClassVar[type[EmailForwarderSettings]] = EmailForwarderSettings

    def preview(self, facts: NotificationFacts) -> str:
        return self.render_text(facts)


Channel = WebhookChannel | EmailChannel
