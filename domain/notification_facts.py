"""What an owner message says, as data: the contract between the workflow and every channel.

The workflow publishes these facts (the `lambda` part of the SNS message); each channel's
forwarder renders them. Pure: no AWS calls.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from pydantic import AwareDatetime, model_validator

from domain.credentials import KeyOutcome
from domain.findings import MessageKind
from domain.frozen import FrozenModel
from domain.owners import OwnerContact
from domain.results import KeyResult, PasswordResult, RemediationOutcome

NOTIFIED_KEY_RESULTS: Final = frozenset({KeyResult.DEACTIVATED, KeyResult.SKIPPED_RECENTLY_USED})
FACTS_SCHEMA: Final = "keywarden.owner-notification/1"


class OwnerMessageAttribute:
    """Names of the message attributes on the owners' topic (what filter policies can match)."""

    USER_NAME: Final = "user_name"
    OUTCOME: Final = "outcome"
    ACCOUNT_ID: Final = "account_id"
    OWNER_EMAIL: Final = "owner_email"
    OWNER_KNOWN: Final = "owner_known"
    """"true" when the address came from the user's tags, "false" for the fallback contact."""
    SEVERITY: Final = "severity"
    KIND: Final = "kind"
    """domain/findings.py MessageKind: FIRST_NOTICE (the remediation's notice), REMINDER, ESCALATION,
    ENFORCED, RESOLVED."""


DEFAULT_NOTIFICATION_WINDOW_HOURS: Final = 168
"""A key's owner is told about the same result at most once in this many hours."""


class FindingFacts(FrozenModel):
    """A follow-up's facts (every kind but FIRST_NOTICE): the finding the sweep is following."""

    access_key_id: str
    first_notice_on: date
    deadline: date
    enforcement_on: date | None
    """The day keywarden deactivates the key; None when enforcement is off (or the user opted out)."""
    days_open: int
    """Days since the first notice."""
    escalated_to: tuple[str, ...] = ()
    """ESCALATION: who is told besides the owner (the security contact, the escalation tags' addresses)."""
    resolution: str | None = None
    """RESOLVED: domain/findings.py Resolution (DELETED, DEACTIVATED)."""


class NotificationFacts(FrozenModel):
    """Everything an owner message says, as data: the `lambda` part of the SNS message."""

    schema_id: str = FACTS_SCHEMA
    user_name: str
    user_id: str | None = None
    account_id: str
    region: str
    rule_name: str
    outcome: RemediationOutcome
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    owner: OwnerContact
    security_contact_email: str
    max_access_key_age_days: int
    max_credential_usage_age_days: int
    deadline: date
    """Rotate a key left active before this day (the evaluation day + the grace period)."""
    notified_at: AwareDatetime
    dry_run: bool = False
    """Dry-run mode: nothing was changed; the message says what enforcement would do."""
    kind: MessageKind = MessageKind.FIRST_NOTICE
    finding: FindingFacts | None = None
    """Set for every kind but FIRST_NOTICE."""

    @model_validator(mode="after")
    def _a_follow_up_has_its_finding(self) -> NotificationFacts:
        # Refused where the facts are made (the sweep), not where a forwarder renders them.
        if self.kind is not MessageKind.FIRST_NOTICE and self.finding is None:
            raise ValueError(f"a {self.kind} message needs its finding's facts")
        if self.kind is MessageKind.RESOLVED and self.finding and self.finding.resolution is None:
            raise ValueError("a RESOLVED message needs the finding's resolution")
        return self

    @property
    def notified_keys(self) -> list[KeyOutcome]:
        """The keys the owner is told about: skipped (still active) or deactivated."""
        return [k for k in self.keys if k.result in NOTIFIED_KEY_RESULTS]

    @property
    def password_deleted(self) -> bool:
        return self.password is PasswordResult.DELETED


def needs_owner_notification(keys: tuple[KeyOutcome, ...], password: PasswordResult) -> bool:
    """Owners hear about skipped or deactivated keys and a deleted password, nothing else."""
    return password is PasswordResult.DELETED or any(k.result in NOTIFIED_KEY_RESULTS for k in keys)
