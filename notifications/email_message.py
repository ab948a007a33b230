"""The owner's email: recipients, subject, plain text and HTML, as one MIME message. Pure.

Every value from outside keywarden is HTML-escaped; the plain-text part is the same text as
the SNS message, so an owner reads the same words whichever way the message reaches them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import assert_never

from domain.findings import MessageKind
from domain.notification_facts import NotificationFacts
from notifications.lifecycle_wording import FollowUpStatement, Tone, escalation_contacts, follow_up_statement
from notifications.owner_message import render_text
from notifications.wording import (
    introduction,
    key_statement,
    owner_subject,
    password_headline,
    password_statement,
    why_you_receive_this,
)

_STYLE = "font-family: Arial, Helvetica, sans-serif; font-size: 14px; color: #1b1b1b"
_CELL = "padding: 2px 12px 2px 0; vertical-align: top"


@dataclass(frozen=True)
class OwnerEmail:
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    text: str
    html: str


def _distinct(addresses: Iterable[str], besides: Iterable[str]) -> tuple[str, ...]:
    """`addresses` in order, each once and none of `besides` (email addresses compare case-blind)."""
    seen = {a.lower() for a in besides}
    kept = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            kept.append(address)
    return tuple(kept)


def recipients(facts: NotificationFacts) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(To, Cc): the tagged owner alone; when the owner is unknown, the fallback contact, with the
    security contact in copy (once, if they are the same address).

    An ESCALATION copies everyone it escalates to (`finding.escalated_to`: the security contact,
    the escalation tags' addresses), so each sees who else was told. A RESOLVED notice goes to the
    security contact alone: the owner closed the finding themselves and needs no message about
    it, while the security contact, told at the escalation, learns that it is closed."""
    match facts.kind:
        case MessageKind.FIRST_NOTICE | MessageKind.REMINDER | MessageKind.ENFORCED:
            escalated: tuple[str, ...] = ()
        case MessageKind.ESCALATION:
            escalated = escalation_contacts(facts)
        case MessageKind.RESOLVED:
            return (facts.security_contact_email,), ()
        case _:
            assert_never(facts.kind)
    to = (facts.owner.email,)
    fallback_copy = (facts.security_contact_email,) if facts.owner.email_is_fallback else ()
    return to, _distinct((*fallback_copy, *escalated), besides=to)


def _code(value: str) -> str:
    return f"<code>{html.escape(value)}</code>"


def _row(label: str, value: str) -> str:
    return f'<tr><td style="{_CELL}"><b>{label}</b></td><td style="{_CELL}">{value}</td></tr>'


def _heading(text: str, status: str, colour: str) -> str:
    return f'<h3 style="margin: 18px 0 4px 0">{text}: <span style="color: {colour}">{status}</span></h3>'


def _key_section(facts: NotificationFacts) -> list[str]:
    parts = []
    for key in facts.notified_keys:
        statement = key_statement(key, facts, literal=html.escape)
        parts += [
            _heading(
                f"Access key {_code(statement.access_key_id)}",
                statement.headline,
                _colour(statement.still_active),
            ),
            "<table>",
            _row("Created", statement.created),
            _row("Last used", statement.last_used),
            "</table>",
            f"<p>{statement.why}</p>",
            f"<p><b>{statement.what_to_do}</b></p>",
        ]
    return parts


_TONE_COLOURS = {Tone.WARNING: "#b35900", Tone.ATTENTION: "#8a1c1c", Tone.GOOD: "#1e6b2e"}


def _colour(still_active: bool) -> str:
    return _TONE_COLOURS[Tone.WARNING if still_active else Tone.ATTENTION]


def _follow_up_section(statement: FollowUpStatement) -> list[str]:
    return [
        _heading(statement.key, statement.headline, _TONE_COLOURS[statement.tone]),
        f"<p>{statement.happened}</p>",
        f"<p><b>{statement.next_steps}</b></p>",
    ]


def render_html(facts: NotificationFacts) -> str:
    """The HTML part: the same sentences as the text, laid out, every outside value escaped."""
    follow_up = follow_up_statement(facts, literal=_code)
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"></head>',
        f'<body style="{_STYLE}">',
        "<p>Hello,</p>",
        f"<p>{introduction(facts, literal=_code)}</p>",
        *(_key_section(facts) if follow_up is None else _follow_up_section(follow_up)),
    ]
    if follow_up is None and facts.password_deleted:
        parts += [
            _heading("Console password", password_headline(facts), "#8a1c1c"),
            f"<p>{password_statement(facts)}</p>",
        ]
    parts += [
        '<hr style="border: none; border-top: 1px solid #ccc">',
        f'<p style="color: #555; font-size: 12px">{why_you_receive_this(facts, literal=html.escape)}</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def render_owner_email(facts: NotificationFacts) -> OwnerEmail:
    """Everything the email forwarder sends, decided without AWS."""
    to, cc = recipients(facts)
    return OwnerEmail(
        to=to, cc=cc, subject=owner_subject(facts), text=render_text(facts), html=render_html(facts)
    )


def to_mime(email: OwnerEmail, sender: str) -> bytes:
    """A multipart/alternative message (text, then HTML), UTF-8 throughout, as SES sends it raw."""
    # SMTP line endings; headers folded only past RFC 5322's hard limit: at 78 columns Python
    # folds a long subject right after "Subject:", and some clients then show a leading space.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(email.text, charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message.as_bytes()
