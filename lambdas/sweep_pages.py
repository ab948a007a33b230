"""The daily sweep's requests and answers: each function follows one page and says what it did.

statemachine/sweep.asl.json passes the requests and adds up the answers' counts; a page's
`next_token` (Config's NextToken) or `next_key` (DynamoDB's LastEvaluatedKey) is null on the last
page, which ends that loop.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from domain.frozen import FrozenModel


class SweepRequest(FrozenModel):
    sweep_name: str = Field(min_length=1)
    """The sweep's execution name: written on every item it claims."""
    swept_at: AwareDatetime
    """The sweep's start: its day is the day of every page, even one read after midnight."""

    @property
    def today(self) -> date:
        return self.swept_at.date()


class FollowFlaggedRequest(SweepRequest):
    next_token: str | None = None


class FlaggedUsersPage(FrozenModel):
    users: int
    """NON_COMPLIANT users on this page."""
    redriven: int
    """Remediations the sweep started again."""
    opened: int
    """Findings opened."""
    failed: int
    """Users that could not be followed (AWS refused a call for them): recorded, the others followed."""
    next_token: str | None


class FollowFindingsRequest(SweepRequest):
    exclusive_start_key: dict[str, str] | None = None


class FindingsPage(FrozenModel):
    followed: int
    """Open findings on this page."""
    reminders: int
    escalations: int
    enforced: int
    """Keys deactivated (ENFORCED)."""
    resolved: int
    closed: int
    """Findings closed by any transition (RESOLVED, ENFORCED, EXEMPT, USER_DELETED)."""
    failed: int
    """Findings that could not be followed (AWS refused a call for them): recorded, the others followed."""
    next_key: dict[str, str] | None
