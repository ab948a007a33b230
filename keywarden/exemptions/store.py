"""Read and write the exemption table, refusing exemptions a reviewer would refuse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.exemptions import Exemption
from keywarden.cli_errors import InputError
from keywarden.durations import parse_duration


class ExemptionRefusedError(InputError):
    """The exemption is not acceptable; the message says why (exit code 2)."""


@dataclass(frozen=True)
class ExemptionRequest:
    user: str
    reason: str
    expires_at: datetime | None


def approve(request: ExemptionRequest, added_by: str, now: datetime, max_days: int) -> Exemption:
    """An exemption needs a user, a reason and an expiry within `max_days` from now."""
    user, reason = request.user.strip(), request.reason.strip()
    if not user:
        raise ExemptionRefusedError("an exemption names a user (a name or ARN, wildcards allowed)")
    if user in {"*", "arn:*"} or user.strip("*?") == "":
        raise ExemptionRefusedError(f"{user!r} would exempt every user: name them")
    if not reason:
        raise ExemptionRefusedError("an exemption needs a reason")
    if request.expires_at is None:
        raise ExemptionRefusedError("an exemption needs an expiry")
    if request.expires_at <= now:
        raise ExemptionRefusedError(f"the expiry {request.expires_at:%Y-%m-%d %H:%M} UTC is in the past")
    if request.expires_at - now > timedelta(days=max_days):
        raise ExemptionRefusedError(
            f"the expiry {request.expires_at:%Y-%m-%d} is more than {max_days} days away "
            f"(latest allowed: {now + timedelta(days=max_days):%Y-%m-%d})"
        )
    return Exemption(user=user, reason=reason, added_by=added_by, added_at=now, expires_at=request.expires_at)


def parse_expiry(text: str, now: datetime) -> datetime:
    """`30d`, `2w`, `12h` from now; a date (the end of that UTC day); or a date and time."""
    value = text.strip()
    duration = parse_duration(value, max_digits=4)
    if duration is not None:
        return now + duration
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ExemptionRefusedError(
            f"--expires {text!r}: use a duration from now (30d, 2w, 12h), a date (2026-12-31) "
            "or a date and time (2026-12-31T18:00:00Z)"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
