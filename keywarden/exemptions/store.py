"""Read and write the exemption table, refusing exemptions a reviewer would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lambdas.exemptions import Exemption

DEFAULT_MAX_EXEMPTION_DAYS = 90


class ExemptionRefusedError(ValueError):
    """The exemption is not acceptable; the message says why."""


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
