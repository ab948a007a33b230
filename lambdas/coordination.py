"""The coordination table, as the workflow's functions use it: claims, locks, slots, deferrals.

Prepare claims the event and locks the user (`admit`); Conclude records the event's outcome and
gives back the lock and the automation slot (`give_back`), and counts a deferred user (`defer`).
The decisions are domain/coordination.py's; the slot itself is reserved by the workflow's own
ReserveAutomationSlot state (a conditional UpdateItem), so no function runs while a user waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from botocore.exceptions import ClientError

from domain.coordination import (
    CLAIM_RETENTION,
    DEFERRAL_ALERT_INTERVAL,
    LEASE,
    Admission,
    Claim,
    event_claim_refused,
    in_progress,
    slots_to_release,
)
from domain.tables import CoordinationTable as Layout
from lambdas.aws_clients import condition_failed


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | Decimal) else None


class CoordinationStore(Protocol):
    def claim(self, pk: str, sk: str, execution: str, now: datetime, lease_until: datetime) -> Claim | None:
        """Take the item for `execution` (absent, already its own, or its lease over); else its claim."""
        ...

    def record_outcome(self, pk: str, execution: str, outcome: str) -> None: ...
    def release(self, pk: str, sk: str, execution: str) -> None: ...
    def slot_holders(self, pk: str) -> set[str]: ...
    def release_slots(self, pk: str, members: set[str]) -> int:
        """Remove `members` from the slot holders; how many holders remain."""
        ...

    def count_deferral(self, pk: str, now: datetime) -> tuple[int, int]:
        """One more deferred user: (deferred since the last alert, deferred in all)."""
        ...

    def claim_deferral_alert(self, pk: str, now: datetime) -> bool:
        """True for the one execution per alert interval that alerts (and resets the count)."""
        ...


class DynamoDBCoordination:
    """The coordination table (a boto3 Table resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def claim(self, pk: str, sk: str, execution: str, now: datetime, lease_until: datetime) -> Claim | None:
        key = {Layout.PARTITION_KEY: pk, Layout.SORT_KEY: sk}
        try:
            self.table.put_item(
                Item={
                    **key,
                    Layout.HOLDER: execution,
                    Layout.CLAIMED_AT: now.isoformat(),
                    Layout.LEASE_UNTIL: _epoch(lease_until),
                    Layout.EXPIRES_AT: _epoch(max(lease_until, now + CLAIM_RETENTION)),
                },
                ConditionExpression="attribute_not_exists(#pk) OR #holder = :me OR #lease < :now",
                ExpressionAttributeNames={
                    "#pk": Layout.PARTITION_KEY,
                    "#holder": Layout.HOLDER,
                    "#lease": Layout.LEASE_UNTIL,
                },
                ExpressionAttributeValues={":me": execution, ":now": _epoch(now)},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            item = self.table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
            return Claim(
                holder=str(item.get(Layout.HOLDER, "unknown")),
                outcome=item.get(Layout.OUTCOME),
                lease_until=_moment(item.get(Layout.LEASE_UNTIL)),
            )
        return None

    def record_outcome(self, pk: str, execution: str, outcome: str) -> None:
        try:
            self.table.update_item(
                Key={Layout.PARTITION_KEY: pk, Layout.SORT_KEY: Layout.EVENT_SK},
                UpdateExpression="SET #outcome = :outcome REMOVE #lease",
                ConditionExpression="#holder = :me",
                ExpressionAttributeNames={
                    "#outcome": Layout.OUTCOME,
                    "#holder": Layout.HOLDER,
                    "#lease": Layout.LEASE_UNTIL,
                },
                ExpressionAttributeValues={":outcome": outcome, ":me": execution},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise  # else: another execution took the claim after this one's lease ended

    def release(self, pk: str, sk: str, execution: str) -> None:
        try:
            self.table.delete_item(
                Key={Layout.PARTITION_KEY: pk, Layout.SORT_KEY: sk},
                ConditionExpression="#holder = :me",
                ExpressionAttributeNames={"#holder": Layout.HOLDER},
                ExpressionAttributeValues={":me": execution},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise  # else: not (or no longer) this execution's

    def slot_holders(self, pk: str) -> set[str]:
        key = {Layout.PARTITION_KEY: pk, Layout.SORT_KEY: Layout.SLOTS_SK}
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
        return {str(member) for member in item.get(Layout.HOLDERS, set())}

    def release_slots(self, pk: str, members: set[str]) -> int:
        answer = self.table.update_item(
            Key={Layout.PARTITION_KEY: pk, Layout.SORT_KEY: Layout.SLOTS_SK},
            UpdateExpression="DELETE #holders :members",
            ExpressionAttributeNames={"#holders": Layout.HOLDERS},
            ExpressionAttributeValues={":members": members},
            ReturnValues="ALL_NEW",
        )
        return len(answer.get("Attributes", {}).get(Layout.HOLDERS, set()))

    def count_deferral(self, pk: str, now: datetime) -> tuple[int, int]:
        answer = self.table.update_item(
            Key={Layout.PARTITION_KEY: pk, Layout.SORT_KEY: Layout.DEFERRED_SK},
            UpdateExpression="ADD #waiting :one, #total :one SET #expires = :expires",
            ExpressionAttributeNames={
                "#waiting": Layout.WAITING_SINCE_ALERT,
                "#total": Layout.DEFERRED_TOTAL,
                "#expires": Layout.EXPIRES_AT,
            },
            ExpressionAttributeValues={":one": 1, ":expires": _epoch(now + CLAIM_RETENTION)},
            ReturnValues="ALL_NEW",
        )
        attributes = answer.get("Attributes", {})
        return int(attributes.get(Layout.WAITING_SINCE_ALERT, 1)), int(
            attributes.get(Layout.DEFERRED_TOTAL, 1)
        )

    def claim_deferral_alert(self, pk: str, now: datetime) -> bool:
        try:
            self.table.update_item(
                Key={Layout.PARTITION_KEY: pk, Layout.SORT_KEY: Layout.DEFERRED_SK},
                UpdateExpression="SET #last = :now, #waiting = :zero",
                ConditionExpression="attribute_not_exists(#last) OR #last <= :due",
                ExpressionAttributeNames={
                    "#last": Layout.LAST_ALERT_AT,
                    "#waiting": Layout.WAITING_SINCE_ALERT,
                },
                ExpressionAttributeValues={
                    ":now": _epoch(now),
                    ":zero": 0,
                    ":due": _epoch(now - DEFERRAL_ALERT_INTERVAL),
                },
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            return False
        return True


def admit(
    store: CoordinationStore,
    event_id: str | None,
    account_id: str,
    user_id: str,
    execution: str,
    now: datetime,
) -> Admission:
    """Claim the event (a replay: REPLAYED), then lock the user (a concurrent event: ALREADY_IN_PROGRESS)."""
    lease_until = now + LEASE
    event_claimed = False
    if event_id:
        taken = store.claim(Layout.event_pk(event_id), Layout.EVENT_SK, execution, now, lease_until)
        if taken is not None:
            return event_claim_refused(event_id, taken)
        event_claimed = True
    locked = store.claim(Layout.lock_pk(account_id, user_id), Layout.LOCK_SK, execution, now, lease_until)
    if locked is not None:
        refused = in_progress(f"IAM user {user_id}", locked)
        return refused.model_copy(update={"event_claimed": event_claimed})
    return Admission(event_claimed=event_claimed, lock_held=True)


@dataclass(frozen=True)
class GivenBack:
    slots_held: int
    """Slots still held by keywarden in the account and region, after this execution's."""


def give_back(
    store: CoordinationStore,
    event_id: str | None,
    account_id: str,
    region: str,
    user_id: str | None,
    execution: str,
    outcome: str,
    now: datetime,
    slot_account: str | None,
) -> GivenBack:
    """Record the event's outcome on its claim and give back the user's lock, each only if this
    execution holds it (a conditional write: safe whatever Prepare managed to do before it failed),
    and, for an execution that may have reserved one (`slot_account`: the workflow's account), its
    automation slot and any slot whose lease is over (its holder died before Conclude)."""
    if event_id:
        store.record_outcome(Layout.event_pk(event_id), execution, outcome)
    if user_id:
        store.release(Layout.lock_pk(account_id, user_id), Layout.LOCK_SK, execution)
    if slot_account is None:
        return GivenBack(slots_held=0)
    slots = Layout.slots_pk(slot_account, region)
    holders = store.slot_holders(slots)
    released = slots_to_release(holders, execution, now)
    remaining = store.release_slots(slots, released) if released else len(holders)
    return GivenBack(slots_held=remaining)
