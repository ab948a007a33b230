"""An IAM user's credentials as keywarden sees them: snapshots, and what happened to each key."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from domain.frozen import FrozenModel
from domain.results import KeyResult


class KeyStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    EXPIRED = "Expired"


class AccessKeySnapshot(FrozenModel):
    access_key_id: str
    status: KeyStatus
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


class LoginProfileSnapshot(FrozenModel):
    created_at: AwareDatetime
    password_last_used_at: AwareDatetime | None = None


class UserSnapshot(FrozenModel):
    user_id: str
    user_name: str
    arn: str
    tags: dict[str, str] = Field(default_factory=dict)
    access_keys: tuple[AccessKeySnapshot, ...] = ()
    login_profile: LoginProfileSnapshot | None = None

    def key(self, access_key_id: str) -> AccessKeySnapshot | None:
        return next((k for k in self.access_keys if k.access_key_id == access_key_id), None)


class SnapshotResult(FrozenModel):
    """A user's credentials at one moment; `user` is None when the user does not exist."""

    found: bool
    taken_at: AwareDatetime
    user: UserSnapshot | None = None


class KeyOutcome(FrozenModel):
    """One access key's result, with the facts an owner or an auditor needs."""

    access_key_id: str
    result: KeyResult
    status_before: KeyStatus
    status_after: KeyStatus | None
    created_at: AwareDatetime
    age_days: int
    last_used_at: AwareDatetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None
    days_since_last_use: int | None = None
