"""How an owner message words each fact: the sentences shared by every channel's format.

The plain text (SNS, email), the HTML email and every chat channel word a key the same way: the
sentences are built here once, each renderer only lays them out and escapes them. Every key
and password result has its line in one table (its wording and severity, or None: owners are
not told about it), so a new result cannot fall through to another result's words.
Pure: no AWS calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from domain.credentials import KeyOutcome
from domain.notification_facts import NotificationFacts
from domain.results import KeyResult, PasswordResult, Severity
from notifications.lifecycle_wording import (
    follow_up_introduction,
    follow_up_severity,
    follow_up_subject,
    follow_up_why_you_receive_this,
    is_follow_up,
)
from notifications.literal import Literal, plain

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


def sns_subject(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """`text`, shortened with an ellipsis to what SNS accepts as a subject (100 characters)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


@dataclass(frozen=True)
class KeyResultWording:
    """How an owner is told about a key with this result; `dry_run` replaces it when nothing changed."""

    headline: str
    still_active: bool
    why: Callable[[NotificationFacts], str]
    what_to_do: Callable[[NotificationFacts], str]
    subject: Callable[[KeyOutcome, NotificationFacts], str]
    severity: Severity
    """How urgent the owner's message is when this key is in it (the `severity` attribute)."""
    dry_run: KeyResultWording | None = None


_SKIPPED = KeyResultWording(
    headline="STILL ACTIVE - action needed",
    still_active=True,
    why=lambda facts: (
        f"Why: it is older than {facts.max_access_key_age_days} days, but it was used in the last "
        f"{facts.max_credential_usage_age_days} days, so it was left active: switching it off could "
        "break whatever uses it. An old key that is still in use is what attackers look for in "
        "leaked code, laptops and CI logs."
    ),
    what_to_do=lambda facts: (
        f"What to do, before {facts.deadline:%Y-%m-%d}: create a new access key, move the workload "
        "that uses this one to it, then deactivate and delete this key."
    ),
    subject=lambda key, facts: (
        f"Action needed: rotate access key {key.access_key_id} of IAM user {facts.user_name} "
        f"({key.age_days} days old)"
    ),
    severity=Severity.HIGH,
)

_DEACTIVATED = KeyResultWording(
    headline="DEACTIVATED",
    still_active=False,
    why=lambda facts: (
        f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more, so it was "
        "deactivated. Anything that still uses it now fails with InvalidClientTokenId."
    ),
    what_to_do=lambda facts: (
        "What to do: if nothing needs it, delete it. If something does, create a new key for it "
        "rather than reactivating this one."
    ),
    subject=lambda key, facts: (
        f"Access key {key.access_key_id} of IAM user {facts.user_name} was deactivated"
    ),
    severity=Severity.MEDIUM,
    dry_run=KeyResultWording(
        headline="WOULD BE DEACTIVATED (dry run: not changed yet)",
        still_active=True,
        why=lambda facts: (
            f"Why: it has not been used for {facts.max_credential_usage_age_days} days or more. "
            "keywarden runs in dry-run mode and changed nothing; once enforcement is switched on, "
            "this key will be deactivated and anything still using it will fail with "
            "InvalidClientTokenId."
        ),
        what_to_do=lambda facts: (
            f"What to do, before {facts.deadline:%Y-%m-%d}: if nothing needs it, delete it now. If "
            "something does, create a new key for it and move the workload to the new key."
        ),
        subject=lambda key, facts: (
            f"Access key {key.access_key_id} of IAM user {facts.user_name} would be deactivated"
        ),
        severity=Severity.MEDIUM,
    ),
)

KEY_RESULT_WORDING: Final[Mapping[KeyResult, KeyResultWording | None]] = {
    KeyResult.SKIPPED_RECENTLY_USED: _SKIPPED,
    KeyResult.DEACTIVATED: _DEACTIVATED,
    # Not told to owners (domain.notification_facts.NOTIFIED_KEY_RESULTS): nothing changed and
    # nothing is asked of them, or (NOT_REVOKED) a failure the operators are alerted to.
    KeyResult.ALREADY_INACTIVE: None,
    KeyResult.COMPLIANT: None,
    KeyResult.NOT_REVOKED: None,
    KeyResult.DELETED: None,
}
"""Every key result: how its owner is told, or None when owners are not told about it. A new
KeyResult needs its line here (tests/unit/test_result_tables.py)."""


@dataclass(frozen=True)
class PasswordResultWording:
    headline: str
    statement: Callable[[NotificationFacts], str]
    subject: Callable[[NotificationFacts], str]
    severity: Severity
    dry_run: PasswordResultWording | None = None


