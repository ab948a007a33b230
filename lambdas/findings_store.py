"""The findings table (domain/tables.py FindingsTable) through a boto3 Table resource.

Every history item is written only if absent, so a second sweep on one day does nothing twice. A
transition is *claimed* before its side effect (the message, the deactivation) and marked with the
message id after it: a sweep run again for the same day (a Lambda retry) may take its own unsent
claim once more; any other existing claim means the step is done.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from domain.finding_items import current_item, finding_from_item, transition_item, transition_key
from domain.findings import Finding, FindingStatus, TransitionKind
from domain.tables import FindingsTable, audit_timestamp
from lambdas.aws_clients import condition_failed

DynamoDBTable = Any  # a boto3 DynamoDB Table resource

ABSENT = "attribute_not_exists(pk)"
UNSENT_BY_THIS_SWEEP = "attribute_not_exists(pk) OR (#sweep = :sweep AND attribute_not_exists(#message_id))"


def _transaction_refused(error: ClientError) -> bool:
    """A transaction cancelled only because an item's condition did not hold (it exists)."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons", [])
    codes = {reason.get("Code") for reason in reasons}
    return "ConditionalCheckFailed" in codes and codes <= {"ConditionalCheckFailed", "None", None}


class Claim(StrEnum):
    """A sweep's claim of a transition item."""

    TAKEN = "TAKEN"
    """This sweep holds it: act, then mark the message sent."""
    DONE = "DONE"
    """The step was done (its message sent, or it has none): only the finding's state may be missing."""
    HELD = "HELD"
    """Another sweep claimed it and has not sent its message: that sweep acts (or, if it died, the
    next day's sweep does), never two."""


