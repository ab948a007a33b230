"""No spam: the notification-state items that let keywarden tell an owner once per window.

Pure: builds the conditional UpdateItem parameters Conclude sends to DynamoDB before it
publishes. One item per notified credential, keyed by user and key, so a repeated event for
the same user and key within the window finds its claim already taken, and a later scheduled
reminder can query what each owner was told, when, and by which date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.frozen import FrozenModel
from domain.notification_facts import NotificationFacts
from domain.tables import NotificationStateTable as State


class NotificationClaim(FrozenModel):
    """A conditional DynamoDB UpdateItem on the notification-state table for one credential.

    It succeeds when the owner was not told about this result within the window; Conclude
    notifies when at least one claim succeeds, and releases its claims if the publish fails.
    """

    key: dict[str, str]
    update_expression: str
    condition_expression: str
    attribute_names: dict[str, str]
    attribute_values: dict[str, Any]
    """Plain values (boto3's Table resource serializes them)."""


STATE_RETENTION = timedelta(days=90)
"""Items outlive the later of their window and their deadline by this much (then TTL removes them)."""

# A claim succeeds when the credential was never notified, its window is over, its result
# changed (a key that was skipped and is now deactivated is news for its owner), or this very
# execution holds it (Conclude run again after a Lambda retry).
CLAIM_CONDITION = (
    f"attribute_not_exists({State.PARTITION_KEY}) OR {State.SUPPRESS_UNTIL} <= :now OR #result <> :result"
    f" OR {State.LAST_EXECUTION} = :execution"
)
RELEASE_EXPRESSION = f"SET {State.SUPPRESS_UNTIL} = :released"
SENT_EXPRESSION = (
    f"SET {State.LAST_MESSAGE_ID} = :message_id, {State.SENT_BY} = :execution "
    f"ADD {State.NOTIFICATION_COUNT} :one"
)
HELD_BY_EXECUTION = f"{State.LAST_EXECUTION} = :execution"
"""The condition of a release: only the execution that holds the claim may give it back."""
NOT_YET_SENT_BY_EXECUTION = (
    f"{State.LAST_EXECUTION} = :execution AND "
    f"(attribute_not_exists({State.SENT_BY}) OR {State.SENT_BY} <> :execution)"
)
"""The condition of a sent mark: the holder marks its notice once, so each notice counts once."""


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _claimed_credentials(facts: NotificationFacts) -> list[tuple[str, str]]:
    """(sort key, result) of every credential the message tells the owner about."""
    # A dry-run prediction is not the news a real run brings: keep them apart.
    prefix = "DRY_RUN:" if facts.dry_run else ""
    claimed = [(State.key_sk(k.access_key_id), prefix + k.result.value) for k in facts.notified_keys]
    if facts.password_deleted:
        claimed.append((State.PASSWORD_SK, prefix + facts.password.value))
    return claimed


def notification_claims(
    facts: NotificationFacts, execution_name: str, window_hours: int
) -> list[NotificationClaim]:
    """One conditional update per notified credential, valid for `window_hours` from now."""
    if facts.user_id is None:
        return []
    now = facts.notified_at
    suppress_until = now + timedelta(hours=window_hours)
    deadline_end = datetime.combine(facts.deadline, now.timetz())
    expires_at = max(suppress_until, deadline_end) + STATE_RETENTION
    common = {
        ":now": _epoch(now),
        ":notified_at": now.isoformat(),
        ":suppress_until": _epoch(suppress_until),
        ":user_name": facts.user_name,
        ":account_id": facts.account_id,
        ":owner_email": facts.owner.email,
        ":deadline": facts.deadline.isoformat(),
        ":execution": execution_name,
        ":expires_at": _epoch(expires_at),
    }
    assignments = [
        "#result = :result",
        f"{State.USER_NAME} = :user_name",
        f"{State.ACCOUNT_ID} = :account_id",
        f"{State.OWNER_EMAIL} = :owner_email",
        f"{State.DEADLINE} = :deadline",
        f"{State.LAST_NOTIFIED_AT} = :notified_at",
        f"{State.FIRST_NOTIFIED_AT} = if_not_exists({State.FIRST_NOTIFIED_AT}, :notified_at)",
        f"{State.SUPPRESS_UNTIL} = :suppress_until",
        f"{State.LAST_EXECUTION} = :execution",
        f"{State.EXPIRES_AT} = :expires_at",
    ]
    if facts.owner.slack_channel:
        common[":slack_channel"] = facts.owner.slack_channel
        assignments.append(f"{State.SLACK_CHANNEL} = :slack_channel")
    # The count is of notices sent: it grows when a notice is marked sent, not when it is claimed.
    update = f"SET {', '.join(assignments)}"
    return [
        NotificationClaim(
            key={State.PARTITION_KEY: State.user_pk(facts.user_id), State.SORT_KEY: sort_key},
            update_expression=update,
            condition_expression=CLAIM_CONDITION,
            attribute_names={"#result": State.RESULT},
            attribute_values={**common, ":result": result},
        )
        for sort_key, result in _claimed_credentials(facts)
    ]


def duplicate_notice(window_hours: int) -> str:
    """What the audit record says when every claim was already taken."""
    return (
        "not sent again: the owner was already told about the same result for every key "
        f"within the last {window_hours} hours (notification window)"
    )
