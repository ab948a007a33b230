"""keywarden's vocabularies: what happened to a key, a password, a remediation."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class KeyResult(StrEnum):
    """What happened to one access key during a remediation."""

    DEACTIVATED = "DEACTIVATED"
    """Active before, inactive after: the runbook revoked it."""
    SKIPPED_RECENTLY_USED = "SKIPPED_RECENTLY_USED"
    """Older than maxAccessKeyAge, left active because used within MaxCredentialUsageAge."""
    ALREADY_INACTIVE = "ALREADY_INACTIVE"
    COMPLIANT = "COMPLIANT"
    """Younger than maxAccessKeyAge and left active."""
    NOT_REVOKED = "NOT_REVOKED"
    """Still active although unused for MaxCredentialUsageAge: the runbook should have revoked it."""
    DELETED = "DELETED"
    """Present before, gone after (deleted by someone while the remediation ran)."""


class PasswordResult(StrEnum):
    """What happened to the user's console password (login profile)."""

    NO_PASSWORD = "NO_PASSWORD"  # noqa: S105 (an outcome, not a secret)
    DELETED = "DELETED"
    KEPT_RECENTLY_USED = "KEPT_RECENTLY_USED"
    NOT_REVOKED = "NOT_REVOKED"


class RemediationOutcome(StrEnum):
    """The outcome of one remediation, as recorded in the audit table."""

    REMEDIATED = "REMEDIATED"
    """Every stale credential is now inactive or deleted."""
    KEYS_LEFT_ACTIVE = "KEYS_LEFT_ACTIVE"
    """At least one stale key is still active because it was recently used; the owner was told."""
    NO_CHANGE = "NO_CHANGE"
    """Nothing was stale any more when keywarden looked."""
    USER_NOT_FOUND = "USER_NOT_FOUND"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    REJECTED = "REJECTED"
    """The workflow's input was not a NON_COMPLIANT IAM user event for our rule."""
    COMPLIANT = "COMPLIANT"
    """Config would not flag the user: no remediation ran (sandbox simulations only)."""
    DRY_RUN = "DRY_RUN"
    """Dry-run mode: nothing was changed; the per-key results are what the runbook would do."""
    EXEMPT = "EXEMPT"
    """An exemption protects the user: nothing was changed (results are predictions)."""
    DEFERRED = "DEFERRED"
    """No automation slot (or SSM's queue) freed up within the patience: nothing was changed; the next
    sweep retries. Operators get one alert per account and region per hour, not one per user."""
    ALREADY_IN_PROGRESS = "ALREADY_IN_PROGRESS"
    """Another live execution holds the user's lock (a concurrent event): no automation, no alert."""
    REPLAYED = "REPLAYED"
    """The same EventBridge event was delivered again after an execution recorded its outcome: no
    automation, no owner notice; the first execution's record is the remediation."""


class RemediationAction(StrEnum):
    """What the workflow does with a flagged user, decided before any change."""

    REMEDIATE = "REMEDIATE"
    DRY_RUN = "DRY_RUN"
    EXEMPT = "EXEMPT"


RECORDED_OUTCOMES: Final = tuple(o for o in RemediationOutcome if o is not RemediationOutcome.COMPLIANT)
"""Every outcome an audit record can hold (COMPLIANT belongs to simulations and is never recorded)."""

OPERATOR_ALERT_OUTCOMES: Final = frozenset(
    {RemediationOutcome.FAILED, RemediationOutcome.TIMED_OUT, RemediationOutcome.REJECTED}
)
"""Outcomes that page the operators and fail the Step Functions execution."""


class Severity(StrEnum):
    """How urgent an owner notification is (a message attribute, for subscription filter policies)."""

    HIGH = "high"
    """A stale key is still active: the owner must rotate it before the deadline."""
    MEDIUM = "medium"
    """A key was deactivated: the owner's workload may now fail."""
    LOW = "low"
    """Only the console password was deleted."""
