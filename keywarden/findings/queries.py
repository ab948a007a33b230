"""From `findings list`'s options to Queries on the findings table's indexes (never a Scan).

- every status, or --open: `by_status`, one partition per status, ordered by deadline;
- --overdue: `by_status`, partition OPEN, `deadline <= today` in the key condition (a finding is
  overdue from its deadline day on: domain/findings.py `is_overdue`);
- --user: `by_user`, the user's unique id, ordered by opened_on; --open / --overdue narrow it with
  a filter (a user has a handful of findings: filtering costs nothing worth an index).
A user no longer in IAM has no unique id to look up: `by_status` filtered on `user_name` instead.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from domain.finding_items import finding_from_item as read_current_item
from domain.findings import Finding, FindingStatus
from domain.tables import FindingsTable
from keywarden.audit.queries import QueryStats, partition_items
from keywarden.cli_errors import CommandError

Condition = tuple[str, str, str]
"""(attribute, comparator `=`, `<=` or `>=`, value)."""


@dataclass(frozen=True)
class FindingsQuery:
    """One partition of one index, optionally bounded on its sort key, optionally filtered."""

    index: str
    partition_value: str
    sort_at_most: str | None = None
    """The index's sort key <= this value (by_status: the deadline)."""
    filters: tuple[Condition, ...] = ()

    @property
    def partition_attribute(self) -> str:
        return FindingsTable.indexes()[self.index][0]

    @property
    def sort_attribute(self) -> str:
        return FindingsTable.indexes()[self.index][1]


@dataclass(frozen=True)
class Selection:
    """What `findings list` was asked."""

    open_only: bool = False
    overdue: bool = False
    user_id: str | None = None
    user_name: str | None = None
    """Only when the user has no unique id to look up (deleted from IAM)."""


def plan_listing(selection: Selection, today: date) -> list[FindingsQuery]:
    """The Queries that answer `selection`, on one index (so their results merge in its order)."""
    statuses = [FindingStatus.OPEN] if selection.open_only or selection.overdue else list(FindingStatus)
    overdue_bound = today.isoformat() if selection.overdue else None
    if selection.user_id is not None:
        filters: list[Condition] = []
        if selection.open_only or selection.overdue:
            filters.append((FindingsTable.STATUS, "=", FindingStatus.OPEN.value))
        if overdue_bound is not None:
            filters.append((FindingsTable.DEADLINE, "<=", overdue_bound))
        return [FindingsQuery(FindingsTable.BY_USER, selection.user_id, filters=tuple(filters))]
    by_name = ((FindingsTable.USER_NAME, "=", selection.user_name),) if selection.user_name else ()
    return [
        FindingsQuery(FindingsTable.BY_STATUS, status.value, sort_at_most=overdue_bound, filters=by_name)
        for status in statuses
    ]


def plan_opened_between(first: date | None, last: date, account: str | None) -> list[FindingsQuery]:
    """`audit summary`: every status's findings opened from `first` to `last` (in `account`)."""
    filters: list[Condition] = [(FindingsTable.OPENED_ON, "<=", last.isoformat())]
    if first is not None:
        filters.append((FindingsTable.OPENED_ON, ">=", first.isoformat()))
    if account is not None:
        filters.append((FindingsTable.ACCOUNT_ID, "=", account))
    return [
        FindingsQuery(FindingsTable.BY_STATUS, status.value, filters=tuple(filters))
        for status in FindingStatus
    ]


def query_request(table: str, query: FindingsQuery) -> dict[str, Any]:
    """The Query parameters for one partition (without pagination)."""
    names = {"#p": query.partition_attribute}
    values: dict[str, Any] = {":p": {"S": query.partition_value}}
    condition = "#p = :p"
    if query.sort_at_most is not None:
        names["#s"] = query.sort_attribute
        values[":s"] = {"S": query.sort_at_most}
        condition += " AND #s <= :s"
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": query.index,
        "KeyConditionExpression": condition,
        "ReturnConsumedCapacity": "TOTAL",
    }
    clauses = []
    placeholders: dict[str, str] = {}
    for n, (attribute, comparator, value) in enumerate(query.filters):
        name = placeholders.setdefault(attribute, f"#f{len(placeholders)}")
        names[name] = attribute
        values[f":f{n}"] = {"S": value}
        clauses.append(f"{name} {comparator} :f{n}")
    if clauses:
        request["FilterExpression"] = " AND ".join(clauses)
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = values
    return request


def finding_from_item(item: dict[str, Any]) -> Finding:
    """A CURRENT item as a `Finding` (domain/finding_items.py, the sweep's own codec); an item that
    is not one is an error, not a skip."""
    try:
        return read_current_item(item)
    except ValidationError as error:
        where = item.get(FindingsTable.PARTITION_KEY, "an item")
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:3])
        raise CommandError(f"{where} in the findings table is not a finding ({problems})") from error


def read_finding_items(
    client: Any,
    table: str,
    queries: Sequence[FindingsQuery],
    *,
    page_size: int | None = None,
    stats: QueryStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching CURRENT item of every partition, in the index's order (then by key id)."""
    counted = stats if stats is not None else QueryStats()
    streams = [partition_items(client, query_request(table, query), page_size, counted) for query in queries]
    sort_attributes = {query.sort_attribute for query in queries}
    if len(sort_attributes) > 1:
        raise ValueError("queries on indexes with different sort keys cannot be merged")
    order = next(iter(sort_attributes), FindingsTable.DEADLINE)
    return heapq.merge(
        *streams, key=lambda item: (str(item.get(order, "")), str(item.get(FindingsTable.ACCESS_KEY_ID, "")))
    )


def read_findings(
    client: Any,
    table: str,
    queries: Sequence[FindingsQuery],
    *,
    page_size: int | None = None,
    stats: QueryStats | None = None,
) -> Iterator[Finding]:
    """The findings, parsed, as the pages arrive."""
    for item in read_finding_items(client, table, queries, page_size=page_size, stats=stats):
        yield finding_from_item(item)