PASSWORD_RESULT_WORDING: Final[Mapping[PasswordResult, PasswordResultWording | None]] = {
    PasswordResult.DELETED: PasswordResultWording(
        headline="DELETED",
        statement=lambda facts: (
            f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more. "
            "What to do: if you still need the AWS console, ask your AWS administrators for a new "
            "password (and turn on MFA)."
        ),
        subject=lambda facts: f"Console password of IAM user {facts.user_name} was deleted",
        severity=Severity.LOW,
        dry_run=PasswordResultWording(
            headline="WOULD BE DELETED (dry run: not changed yet)",
            statement=lambda facts: (
                f"Why: it has not been used for {facts.max_credential_usage_age_days} days or more; once "
                "enforcement is switched on, it will be deleted. What to do: if you no longer need the AWS "
                "console, nothing; if you do, sign in before enforcement starts (and turn on MFA)."
            ),
            subject=lambda facts: f"Console password of IAM user {facts.user_name} would be deleted",
            severity=Severity.LOW,
        ),
    ),
    PasswordResult.NO_PASSWORD: None,
    PasswordResult.KEPT_RECENTLY_USED: None,
    PasswordResult.NOT_REVOKED: None,
}
"""Every password result: how the owner is told, or None when owners are not told about it."""

SEVERITY_RANK: Final[Mapping[Severity, int]] = {Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}
"""Which severity wins when one message tells of several things."""


class NotWordedError(ValueError):
    """A result owners are not told about was asked to be worded for one."""


def key_wording(key: KeyOutcome, facts: NotificationFacts) -> KeyResultWording:
    """The wording of `key`'s result (its dry-run wording in dry-run mode)."""
    wording = KEY_RESULT_WORDING[key.result]
    if wording is None:
        raise NotWordedError(f"owners are not told about a {key.result} key")
    return (wording.dry_run or wording) if facts.dry_run else wording


def password_wording(facts: NotificationFacts) -> PasswordResultWording:
    wording = PASSWORD_RESULT_WORDING[facts.password]
    if wording is None:
        raise NotWordedError(f"owners are not told about a password {facts.password}")
    return (wording.dry_run or wording) if facts.dry_run else wording


def key_statement(key: KeyOutcome, facts: NotificationFacts, literal: Literal = plain) -> KeyStatement:
    """Which key, how old, last used when and where, why it matters, what to do (and by when)."""
    used = when(key.last_used_at, facts.notified_at)
    if key.last_used_at and key.last_used_service:
        region = literal(key.last_used_region) if key.last_used_region else "an unknown region"
        used += f", by {literal(key.last_used_service)} in {region}"
    wording = key_wording(key, facts)
    return KeyStatement(
        access_key_id=key.access_key_id,
        still_active=wording.still_active,
        headline=wording.headline,
        created=f"{key.created_at:%Y-%m-%d} ({key.age_days} days ago)",
        last_used=used,
        why=wording.why(facts),
        what_to_do=wording.what_to_do(facts),
    )


def password_headline(facts: NotificationFacts) -> str:
    return password_wording(facts).headline


def password_statement(facts: NotificationFacts) -> str:
    return password_wording(facts).statement(facts)


def notification_severity(facts: NotificationFacts) -> Severity:
    """How urgent the message is (the `severity` attribute each forwarder's filter policy matches).

    A first notice: the most urgent of what it tells (a key still active is high, a deactivated
    key medium, a deleted password low). A follow-up: its kind's (lifecycle_wording
    follow_up_severity: ESCALATION and ENFORCED high, REMINDER medium, RESOLVED low), so a channel
    that takes only high messages hears of overdue and deactivated keys, not of every reminder."""
    follow_up = follow_up_severity(facts.kind)
    if follow_up is not None:
        return follow_up
    severities = [key_wording(key, facts).severity for key in facts.notified_keys]
    if facts.password_deleted:
        severities.append(password_wording(facts).severity)
    if not severities:
        raise NotWordedError("the message tells the owner of no key and no password")
    return max(severities, key=SEVERITY_RANK.__getitem__)


def introduction(facts: NotificationFacts, literal: Literal = plain) -> str:
    """The first paragraph: which rule flagged whom (a follow-up: that keywarden follows the key)."""
    if is_follow_up(facts.kind):
        return follow_up_introduction(facts)
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


def why_you_receive_this(facts: NotificationFacts, literal: Literal = plain) -> str:
    """One sentence: the recipient is the tagged owner, or the fallback contact (and why); the
    security contact, for a RESOLVED follow-up."""
    follow_up = follow_up_why_you_receive_this(facts, literal)
    if follow_up is not None:
        return follow_up
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
    """A subject a person can read in an inbox list (at most 100 characters, as SNS requires):
    about the most urgent key (the first of those), else the password; a follow-up's, about its key."""
    keys = facts.notified_keys
    follow_up = follow_up_subject(facts)
    if follow_up is not None:
        text = follow_up
    elif keys:
        lead = max(keys, key=lambda k: SEVERITY_RANK[key_wording(k, facts).severity])
        text = key_wording(lead, facts).subject(lead, facts)
    else:
        text = password_wording(facts).subject(facts)
    return sns_subject(f"[keywarden{' dry run' if facts.dry_run else ''}] {text}", limit)
