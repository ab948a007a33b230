"""What the sweep sees of a finding's key, and what its messages about the finding say: pure.

The sweep's functions (lambdas/finding_followups.py, lambdas/flagged_users.py) read IAM and the
exemptions, then ask these functions what the key's state is and what to tell whom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Final

from domain.classification import whole_days_between
from domain.credentials import AccessKeySnapshot, KeyOutcome, KeyStatus, SnapshotResult
from domain.findings import (
    ENFORCEMENT_OPT_OUT_TAG,
    Finding,
    KeyObservation,
    LifecyclePolicy,
    MessageKind,
    enforcement_day,
)
from domain.frozen import FrozenModel
from domain.notification_facts import FindingFacts, NotificationFacts
from domain.owners import OwnerContact, is_email_address
from domain.results import KeyResult, PasswordResult, RemediationOutcome

MESSAGE_OUTCOMES: Final = {
    MessageKind.FIRST_NOTICE: RemediationOutcome.KEYS_LEFT_ACTIVE,
    MessageKind.REMINDER: RemediationOutcome.KEYS_LEFT_ACTIVE,
    MessageKind.ESCALATION: RemediationOutcome.KEYS_LEFT_ACTIVE,
    MessageKind.ENFORCED: RemediationOutcome.REMEDIATED,
    MessageKind.RESOLVED: RemediationOutcome.REMEDIATED,
}
"""The `outcome` of a sweep's message (what filter policies on the owners' topic see): the key is
still active, or no longer is. In dry-run mode every message's outcome is DRY_RUN."""


def enforcement_opted_out(tags: Mapping[str, str]) -> bool:
    """The user carries keywarden-enforce=never (any case): it is never enforced."""
    key, value = ENFORCEMENT_OPT_OUT_TAG
    return tags.get(key, "").strip().lower() == value


def observe_key(access_key_id: str, snapshot: SnapshotResult, *, exempt: bool) -> KeyObservation:
    """The finding's key as IAM shows it today, and whether its user may be enforced."""
    if not snapshot.found or snapshot.user is None:
        return KeyObservation(user_exists=False)
    key = snapshot.user.key(access_key_id)
    return KeyObservation(
        user_exists=True,
        key_exists=key is not None,
        key_active=key is not None and key.status is KeyStatus.ACTIVE,
        exempt=exempt,
        enforcement_opted_out=enforcement_opted_out(snapshot.user.tags),
    )


def escalation_contacts(
    tags: Mapping[str, str], escalation_tag_keys: Sequence[str], security_contact_email: str
) -> tuple[str, ...]:
    """Who hears of an overdue key besides its owner: the security contact, then each escalation tag's
    value that is an email address (in the tags' order, each address once)."""
    candidates = [security_contact_email, *(tags.get(key, "").strip() for key in escalation_tag_keys)]
    return tuple(dict.fromkeys(address for address in candidates if is_email_address(address)))


class NoticeContext(FrozenModel):
    """The deployment's facts every sweep message carries."""

    region: str
    rule_name: str
    security_contact_email: str
    max_access_key_age_days: int
    max_credential_usage_age_days: int
    dry_run: bool


def _key_outcome(key: AccessKeySnapshot, kind: MessageKind, now: datetime) -> KeyOutcome:
    enforced = kind is MessageKind.ENFORCED
    return KeyOutcome(
        access_key_id=key.access_key_id,
        result=KeyResult.DEACTIVATED if enforced else KeyResult.SKIPPED_RECENTLY_USED,
        status_before=key.status,
        status_after=KeyStatus.INACTIVE if enforced else key.status,
        created_at=key.created_at,
        age_days=whole_days_between(key.created_at, now),
        last_used_at=key.last_used_at,
        last_used_service=key.last_used_service,
        last_used_region=key.last_used_region,
        days_since_last_use=whole_days_between(key.last_used_at, now) if key.last_used_at else None,
    )


def finding_notice(
    finding: Finding,
    kind: MessageKind,
    *,
    key: AccessKeySnapshot | None,
    owner: OwnerContact,
    context: NoticeContext,
    policy: LifecyclePolicy,
    today: date,
    now: datetime,
    escalated_to: tuple[str, ...] = (),
    enforcement_opted_out: bool = False,
) -> NotificationFacts:
    """The facts of one sweep message about a finding: the key (absent once deleted), the deadline,
    the enforcement day (None when enforcement is off or the user opted out), who else is told."""
    return NotificationFacts(
        user_name=finding.user_name,
        user_id=finding.user_id,
        account_id=finding.account_id,
        region=context.region,
        rule_name=context.rule_name,
        outcome=RemediationOutcome.DRY_RUN if context.dry_run else MESSAGE_OUTCOMES[kind],
        keys=() if key is None or kind is MessageKind.RESOLVED else (_key_outcome(key, kind, now),),
        password=PasswordResult.NO_PASSWORD,
        owner=owner,
        security_contact_email=context.security_contact_email,
        max_access_key_age_days=context.max_access_key_age_days,
        max_credential_usage_age_days=context.max_credential_usage_age_days,
        deadline=finding.deadline,
        notified_at=now,
        dry_run=context.dry_run,
        kind=kind,
        finding=FindingFacts(
            access_key_id=finding.access_key_id,
            first_notice_on=finding.first_notice_on,
            deadline=finding.deadline,
            enforcement_on=None if enforcement_opted_out else enforcement_day(finding.deadline, policy),
            days_open=(today - finding.first_notice_on).days,
            escalated_to=escalated_to,
            resolution=finding.resolution.value if finding.resolution else None,
        ),
    )
