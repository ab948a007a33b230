"""Per-credential decisions: what the runbook does to a key, and what happened to it.

Pure functions of snapshots and a clock reading, no AWS calls. The runbook's rule comes from
its published source: a credential is revoked when it was last used MaxCredentialUsageAge
days ago or more, or was never used and was created that long ago.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.credentials import AccessKeySnapshot, KeyOutcome, KeyStatus, LoginProfileSnapshot
from domain.results import KeyResult, PasswordResult


@dataclass(frozen=True)
class CredentialPolicy:
    """The two thresholds: Config's key age, and the runbook's usage age (both in days)."""

    max_access_key_age_days: int
    max_credential_usage_age_days: int

    def __post_init__(self) -> None:
        if self.max_access_key_age_days < 1 or self.max_credential_usage_age_days < 1:
            raise ValueError("credential ages are whole days, 1 or more")


def _unused_for_at_least(last_activity: datetime, days: int, now: datetime) -> bool:
    return now - last_activity >= timedelta(days=days)


def runbook_revokes_key(key: AccessKeySnapshot, max_usage_days: int, now: datetime) -> bool:
    """Whether the runbook, run at `now`, deactivates this key."""
    if key.status is not KeyStatus.ACTIVE:
        return False
    return _unused_for_at_least(key.last_used_at or key.created_at, max_usage_days, now)


def runbook_deletes_password(profile: LoginProfileSnapshot, max_usage_days: int, now: datetime) -> bool:
    """Whether the runbook, run at `now`, deletes this console password."""
    return _unused_for_at_least(profile.password_last_used_at or profile.created_at, max_usage_days, now)


def whole_days_between(earlier: datetime, later: datetime) -> int:
    return (later - earlier).days


def _outcome(
    before: AccessKeySnapshot, after: AccessKeySnapshot | None, result: KeyResult, now: datetime
) -> KeyOutcome:
    return KeyOutcome(
        access_key_id=before.access_key_id,
        result=result,
        status_before=before.status,
        status_after=after.status if after else None,
        created_at=before.created_at,
        age_days=whole_days_between(before.created_at, now),
        last_used_at=before.last_used_at,
        last_used_service=before.last_used_service,
        last_used_region=before.last_used_region,
        days_since_last_use=(whole_days_between(before.last_used_at, now) if before.last_used_at else None),
    )


def classify_key(
    before: AccessKeySnapshot,
    after: AccessKeySnapshot | None,
    policy: CredentialPolicy,
    runbook_started_at: datetime,
    now: datetime,
) -> KeyOutcome:
    """What happened to one key, judged by the snapshots before and after the runbook.

    The after-snapshot is the truth; the runbook's rule is applied at the time the runbook
    started only to tell a key it rightly skipped from one it should have revoked.
    """
    if before.status is not KeyStatus.ACTIVE:
        return _outcome(before, after, KeyResult.ALREADY_INACTIVE, now)
    if after is None:
        return _outcome(before, after, KeyResult.DELETED, now)
    if after.status is not KeyStatus.ACTIVE:
        return _outcome(before, after, KeyResult.DEACTIVATED, now)
    if runbook_revokes_key(after, policy.max_credential_usage_age_days, runbook_started_at):
        return _outcome(before, after, KeyResult.NOT_REVOKED, now)
    if whole_days_between(before.created_at, now) >= policy.max_access_key_age_days:
        return _outcome(before, after, KeyResult.SKIPPED_RECENTLY_USED, now)
    return _outcome(before, after, KeyResult.COMPLIANT, now)


def predict_key(before: AccessKeySnapshot, policy: CredentialPolicy, now: datetime) -> KeyOutcome:
    """What the runbook would do to one key if it ran at `now` (dry run), in the words of a real run.

    The result is the one a real run would record (DEACTIVATED, SKIPPED_RECENTLY_USED ...), so
    a dry run and the real run after it can be compared key by key; status_after stays the
    actual (unchanged) status.
    """
    if before.status is not KeyStatus.ACTIVE:
        return _outcome(before, before, KeyResult.ALREADY_INACTIVE, now)
    if runbook_revokes_key(before, policy.max_credential_usage_age_days, now):
        return _outcome(before, before, KeyResult.DEACTIVATED, now)
    if whole_days_between(before.created_at, now) >= policy.max_access_key_age_days:
        return _outcome(before, before, KeyResult.SKIPPED_RECENTLY_USED, now)
    return _outcome(before, before, KeyResult.COMPLIANT, now)


def classify_password(
    before: LoginProfileSnapshot | None,
    after: LoginProfileSnapshot | None,
    policy: CredentialPolicy,
    runbook_started_at: datetime,
) -> PasswordResult:
    """What happened to the console password, judged like the keys."""
    if before is None:
        return PasswordResult.NO_PASSWORD
    if after is None:
        return PasswordResult.DELETED
    if runbook_deletes_password(after, policy.max_credential_usage_age_days, runbook_started_at):
        return PasswordResult.NOT_REVOKED
    return PasswordResult.KEPT_RECENTLY_USED


def predict_password(
    before: LoginProfileSnapshot | None, policy: CredentialPolicy, now: datetime
) -> PasswordResult:
    """What the runbook would do to the console password if it ran at `now` (dry run)."""
    if before is None:
        return PasswordResult.NO_PASSWORD
    if runbook_deletes_password(before, policy.max_credential_usage_age_days, now):
        return PasswordResult.DELETED
    return PasswordResult.KEPT_RECENTLY_USED
