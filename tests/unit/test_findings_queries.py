"""`findings list`'s options as Queries on the findings table's indexes (no AWS, no Scan)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.findings import FindingStatus
from domain.tables import FindingsTable
from keywarden.cli_errors import CommandError
from keywarden.findings.queries import (
    FindingsQuery,
    Selection,
    finding_from_item,
    plan_listing,
    plan_opened_between,
    query_request,
)

TODAY = date(2026, 12, 2)
BOB = "AIDAAAAAAAAAAAAAAAAB1"


def partitions(queries: list[FindingsQuery]) -> list[tuple[str, str]]:
    return [(q.index, q.partition_value) for q in queries]


def test_without_flags_every_status_is_one_partition_of_by_status() -> None:
    queries = plan_listing(Selection(), TODAY)
    assert partitions(queries) == [(FindingsTable.BY_STATUS, s.value) for s in FindingStatus]
    assert all(q.sort_at_most is None and not q.filters for q in queries)


def test_open_is_the_open_partition() -> None:
    assert partitions(plan_listing(Selection(open_only=True), TODAY)) == [(FindingsTable.BY_STATUS, "OPEN")]


def test_overdue_bounds_the_deadline_in_the_key_condition() -> None:
    # Given --overdue on 2026-12-02
    (query,) = plan_listing(Selection(overdue=True), TODAY)
    # When it becomes a request
    request = query_request("keywarden-findings", query)
    # Then the deadline (by_status's sort key) is in the key condition, on or before today, no filter
    assert request == {
        "TableName": "keywarden-findings",
        "IndexName": "by_status",
        "KeyConditionExpression": "#p = :p AND #s <= :s",
        "ReturnConsumedCapacity": "TOTAL",
        "ExpressionAttributeNames": {"#p": "status", "#s": "deadline"},
        "ExpressionAttributeValues": {":p": {"S": "OPEN"}, ":s": {"S": "2026-12-02"}},
    }


def test_a_user_is_one_partition_of_by_user_narrowed_by_filters() -> None:
    (everything,) = plan_listing(Selection(user_id=BOB), TODAY)
    assert (everything.index, everything.partition_value, everything.filters) == ("by_user", BOB, ())
    (overdue,) = plan_listing(Selection(user_id=BOB, overdue=True), TODAY)
    request = query_request("t", overdue)
    assert request["KeyConditionExpression"] == "#p = :p"
    assert request["FilterExpression"] == "#f0 = :f0 AND #f1 <= :f1"
    assert request["ExpressionAttributeNames"] == {"#p": "user_id", "#f0": "status", "#f1": "deadline"}
    assert request["ExpressionAttributeValues"] == {
        ":p": {"S": BOB},
        ":f0": {"S": "OPEN"},
        ":f1": {"S": "2026-12-02"},
    }


def test_a_user_without_an_id_is_matched_by_name_in_every_status() -> None:
    queries = plan_listing(Selection(user_name="gone"), TODAY)
    assert partitions(queries) == [(FindingsTable.BY_STATUS, s.value) for s in FindingStatus]
    assert {q.filters for q in queries} == {(("user_name", "=", "gone"),)}


def test_the_summary_reads_every_status_filtered_on_the_opening_day() -> None:
    queries = plan_opened_between(date(2026, 11, 1), date(2026, 11, 30), "111122223333")
    assert partitions(queries) == [(FindingsTable.BY_STATUS, s.value) for s in FindingStatus]
    request = query_request("t", queries[0])
    # One name for opened_on, used by both bounds
    assert request["FilterExpression"] == "#f0 <= :f0 AND #f0 >= :f1 AND #f1 = :f2"
    assert request["ExpressionAttributeNames"] == {"#p": "status", "#f0": "opened_on", "#f1": "account_id"}


def test_a_stored_finding_is_read_back_and_anything_else_refused() -> None:
    # Given a CURRENT item as the Table resource returns it (numbers as Decimal)
    item = {
        "pk": "FINDING#AKIA0000000000000001",
        "sk": "CURRENT",
        "access_key_id": "AKIA0000000000000001",
        "user_id": BOB,
        "user_name": "bob",
        "account_id": "111122223333",
        "status": "OPEN",
        "opened_on": "2026-11-20",
        "first_notice_on": "2026-11-20",
        "deadline": "2026-12-04",
        "reminder_days_sent": [Decimal(7)],
        "reminded_on": ["2026-11-27"],
    }
    finding = finding_from_item(item)
    assert (finding.deadline, finding.reminder_days_sent, finding.reminded_on) == (
        date(2026, 12, 4),
        (7,),
        (date(2026, 11, 27),),
    )
    with pytest.raises(CommandError, match=r"FINDING#AKIA0000000000000001 .* is not a finding \(deadline"):
        finding_from_item({**item, "deadline": "soon"})
