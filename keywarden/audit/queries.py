"""From what an auditor asks to DynamoDB Queries: which index, which partitions, which range.

Every answer is a Query on an index of the audit table (never a Scan), with `recorded_at` in
the key condition, paginated to the end. Questions that span partitions (an account or an
outcome is spread over `AuditTable.INDEX_SHARDS` shards; "every outcome" is several
partitions) query each partition and merge the streams by time, lazily.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from domain.results import RECORDED_OUTCOMES, RemediationOutcome
from domain.tables import AuditTable
from keywarden.audit.periods import Period
from keywarden.cli_errors import InputError

IAM_USER_ID = re.compile(r"^AIDA[A-Z0-9]{17}$")
ACCESS_KEY_ID = re.compile(r"^AKIA[A-Z0-9]{16}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")

_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Criteria:
    """What `audit history` was asked; every field narrows the answer."""

    user: str | None = None
    """An IAM user name, or a unique id (AIDA + 17 characters)."""
    key: str | None = None
    account: str | None = None
    outcomes: tuple[RemediationOutcome, ...] = ()
    period: Period = field(default_factory=Period)


Filter = tuple[tuple[str, ...], tuple[str, ...]]
"""(attribute path, allowed values): the item matches when the attribute is one of the values."""


@dataclass(frozen=True)
class PartitionQuery:
    """One index partition to read, narrowed by filters (applied after reading, so they cost)."""

    index: str
    partition_attribute: str
    partition_value: str
    filters: tuple[Filter, ...] = ()


@dataclass
class QueryStats:
    """What the reads cost, from DynamoDB's own answers."""

    queries: int = 0
    pages: int = 0
    items_read: int = 0
    """ScannedCount: items DynamoDB read (before any filter)."""
    items_returned: int = 0
    """Count: items that matched."""
    read_capacity_units: float = 0.0

    def add(self, page: dict[str, Any]) -> None:
        self.pages += 1
        self.items_read += int(page.get("ScannedCount", 0))
        self.items_returned += int(page.get("Count", 0))
        self.read_capacity_units += float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))


def parse_outcomes(values: Sequence[str]) -> tuple[RemediationOutcome, ...]:
    """--outcome values, any case; refuses anything a record cannot hold."""
    known = {o.value: o for o in RECORDED_OUTCOMES}
    outcomes = []
    for value in values:
        outcome = known.get(value.strip().upper())
        if outcome is None:
            raise InputError(f"unknown outcome {value!r}; recorded outcomes are: {', '.join(known)}")
        outcomes.append(outcome)
    return tuple(dict.fromkeys(outcomes))


def check_criteria(criteria: Criteria) -> Criteria:
    """Refuse values that can never match, instead of answering an empty list."""
    if criteria.key is not None and not ACCESS_KEY_ID.match(criteria.key):
        raise InputError(
            f"--key {criteria.key!r} is not an access key id (AKIA followed by 16 capital letters or digits)"
        )
    if criteria.account is not None and not ACCOUNT_ID.match(criteria.account):
        raise InputError(f"--account {criteria.account!r} is not an AWS account id (12 digits)")
    if criteria.user is not None and not criteria.user.strip():
        raise InputError("--user is empty")
    return criteria


def _filters(*conditions: tuple[tuple[str, ...], tuple[str, ...] | str | None]) -> tuple[Filter, ...]:
    """Equality filters for the criteria that are set (a str is one allowed value)."""
    kept: list[Filter] = []
    for path, allowed in conditions:
        if allowed:
            kept.append((path, (allowed,) if isinstance(allowed, str) else allowed))
    return tuple(kept)


