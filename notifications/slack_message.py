"""The owner's Slack message, in Block Kit. Pure: the forwarder posts what this returns.

Every value that comes from outside keywarden (user names, tag values, services, regions) is
escaped for Slack's mrkdwn, so a crafted name cannot ping `@channel`, inject a link or break
the layout.
"""

from __future__ import annotations

import re
from typing import Any

from domain.notification_facts import NotificationFacts
from notifications.lifecycle_wording import FollowUpStatement, Tone, follow_up_statement
from notifications.wording import (
    introduction,
    key_statement,
    owner_subject,
    password_headline,
    password_statement,
    why_you_receive_this,
)

HEADER_LIMIT = 150  # Block Kit: header text
SECTION_LIMIT = 3000  # Block Kit: section text
FIELD_LIMIT = 2000  # Block Kit: each section field
_BOLD = re.compile(r"\*([^*\n]+)\*")
_CODE = re.compile(r"`([^`\n]+)`")
_EMOJI = {":warning:": "⚠️", ":no_entry:": "⛔", ":white_check_mark:": "✅"}
_TONE_MARKERS = {Tone.WARNING: ":warning:", Tone.ATTENTION: ":no_entry:", Tone.GOOD: ":white_check_mark:"}


def mrkdwn_escape(value: str) -> str:
    """Slack's rule: &, < and > become entities; the rest is shown as typed."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_unescape(text: str) -> str:
    """What Slack shows for escaped mrkdwn text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_code(value: str) -> str:
    """An identifier shown verbatim (in a code span): *, _ and ~ inside it format nothing."""
    return "`" + mrkdwn_escape(value.replace("`", "'")) + "`"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}


def _key_blocks(facts: NotificationFacts) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for key in facts.notified_keys:
        statement = key_statement(key, facts, literal=mrkdwn_code)
        marker = ":warning:" if statement.still_active else ":no_entry:"
        title = f"{marker} *Access key {mrkdwn_code(statement.access_key_id)}: {statement.headline}*"
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": title},
                "fields": [
                    {"type": "mrkdwn", "text": _clip(f"*Created*\n{statement.created}", FIELD_LIMIT)},
                    {"type": "mrkdwn", "text": _clip(f"*Last used*\n{statement.last_used}", FIELD_LIMIT)},
                ],
            }
        )
        blocks.append(_section(f"{statement.why}\n*{statement.what_to_do}*"))
    return blocks


def _follow_up_blocks(statement: FollowUpStatement) -> list[dict[str, Any]]:
    title = f"{_TONE_MARKERS[statement.tone]} *{statement.key}: {statement.headline}*"
    return [_section(title), _section(f"{statement.happened}\n*{statement.next_steps}*")]


def _context_notes(facts: NotificationFacts, routing_note: str | None) -> list[str]:
    notes = [why_you_receive_this(facts, literal=mrkdwn_code)]
    if facts.owner.slack_channel_source and not facts.owner.slack_channel:
        notes.append(f"Posted to the default channel ({mrkdwn_escape(facts.owner.slack_channel_source)}).")
    if routing_note:
        notes.append(mrkdwn_escape(routing_note))
    return notes


def render_slack_message(facts: NotificationFacts, routing_note: str | None = None) -> dict[str, Any]:
    """An incoming-webhook payload: `text` (the notification preview) and Block Kit `blocks`.

    `routing_note` says why the message is not in the owner's own channel, when it is not.
    """
    subject = owner_subject(facts, limit=HEADER_LIMIT + len("[keywarden] ")).removeprefix("[keywarden] ")
    blocks: list[dict[str, Any]] = [
        # plain_text is shown as typed: no escaping, no formatting.
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(subject, HEADER_LIMIT), "emoji": True},
        },
        _section(introduction(facts, literal=mrkdwn_code)),
    ]
    follow_up = follow_up_statement(facts, literal=mrkdwn_code)
    blocks += _key_blocks(facts) if follow_up is None else _follow_up_blocks(follow_up)
    if follow_up is None and facts.password_deleted:
        blocks.append(
            _section(
                f":no_entry: *Console password: {password_headline(facts)}*\n{password_statement(facts)}"
            )
        )
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": _clip(note, FIELD_LIMIT)}
                for note in _context_notes(facts, routing_note)
            ],
        }
    )
    return {"text": mrkdwn_escape(subject), "blocks": blocks}


def blocks_as_text(payload: dict[str, Any]) -> str:
    """What a person reads in Slack, as plain text (for the terminal and the sandbox's report)."""
    paragraphs: list[str] = []
    for block in payload.get("blocks", []):
        if block.get("type") == "divider":
            paragraphs.append("─" * 20)
            continue
        lines = [block["text"]["text"]] if "text" in block else []
        # A field is "*Label*\nvalue": one line, "Label: value".
        lines += [field["text"].replace("\n", ": ", 1) for field in block.get("fields", [])]
        lines += [element["text"] for element in block.get("elements", [])]
        paragraphs.append("\n".join(lines))
    plain = "\n\n".join(paragraphs)
    plain = _CODE.sub(r"\1", _BOLD.sub(r"\1", plain))  # what Slack shows as bold and code
    for code, emoji in _EMOJI.items():
        plain = plain.replace(code, emoji)
    return mrkdwn_unescape(plain)
