"""Email: multipart text + HTML, sent raw through SES from the deployment's sender address."""

from __future__ import annotations

from domain.notification_facts import NotificationFacts
from notifications.channels.base import DeliveryReceipt, EmailChannel, RawEmailSender
from notifications.email_message import render_owner_email, to_mime
from notifications.owner_message import render_text
from notifications.settings import EmailForwarderSettings


def deliver_email(
    facts: NotificationFacts, settings: EmailForwarderSettings, send: RawEmailSender
) -> DeliveryReceipt:
    """Render the owner's email and send it; the sender's error (SES refusing) propagates."""
    email = render_owner_email(facts)
    message_id = send(
        sender=settings.sender,
        to=email.to,
        cc=email.cc,
        raw=to_mime(email, settings.sender),
        configuration_set=settings.configuration_set,
    )
    return DeliveryReceipt(
        1,
        {
            "ses_message_id": message_id,
            "owner_known": not facts.owner.email_is_fallback,
            "recipients": len(email.to) + len(email.cc),
        },
    )


EMAIL = EmailChannel(name="email", title="email", render_text=render_text, deliver=deliver_email)
