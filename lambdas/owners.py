"""Who owns an IAM user's keys: read from the user's tags, with a fallback contact."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from lambdas.models import OwnerContact

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email_address(value: str) -> bool:
    """A pragmatic check: one @, a dotted domain, no spaces."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def resolve_owner(tags: Mapping[str, str], tag_keys: Sequence[str], fallback_email: str) -> OwnerContact:
    """The first tag (in `tag_keys` order) holding a valid address, else the fallback contact."""
    malformed: list[str] = []
    for key in tag_keys:
        value = tags.get(key, "").strip()
        if not value:
            continue
        if is_email_address(value):
            return OwnerContact(email=value, source=f"tag:{key}")
        malformed.append(key)
    reason = (
        f"fallback: malformed address in tag {', '.join(malformed)}"
        if malformed
        else f"fallback: no owner tag ({', '.join(tag_keys)})"
    )
    return OwnerContact(email=fallback_email, source=reason)
