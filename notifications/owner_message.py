"""The message published to the owners' topic: readable text, structured facts, filterable attributes.

Pure rendering: no AWS calls, so every wording is unit-tested.
"""

from __future__ import annotations

import json
import textwrap

from domain.credentials import KeyOutcome
from domain.messages import OwnerNotification
from domain.notification_facts import (
    NOTIFIED_KEY_RESULTS,
    NotificationFacts,
    OwnerMessageAttribute,
    needs_owner_notification,
)
from notifications.lifecycle_wording import FollowUpStatement, follow_up_statement
from notifications.wording import (
    SUBJECT_LIMIT,
    introduction,
    key_statement,
    notification_severity,
    owner_subject,
    password_headline,
    password_statement,
    why_you_receive_this,
)

__all__ = [
    "NOTIFIED_KEY_RESULTS",
    "SUBJECT_LIMIT",
    "NotificationFacts",
    "needs_owner_notification",
    "render_owner_notification",
    "render_text",
]

WIDTH = 78


def _fill(text: str, indent: str = "") -> str:
    # Never break inside a hyphenated name (tag:owner-email, a user name): it reads as two words.
    return textwrap.fill(
        text, width=WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _indented(text: str) -> str:
    return _fill(text, "  ")


def _key_paragraph(key: KeyOutcome, facts: NotificationFacts) -> str:
    statement = key_statement(key, facts)
    return "\n".join(
        [
            f"Access key {statement.access_key_id}: {statement.headline}",
            f"  Created:   {statement.created}",
            f"  Last used: {statement.last_used}",
            _indented(statement.why),
            _indented(statement.what_to_do),
        ]
    )


def _follow_up_paragraph(statement: FollowUpStatement) -> str:
    return "\n".join(
        [
            _fill(f"{statement.key}: {statement.headline}"),
            _indented(statement.happened),
            _indented(statement.next_steps),
        ]
    )


def render_text(facts: NotificationFacts) -> str:
    """The plain-text body: an introduction, one paragraph per key (a follow-up: its key), the
    password, who and why."""
    follow_up = follow_up_statement(facts)
    paragraphs = ["Hello,", _fill(introduction(facts))]
    if follow_up is not None:
        paragraphs.append(_follow_up_paragraph(follow_up))
    else:
        paragraphs += [_key_paragraph(k, facts) for k in facts.notified_keys]
    if follow_up is None and facts.password_deleted:
        paragraphs.append(
            "\n".join([f"Console password: {password_headline(facts)}", _indented(password_statement(facts))])
        )
    paragraphs.append(_fill(why_you_receive_this(facts)))
    return "\n\n".join(paragraphs) + "\n"


def render_owner_notification(facts: NotificationFacts) -> OwnerNotification:
    """The SNS message for the owners' topic: subject, body, structured facts, filterable attributes.

    Published with MessageStructure=json: subscribers that read text (email, SQS, HTTP) get the
    body; Lambda subscribers (each channel's forwarder) get the facts as JSON.
    """
    text = render_text(facts)
    attributes = {
        OwnerMessageAttribute.USER_NAME: facts.user_name,
        OwnerMessageAttribute.OUTCOME: facts.outcome.value,
        OwnerMessageAttribute.ACCOUNT_ID: facts.account_id,
        OwnerMessageAttribute.OWNER_EMAIL: facts.owner.email,
        OwnerMessageAttribute.OWNER_KNOWN: "false" if facts.owner.email_is_fallback else "true",
        OwnerMessageAttribute.SEVERITY: notification_severity(facts).value,
        OwnerMessageAttribute.KIND: facts.kind.value,
    }
    message = {"default": text, "email": text, "lambda": facts.model_dump_json()}
    return OwnerNotification(
        subject=owner_subject(facts),
        text=text,
        message=json.dumps(message, ensure_ascii=False),
        attributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
    )
