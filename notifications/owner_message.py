"""The message a key owner receives: what happened to which key, why it matters, what to do.

Pure rendering: no AWS calls, so every wording is unit-tested.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date, datetime

from lambdas.contract import KeyResult, PasswordResult, RemediationOutcome
from lambdas.models import KeyOutcome, OwnerContact, OwnerNotification

NOTIFIED_KEY_RESULTS = frozenset({KeyResult.DEACTIVATED, KeyResult.SKIPPED_RECENTLY_USED})
SUBJECT_LIMIT = 100  # SNS rejects longer subjects
WIDTH = 78


@dataclass(frozen=True)
class NotificationFacts:
    user_name: str
    account_id: str
    region: str
    rule_name: str
    outcome: RemediationOutcome
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    owner: OwnerContact
    max_access_key_age_days: int
    max_credential_usage_age_days: int
    deadline: date
    now: datetime


def needs_owner_notification(keys: tuple[KeyOutcome, ...], password: PasswordResult) -> bool:
    """Owners hear about skipped or deactivated keys and a deleted password, nothing else."""
    return password is PasswordResult.DELETED or any(k.result in NOTIFIED_KEY_RESULTS for k in keys)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    days = (now - moment).days
    ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({ago})"


def _indented(text: str) -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent="  ", subsequent_indent="  ")


def _key_paragraph(key: KeyOutcome, facts: NotificationFacts) -> str:
    used = _when(key.last_used_at, facts.now)
    if key.last_used_at and key.last_used_service:
        used += f", by {key.last_used_service} in {key.last_used_region or 'an unknown region'}"
    header = {
        KeyResult.SKIPPED_RECENTLY_USED: "STILL ACTIVE - action needed",
        KeyResult.DEACTIVATED: "DEACTIVATED",
    }[key.result]
    lines = [
        f"Access key {key.access_key_id}: {header}",
        f"  Created:   {key.created_at:%Y-%m-%d} ({key.age_days} days ago)",
        f"  Last used: {used}",
    ]
    if key.result is KeyResult.SKIPPED_RECENTLY_USED:
        why = (
            f"Why: it is older than {facts.max_access_key_age_days} days, but it was used in the last "
            f"{facts.max_credential_usage_age_days} days, so it was left active: switching it off could "
            "break whatever uses it. An old key that is still in use is what attackers look for in "
            "leaked code, laptops and CI logs."
        )
        what = (
            f"What to do, before {facts.deadline:%Y-%m-%d}: create a new access key, move the workload "
            "that uses this one to it, then deactivate and delete this key."
        )
    else:
        why = (
            f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more, so it was "
            "deactivated. Anything that still uses it now fails with InvalidClientTokenId."
        )
        what = (
            "What to do: if nothing needs it, delete it. If something does, create a new key for it "
            "rather than reactivating this one."
        )
    return "\n".join([*lines, _indented(why), _indented(what)])


def _password_paragraph(facts: NotificationFacts) -> str:
    return "\n".join(
        [
            "Console password: DELETED",
            _indented(
                f"Why: it had not been used for {facts.max_credential_usage_age_days} days or more. "
                "What to do: if you still need the AWS console, ask your AWS administrators for a new "
                "password (and turn on MFA)."
            ),
        ]
    )


def _subject(facts: NotificationFacts, keys: list[KeyOutcome]) -> str:
    skipped = [k for k in keys if k.result is KeyResult.SKIPPED_RECENTLY_USED]
    if skipped:
        text = (
            f"Action needed: rotate access key {skipped[0].access_key_id} of IAM user "
            f"{facts.user_name} ({skipped[0].age_days} days old)"
        )
    elif keys:
        text = f"Access key {keys[0].access_key_id} of IAM user {facts.user_name} was deactivated"
    else:
        text = f"Console password of IAM user {facts.user_name} was deleted"
    subject = f"[keywarden] {text}"
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 3] + "..."


def _severity(keys: list[KeyOutcome]) -> str:
    if any(k.result is KeyResult.SKIPPED_RECENTLY_USED for k in keys):
        return "high"
    return "medium" if keys else "low"


def render_owner_notification(facts: NotificationFacts) -> OwnerNotification:
    """The SNS message for the owners' topic: subject, plain-text body, filterable attributes."""
    keys = [k for k in facts.keys if k.result in NOTIFIED_KEY_RESULTS]
    paragraphs = [
        "Hello,",
        textwrap.fill(
            f"AWS Config rule {facts.rule_name} flagged IAM user {facts.user_name} in account "
            f"{facts.account_id} ({facts.region}): its access keys must be rotated every "
            f"{facts.max_access_key_age_days} days. keywarden checked the user's credentials:",
            width=WIDTH,
        ),
        *(_key_paragraph(k, facts) for k in keys),
    ]
    if facts.password is PasswordResult.DELETED:
        paragraphs.append(_password_paragraph(facts))
    paragraphs.append(
        textwrap.fill(
            f"You receive this because you are recorded as the owner of {facts.user_name} "
            f"({facts.owner.source}). Questions: ask your security team.",
            width=WIDTH,
        )
    )
    attributes = {
        "user_name": facts.user_name,
        "outcome": facts.outcome.value,
        "account_id": facts.account_id,
        "owner_email": facts.owner.email,
        "severity": _severity(keys),
    }
    return OwnerNotification(
        subject=_subject(facts, keys),
        message="\n\n".join(paragraphs) + "\n",
        attributes={name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()},
    )
