"""Exemptions: IAM users that security administrators protect from remediation, for a while.

Kept in keywarden's exemption table (writable by security administrators only), never in the
user's own tags: a user able to tag itself could exempt itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any, Final

from pydantic import AwareDatetime, Field

from domain.frozen import FrozenModel
from domain.tables import ExemptionTable

DEFAULT_MAX_EXEMPTION_DAYS: Final = 90
"""The longest an exemption may be granted for, unless the deployment sets maxExemptionDays."""
MAX_EXEMPTION_DAYS_CEILING: Final = 365
"""The highest maxExemptionDays a deployment (or a scenario) may set."""


class Exemption(FrozenModel):
    user: str = Field(min_length=1, max_length=2048)
    """An IAM user name or user ARN; `*` and `?` are wildcards. Names match case-insensitively."""
    reason: str = Field(min_length=1, max_length=1000)
    added_by: str = Field(min_length=1)
    added_at: AwareDatetime
    expires_at: AwareDatetime

    def matches(self, user_name: str, user_arn: str) -> bool:
        """Whether this exemption names the user (by ARN pattern, or by name pattern)."""
        if self.user.startswith("arn:"):
            return fnmatchcase(user_arn, self.user)
        return fnmatchcase(user_name.lower(), self.user.lower())

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def longer_than(self, days: int) -> bool:
        """Granted for more than `days`: the central limit, enforced where exemptions are read."""
        return self.expires_at - self.added_at > timedelta(days=days)


class ExemptionCheck(FrozenModel):
    """The exemption that applies to a user, if any, and an expired one that no longer does."""

    applied: Exemption | None = None
    expired: Exemption | None = None
    too_long: Exemption | None = None
    """A matching exemption granted for longer than the allowed maximum: ignored, and said so."""

    @property
    def exempt(self) -> bool:
        return self.applied is not None


def check_exemptions(
    exemptions: Iterable[Exemption], user_name: str, user_arn: str, now: datetime, max_days: int
) -> ExemptionCheck:
    """The active exemption lasting longest wins; else an expired one (or one too long) is reported.

    An exemption granted for more than `max_days` never applies, even if written around the
    command line's check: the limit is enforced here, where the workflow reads exemptions.
    """
    matching = [e for e in exemptions if e.matches(user_name, user_arn)]
    too_long = [e for e in matching if e.longer_than(max_days)]
    allowed = [e for e in matching if not e.longer_than(max_days)]
    active = [e for e in allowed if not e.expired(now)]
    if active:
        return ExemptionCheck(applied=max(active, key=lambda e: e.expires_at))
    expired = [e for e in allowed if e.expired(now)]
    return ExemptionCheck(
        expired=max(expired, key=lambda e: e.expires_at) if expired else None,
        too_long=max(too_long, key=lambda e: e.expires_at) if too_long else None,
    )


def exemption_to_item(exemption: Exemption) -> dict[str, Any]:
    """The exemption table item (plain values, for boto3's Table resource)."""
    return {
        ExemptionTable.PARTITION_KEY: exemption.user,
        "reason": exemption.reason,
        "added_by": exemption.added_by,
        "added_at": exemption.added_at.isoformat(),
        "expires_at": exemption.expires_at.isoformat(),
    }


def exemption_from_item(item: dict[str, Any]) -> Exemption:
    """Read an exemption table item; a malformed item is an error, never silently skipped."""
    return Exemption.model_validate({**item, "user": item.get(ExemptionTable.PARTITION_KEY)})
