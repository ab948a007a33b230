"""What the forwarders delivered in the sandbox: Slack posts (local webhook server) and SES emails.

Each forwarder invocation is watched: the Slack posts Slack accepted and the emails SES (moto)
sent during it are the deliveries of that notification, attributed to its IAM user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from moto.ses.models import ses_backends

from domain.notification_facts import OwnerMessageAttribute
from keywarden.sandbox.slack_server import SlackPost, SlackWebhookServer
from notifications.slack_message import blocks_as_text

DEFAULT_WEBHOOK = "default"


@dataclass(frozen=True)
class Delivery:
    channel: str
    """`slack` or `email`."""
    recipient: str
    """The Slack channel, or the email's To addresses."""
    subject: str
    text: str
    """What the owner reads: the Slack message as text, or the email's plain-text part."""
    user_name: str | None
    cc: tuple[str, ...] = ()
    sender: str | None = None
    html: str | None = None


def slack_delivery(post: SlackPost, default_channel: str, user_name: str | None) -> Delivery:
    subject = str(post.payload.get("text", ""))
    return Delivery(
        channel="slack",
        recipient=default_channel if post.webhook == DEFAULT_WEBHOOK else post.webhook,
        subject=subject.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"),
        text=blocks_as_text(post.payload),
        user_name=user_name,
    )


def _addresses(value: Any) -> tuple[str, ...]:
    return tuple(a.strip() for a in str(value or "").split(",") if a.strip())


def _lines(content: str) -> str:
    """Mail travels with CRLF line endings; a reader sees lines."""
    return content.replace("\r\n", "\n")


def email_delivery(raw: str, user_name: str | None) -> Delivery:
    """Read the MIME message SES sent: recipients, subject, text and HTML parts."""
    message = message_from_string(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):  # policy.default always builds one
        raise TypeError("not a MIME message")
    text_part, html_part = message.get_body(("plain",)), message.get_body(("html",))
    return Delivery(
        channel="email",
        recipient=", ".join(_addresses(message["To"])),
        subject=str(message["Subject"]),
        text=_lines(text_part.get_content()) if text_part else "",
        user_name=user_name,
        cc=_addresses(message["Cc"]),
        sender=str(message["From"]),
        html=_lines(html_part.get_content()) if html_part else None,
    )


@dataclass
class DeliveryRecorder:
    slack: SlackWebhookServer
    account_id: str
    region: str
    default_slack_channel: str
    deliveries: list[Delivery] = field(default_factory=list)

    def _sent_emails(self) -> list[Any]:
        return list(ses_backends[self.account_id][self.region].sent_messages)

    @contextlib.contextmanager
    def around(self, event: dict[str, Any]) -> Iterator[None]:
        """Attribute what one forwarder invocation delivers to the notification's user."""
        attributes = event["Records"][0]["Sns"].get("MessageAttributes") or {}
        user_name = attributes.get(OwnerMessageAttribute.USER_NAME, {}).get("Value")
        posts_before, emails_before = len(self.slack.posts), len(self._sent_emails())
        try:
            yield
        finally:
            for post in self.slack.posts[posts_before:]:
                if post.status == 200:
                    self.deliveries.append(slack_delivery(post, self.default_slack_channel, user_name))
            for sent in self._sent_emails()[emails_before:]:
                raw = getattr(sent, "raw_data", None)
                if raw is not None:
                    self.deliveries.append(email_delivery(raw, user_name))
