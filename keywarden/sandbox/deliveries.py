"""What the forwarders delivered in the sandbox: webhook posts (local stand-ins) and SES emails.

Each forwarder invocation is watched: the posts a stand-in accepted and the emails SES (moto)
sent during it are the deliveries of that notification, attributed to its IAM user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from moto.ses.models import ses_backends

from domain.notification_facts import OwnerMessageAttribute
from keywarden.sandbox.servers.webhook_server import WebhookPost, WebhookServer
from notifications.channels import EmailChannel, WebhookChannel, channel_named


@dataclass(frozen=True)
class Delivery:
    channel: str
    """The channel's name in notifications/channels/ (`slack`, `email`...)."""
    recipient: str
    """The chat channel posted to, or the email's To addresses."""
    subject: str
    text: str
    """What the owner reads: the chat message as text, or the email's plain-text part."""
    user_name: str | None
    cc: tuple[str, ...] = ()
    sender: str | None = None
    html: str | None = None
    kind: str | None = None
    """The notification's `kind` message attribute (None: absent, a first notice)."""


def webhook_delivery(
    server: WebhookServer, post: WebhookPost, user_name: str | None, kind: str | None = None
) -> Delivery:
    channel = channel_named(server.channel)
    if not isinstance(channel, WebhookChannel):
        raise TypeError(f"{server.channel} is not a webhook channel")
    message = channel.read(post.payload)
    return Delivery(
        channel=channel.name,
        recipient=server.destination(post.webhook),
        subject=message.subject,
        text=message.text,
        user_name=user_name,
        kind=kind,
    )


def _addresses(value: Any) -> tuple[str, ...]:
    return tuple(a.strip() for a in str(value or "").split(",") if a.strip())


def _lines(content: str) -> str:
    """Mail travels with CRLF line endings; a reader sees lines."""
    return content.replace("\r\n", "\n")


def email_delivery(
    channel: EmailChannel, raw: str, user_name: str | None, kind: str | None = None
) -> Delivery:
    """Read the MIME message SES sent: recipients, subject, text and HTML parts."""
    message = message_from_string(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # policy.default always builds one
        raise TypeError("not a MIME message")
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    return Delivery(
        channel=channel.name,
        recipient=", ".join(_addresses(message["To"])),
        subject=str(message["Subject"]),
        text=_lines(text_part.get_content()) if text_part else "",
        user_name=user_name,
        cc=_addresses(message["Cc"]),
        sender=str(message["From"]),
        html=_lines(html_part.get_content()) if html_part else None,
        kind=kind,
    )


@dataclass
class DeliveryRecorder:
    webhooks: Mapping[str, WebhookServer]
    """The stand-in of each deployed webhook channel, by channel name."""
    email: EmailChannel | None
    """The email channel, when deployed (its messages are read back from moto's SES)."""
    account_id: str
    region: str
    deliveries: list[Delivery] = field(default_factory=list)

    def _sent_emails(self) -> list[Any]:
        return list(ses_backends[self.account_id][self.region].sent_messages)

    @contextlib.contextmanager
    def around(self, event: dict[str, Any]) -> Iterator[None]:
        """Attribute what one forwarder invocation delivers to the notification's user."""
        attributes = event["Records"][0]["Sns"].get("MessageAttributes") or {}
        user_name = attributes.get(OwnerMessageAttribute.USER_NAME, {}).get("Value")
        kind = attributes.get(OwnerMessageAttribute.KIND, {}).get("Value")
        posts_before = {name: len(server.posts) for name, server in self.webhooks.items()}
        emails_before = len(self._sent_emails())
        try:
            yield
        finally:
            for name, server in self.webhooks.items():
                for post in server.posts[posts_before[name] :]:
                    if post.accepted:
                        self.deliveries.append(webhook_delivery(server, post, user_name, kind))
            for sent in self._sent_emails()[emails_before:]:
                raw = getattr(sent, "raw_data", None)
                if raw is not None and self.email is not None:
                    self.deliveries.append(email_delivery(self.email, raw, user_name, kind))