class DynamoDBFindings:
    """Read and write findings; every method is safe to repeat."""

    def __init__(self, table: DynamoDBTable) -> None:
        self.table = table

    def get(self, access_key_id: str) -> Finding | None:
        item = self.table.get_item(
            Key={
                FindingsTable.PARTITION_KEY: FindingsTable.finding_pk(access_key_id),
                FindingsTable.SORT_KEY: FindingsTable.CURRENT_SK,
            },
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else finding_from_item(item)

    def open(self, finding: Finding, transitions: list[TransitionKind], sweep: str, at: datetime) -> bool:
        """Write the new finding and its first transitions in one transaction; False if it exists."""
        items = [current_item(finding)] + [
            transition_item(finding, finding.opened_on, transition, sweep=sweep, recorded_at=at)
            for transition in transitions
        ]
        try:
            # The resource's own client: it serializes plain values as the Table resource does.
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": item,
                            "ConditionExpression": ABSENT,
                        }
                    }
                    for item in items
                ]
            )
        except ClientError as error:
            if _transaction_refused(error):
                return False
            raise
        return True

    def reopen(self, finding: Finding, sweep: str, at: datetime) -> bool:
        """Open an EXEMPT finding again (domain/findings.py `reopened`) with its OPENED transition of
        the day, in one transaction; False when it is no longer EXEMPT (another sweep reopened it)."""
        try:
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": current_item(finding),
                            "ConditionExpression": "#status = :exempt",
                            "ExpressionAttributeNames": {"#status": FindingsTable.STATUS},
                            "ExpressionAttributeValues": {":exempt": FindingStatus.EXEMPT.value},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": transition_item(
                                finding, finding.opened_on, TransitionKind.OPENED, sweep=sweep, recorded_at=at
                            ),
                            "ConditionExpression": ABSENT,
                        }
                    },
                ]
            )
        except ClientError as error:
            if _transaction_refused(error):
                return False
            raise
        return True

    def claim(
        self,
        finding: Finding,
        day: date,
        transition: TransitionKind,
        *,
        sweep: str,
        at: datetime,
        sends_message: bool,
        details: dict[str, Any] | None = None,
    ) -> Claim:
        """Take the day's transition item for this sweep, or say whose it is."""
        try:
            self.table.put_item(
                Item=transition_item(finding, day, transition, sweep=sweep, recorded_at=at, details=details),
                ConditionExpression=UNSENT_BY_THIS_SWEEP,
                ExpressionAttributeNames={
                    "#sweep": FindingsTable.SWEEP,
                    "#message_id": FindingsTable.MESSAGE_ID,
                },
                ExpressionAttributeValues={":sweep": sweep},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
        else:
            return Claim.TAKEN
        held = self.table.get_item(
            Key=transition_key(finding.access_key_id, day, transition), ConsistentRead=True
        )
        sent = FindingsTable.MESSAGE_ID in held.get("Item", {})
        return Claim.DONE if sent or not sends_message else Claim.HELD

    def mark_sent(self, access_key_id: str, day: date, transition: TransitionKind, message_id: str) -> None:
        """The transition's message went out: a retried sweep will not send it again."""
        self.table.update_item(
            Key=transition_key(access_key_id, day, transition),
            UpdateExpression="SET #message_id = :message_id",
            ExpressionAttributeNames={"#message_id": FindingsTable.MESSAGE_ID},
            ExpressionAttributeValues={":message_id": message_id},
        )

    def save(self, finding: Finding) -> None:
        """The finding's new CURRENT state (after a transition was claimed and done)."""
        self.table.put_item(Item=current_item(finding))

    def open_findings(
        self, exclusive_start_key: dict[str, str] | None, limit: int
    ) -> tuple[list[str], dict[str, str] | None]:
        """One page of open findings' key ids (by_status, status OPEN, the nearest deadline first)."""
        kwargs: dict[str, Any] = {
            "IndexName": FindingsTable.BY_STATUS,
            "KeyConditionExpression": "#status = :open",
            "ExpressionAttributeNames": {"#status": FindingsTable.STATUS},
            "ExpressionAttributeValues": {":open": FindingStatus.OPEN.value},
            "Limit": limit,
        }
        if exclusive_start_key:
            kwargs["ExclusiveStartKey"] = exclusive_start_key
        page = self.table.query(**kwargs)
        ids = [str(item[FindingsTable.ACCESS_KEY_ID]) for item in page.get("Items", [])]
        next_key = page.get("LastEvaluatedKey")
        return ids, ({k: str(v) for k, v in next_key.items()} if next_key else None)

    def record_item_failure(self, sweep: str, item_id: str, error: str, cause: str, at: datetime) -> None:
        """One user or finding this sweep could not follow (FindingsTable.SWEEP_ITEM_FAILURE_SK_PREFIX)."""
        self.table.put_item(
            Item={
                FindingsTable.PARTITION_KEY: FindingsTable.sweep_pk(sweep),
                FindingsTable.SORT_KEY: f"{FindingsTable.SWEEP_ITEM_FAILURE_SK_PREFIX}{item_id}",
                FindingsTable.ERROR: error,
                FindingsTable.CAUSE: cause[:1000],
                FindingsTable.SWEEP: sweep,
                FindingsTable.RECORDED_AT: audit_timestamp(at),
            }
        )

    def record_redrive(
        self, user_id: str, day: date, *, reason: str, execution_name: str, sweep: str, at: datetime
    ) -> bool:
        """Claim the day's re-drive of a user for this sweep; False when another sweep did it."""
        try:
            self.table.put_item(
                Item={
                    FindingsTable.PARTITION_KEY: FindingsTable.redrive_pk(user_id),
                    FindingsTable.SORT_KEY: day.isoformat(),
                    FindingsTable.REASON: reason,
                    FindingsTable.EXECUTION_NAME: execution_name,
                    FindingsTable.SWEEP: sweep,
                    FindingsTable.RECORDED_AT: audit_timestamp(at),
                },
                ConditionExpression="attribute_not_exists(pk) OR #sweep = :sweep",
                ExpressionAttributeNames={"#sweep": FindingsTable.SWEEP},
                ExpressionAttributeValues={":sweep": sweep},
            )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True
