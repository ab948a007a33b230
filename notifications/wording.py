"""How an owner message words each fact: the sentences shared by every channel's format.

The plain text (SNS, email), the HTML email and the Slack message all word a key the same way:
the sentences are built here once, each renderer only lays them out and escapes them.
Pure: no AWS calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.credentials import KeyOutcome
from domain.notification_facts import NotificationFacts
from domain.results import KeyResult

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


def sns_subject(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """`text`, shortened with an ellipsis to what SNS accepts as a subject (100 characters)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


Literal = Callable[[str], str]
"""How a renderer shows a value from outside keywarden (a name, an id, a tag value): escaped,
in a code span... The sentences around it are keywarden's own and need no escaping."""


def _plain(value: str) -> str:
    return value


def when(moment: datetime | None, now: datetime) -> str:
    """`2026-11-28 12:00 UTC (today)`, `... (3 days ago)`, or `never`."""
    if moment is None:
        return "never"
    days = (now - moment).days
    ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({ago})"


@dataclass(frozen=True)
class KeyStatement:
    """One key, worded for its owner."""

    access_key_id: str
    still_active: bool
    headline: str
    created: str
    last_used: str
    why: str
    what_to_do: str


def key_statement(key: KeyOutcome, facts: NotificationFacts, literal: Literal = _plain) -> KeyStatement:
    """Which key, how old, last used when and where, why it matters, what to do (and by when)."""
    used = when(key.last_used_at, facts.notified_at)
    if key.last_used_at and key.last_used_service:
        region = literal(key.last_used_region) if key.last_used_region else "an unknown region"
        used += f", by {literal(key.last_used_service)} in {region}"
    created = f"{key.created_at:%Y-%m-%d} ({key.age_days} days ago)"
    if key.result is KeyResult.SKIPPED_RECENTLY_USED:
        return KeyStatement(
            access_key_id=key.access_key_id,
            still_active=True,
            headline="STILL ACTIVE - action needed",
            created=created,
            last_used=used,
            why=(
                f"Why: it is older than {facts.max_access_key_age_days} days, but it was used in the last "
                f"{facts.max_credential_usage_age_days} days, so it was left active: switching it off could "
                "break whatever uses it. An old key that is still in use is what attackers look for in "
                "leaked code, laptops and CI logs."
            ),
            what_to_do=(
                f"What to do, before {facts.deadline:%Y-%m-%d}: create a new access key, move the workload "
                "that uses this one to it, then deactivate and delete this key."
            ),
        )
    if facts.dry_run:
        return KeyStatement(
            access_key_id=key.access_key_id,
            still_active=True,
            headline="WOULD BE DEACTIVATED (dry run: not changed yet)",
            created=created,
            last_used=used,
            why=(
                f"Why: it has not been used for {facts.max_credential_usage_age_days} days or more. "
                "keywarden runs in dry-run mode and changed nothing; once enforcement is switched on, "
                "this key will be deactivated and anything still using it will fail with "
                "InvalidClientTokenId."
            ),
            what_to_do=(
                f"What to do, before {facts.deadline:%Y-%m-%d}: if nothing needs it, delete it now. If "
                "something does, create a new key for it and move the workload to the new key."
            ),
        )
    return KeyStatement(
        access_key_id=key.access_key_id,
        still_active=False,
        headline="DEACTIVATED",
        created=created,
        last_used=used,
        why=(
            f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more, so it was "
            "deactivated. Anything that still uses it now fails with InvalidClientTokenId."
        ),
        what_to_do=(
            "What to do: if nothing needs it, delete it. If something does, create a new key for it "
            "rather than reactivating this one."
        ),
    )


def password_headline(facts: NotificationFacts) -> str:
    return "WOULD BE DELETED (dry run: not changed yet)" if facts.dry_run else "DELETED"


def password_statement(facts: NotificationFacts) -> str:
    if facts.dry_run:
        return (
            f"Why: it has not been used for {facts.max_credential_usage_age_days} days or more; once "
            "enforcement is switched on, it will be deleted. What to do: if you no longer need the AWS "
            "console, nothing; if you do, sign in before enforcement starts (and turn on MFA)."
        )
    return (
        f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more. "
        "What to do: if you still need the AWS console, ask your AWS administrators for a new "
        "password (and turn on MFA)."
    )


def introduction(facts: NotificationFacts, literal: Literal = _plain) -> str:
    checked = (
        "keywarden runs in dry-run mode: it changed nothing, and here is what it would do:"
        if facts.dry_run
        else "keywarden checked the user's credentials:"
    )
    return (
        f"AWS Config rule {literal(facts.rule_name)} flagged IAM user {literal(facts.user_name)} in "
        f"account {literal(facts.account_id)} ({literal(facts.region)}): its access keys must be "
        f"rotated every {facts.max_access_key_age_days} days. {checked}"
    )


def why_you_receive_this(facts: NotificationFacts, literal: Literal = _plain) -> str:
    """One sentence: the recipient is the tagged owner, or the fallback contact (and why)."""
    if facts.owner.email_is_fallback:
        return (
            f"You receive this as the security contact: keywarden found no owner for "
            f"{literal(facts.user_name)} ({literal(facts.owner.source)}). Please find who owns it and "
            "tag the user with their address, so that they are told directly next time."
        )
    return (
        f"You receive this because you are recorded as the owner of {literal(facts.user_name)} "
        f"({literal(facts.owner.source)}). Questions: ask your security team "
        f"({literal(facts.security_contact_email)})."
    )


def owner_subject(facts: NotificationFacts, limit: int = SUBJECT_LIMIT) -> str:
    """A subject a person can read in an inbox list (at most 100 characters, as SNS requires)."""
    keys = facts.notified_keys
    skipped = [k for k in keys if k.result is KeyResult.SKIPPED_RECENTLY_USED]
    if skipped:
        text = (
            f"Action needed: rotate access key {skipped[0].access_key_id} of IAM user "
            f"{facts.user_name} ({skipped[0].age_days} days old)"
        )
    elif keys:
        verb = "would be deactivated" if facts.dry_run else "was deactivated"
        text = f"Access key {keys[0].access_key_id} of IAM user {facts.user_name} {verb}"
    else:
        verb = "would be deleted" if facts.dry_run else "was deleted"
        text = f"Console password of IAM user {facts.user_name} {verb}"
    return sns_subject(f"[keywarden{' dry run' if facts.dry_run else ''}] {text}", limit)