def plan_history(criteria: Criteria) -> list[PartitionQuery]:
    """The partitions that hold the answer: the most selective index, narrowed by filters."""
    outcomes = tuple(o.value for o in criteria.outcomes)
    user_is_id = bool(criteria.user and IAM_USER_ID.match(criteria.user))
    if criteria.key:
        filters = _filters(
            (("account",), criteria.account),
            (("remediation_outcome",), outcomes),
            (("user", "user_id" if user_is_id else "user_name"), criteria.user),
        )
        return [PartitionQuery(AuditTable.BY_ACCESS_KEY, AuditTable.ACCESS_KEY_ID, criteria.key, filters)]
    if criteria.user:
        filters = _filters(((AuditTable.ACCOUNT_ID,), criteria.account), ((AuditTable.OUTCOME,), outcomes))
        if user_is_id:
            return [PartitionQuery(AuditTable.BY_USER_ID, AuditTable.USER_ID, criteria.user, filters)]
        return [PartitionQuery(AuditTable.BY_USER_NAME, AuditTable.USER_NAME, criteria.user, filters)]
    if criteria.account:
        filters = _filters(((AuditTable.OUTCOME,), outcomes))
        return [
            PartitionQuery(AuditTable.BY_ACCOUNT, AuditTable.ACCOUNT_SHARD, shard, filters)
            for shard in AuditTable.all_shards(criteria.account)
        ]
    return [
        PartitionQuery(AuditTable.BY_OUTCOME, AuditTable.OUTCOME_SHARD, shard)
        for outcome in outcomes or tuple(o.value for o in RECORDED_OUTCOMES)
        for shard in AuditTable.all_shards(outcome)
    ]


def plan_summary(account: str | None) -> list[PartitionQuery]:
    """Every remediation (of one account, if given): the partitions `audit summary` counts."""
    if account:
        return [
            PartitionQuery(AuditTable.BY_ACCOUNT, AuditTable.ACCOUNT_SHARD, shard)
            for shard in AuditTable.all_shards(account)
        ]
    return plan_history(Criteria())


def query_request(
    table: str, query: PartitionQuery, period: Period, projection: Sequence[str] = ()
) -> dict[str, Any]:
    """The Query parameters for one partition (without pagination)."""
    # DynamoDB refuses names and values that no expression uses: add each with its use.
    names = {"#p": query.partition_attribute}
    values: dict[str, Any] = {":p": {"S": query.partition_value}}
    condition = "#p = :p"
    since, until = period.bounds()
    if since is not None or until is not None:
        names["#t"] = AuditTable.RECORDED_AT
    if since is not None:
        values[":since"] = {"S": since}
    if until is not None:
        values[":until"] = {"S": until}
    if since is not None and until is not None:
        condition += " AND #t BETWEEN :since AND :until"
    elif since is not None:
        condition += " AND #t >= :since"
    elif until is not None:
        condition += " AND #t <= :until"
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": query.index,
        "KeyConditionExpression": condition,
        "ReturnConsumedCapacity": "TOTAL",
    }
    clauses = []
    for n, (path, allowed) in enumerate(query.filters):
        for part in path:
            names[f"#{part}"] = part
        placeholders = []
        for m, value in enumerate(allowed):
            values[f":f{n}_{m}"] = {"S": value}
            placeholders.append(f":f{n}_{m}")
        clauses.append(f"{'.'.join(f'#{part}' for part in path)} IN ({', '.join(placeholders)})")
    if clauses:
        request["FilterExpression"] = " AND ".join(clauses)
    if projection:
        projected = (*projection, AuditTable.RECORDED_AT)  # the merge orders by it
        names |= {f"#{attribute}": attribute for attribute in projected}
        request["ProjectionExpression"] = ", ".join(f"#{attribute}" for attribute in projected)
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = values
    return request


def partition_items(
    client: Any, request: dict[str, Any], page_size: int | None, stats: QueryStats
) -> Iterator[dict[str, Any]]:
    """Every item one Query request answers, page after page, as plain values; counted in `stats`."""
    request = dict(request)
    if page_size:
        request["Limit"] = page_size
    stats.queries += 1
    while True:
        page = client.query(**request)
        stats.add(page)
        for item in page["Items"]:
            yield {name: _deserializer.deserialize(value) for name, value in item.items()}
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_items(
    client: Any,
    table: str,
    queries: Sequence[PartitionQuery],
    period: Period,
    *,
    projection: Sequence[str] = (),
    page_size: int | None = None,
    stats: QueryStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching item of every partition, oldest first, read page by page as consumed."""
    counted = stats if stats is not None else QueryStats()
    streams = [
        partition_items(client, query_request(table, query, period, projection), page_size, counted)
        for query in queries
    ]
    return heapq.merge(*streams, key=lambda item: str(item[AuditTable.RECORDED_AT]))
