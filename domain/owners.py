"""Who owns an IAM user's keys: read from the user's tags, with a fallback contact."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Final

from pydantic import AfterValidator

from domain.frozen import FrozenModel

DEFAULT_OWNER_EMAIL_TAG_KEYS: Final = ("owner-email", "owner")
"""IAM user tags read, in order, for the key owner's email address."""

DEFAULT_SLACK_CHANNEL_TAG_KEYS: Final = ("slack-channel",)
"""IAM user tags read, in order, for the owner's Slack channel."""


class OwnerContact(FrozenModel):
    email: str
    source: str
    """Where the address came from: `tag:<key>`, or `fallback` (with the reason)."""
    slack_channel: str | None = None
    """`#name` or a channel id from the user's tags; None: the default channel."""
    slack_channel_source: str | None = None
    """`tag:<key>`, or `default channel` (with the reason); None when no channel tag is configured."""

    @property
    def email_is_fallback(self) -> bool:
        """True when no valid owner address was tagged and the fallback contact is used."""
        return self.source.startswith("fallback")


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Slack channel names: lowercase letters, digits, hyphens and underscores, at most 80 characters.
_SLACK_CHANNEL_NAME = re.compile(r"^#?([a-z0-9_][a-z0-9_-]{0,79})$")
# Or a channel id (C… public, G… private), which survives renames.
_SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{8,20}$")

FALLBACK_PREFIX = "fallback"


def is_email_address(value: str) -> bool:
    """A pragmatic check: one @, a dotted domain, no spaces."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def _checked_email_address(value: str) -> str:
    if not is_email_address(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


EmailAddress = Annotated[str, AfterValidator(_checked_email_address)]
"""A settings field holding one email address: anything else fails validation, naming the value."""


def slack_channel(value: str) -> str | None:
    """`#name` for a channel name (with or without #), the id for a channel id, None if malformed."""
    value = value.strip()
    if _SLACK_CHANNEL_ID.fullmatch(value):
        return value
    name = _SLACK_CHANNEL_NAME.fullmatch(value)
    return f"#{name.group(1)}" if name else None


def _owner_email(tags: Mapping[str, str], tag_keys: Sequence[str], fallback_email: str) -> tuple[str, str]:
    malformed: list[str] = []
    for key in tag_keys:
        value = tags.get(key, "").strip()
        if not value:
            continue
        if is_email_address(value):
            return value, f"tag:{key}"
        malformed.append(key)
    reason = (
        f"{FALLBACK_PREFIX}: malformed address in tag {', '.join(malformed)}"
        if malformed
        else f"{FALLBACK_PREFIX}: no owner tag ({', '.join(tag_keys)})"
    )
    return fallback_email, reason


def _owner_slack_channel(tags: Mapping[str, str], tag_keys: Sequence[str]) -> tuple[str | None, str | None]:
    if not tag_keys:
        return None, None
    malformed: list[str] = []
    for key in tag_keys:
        value = tags.get(key, "").strip()
        if not value:
            continue
        channel = slack_channel(value)
        if channel:
            return channel, f"tag:{key}"
        malformed.append(key)
    if malformed:
        return None, f"default channel: malformed channel in tag {', '.join(malformed)}"
    return None, f"default channel: no channel tag ({', '.join(tag_keys)})"


def resolve_owner(
    tags: Mapping[str, str],
    tag_keys: Sequence[str],
    fallback_email: str,
    slack_channel_tag_keys: Sequence[str] = (),
) -> OwnerContact:
    """The first tag (in `tag_keys` order) holding a valid address, else the fallback contact.

    The Slack channel is read the same way from `slack_channel_tag_keys`; without a valid one,
    messages go to the default channel. Either way the source says where the value came from.
    """
    email, source = _owner_email(tags, tag_keys, fallback_email)
    channel, channel_source = _owner_slack_channel(tags, slack_channel_tag_keys)
    return OwnerContact(
        email=email, source=source, slack_channel=channel, slack_channel_source=channel_source
    )
