"""Which index and partitions answer each question, and how pages and shards are read (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from domain.results import RECORDED_OUTCOMES, RemediationOutcome
from domain.tables import AuditTable
from keywarden.audit.periods import Period
from keywarden.audit.queries import (
    Criteria,
    PartitionQuery,
    QueryStats,
    check_criteria,
    parse_outcomes,
    plan_history,
    plan_summary,
    query_request,
    read_items,
)
from keywarden.cli_errors import InputError

SEPTEMBER = Period(datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 30, 23, 59, 59, 999_000, tzinfo=UTC))


def partitions(queries: list[PartitionQuery]) -> list[tuple[str, str]]:
    return [(q.index, q.partition_value) for q in queries]


def test_a_user_name_is_one_partition_of_by_user_name() -> None:
    """Given --user with a user name, When planned, Then one query reads that partition of by_user_name."""
    assert partitions(plan_history(Criteria(user="bob"))) == [("by_user_name", "bob")]


def test_a_user_id_is_one_partition_of_by_user_id() -> None:
    """Given --user with a user id (AIDA...), When planned,
    Then one query reads that partition of by_user_id."""
    assert partitions(plan_history(Criteria(user="AIDAEXAMPLEUSERID0001"))) == [
        ("by_user_id", "AIDAEXAMPLEUSERID0001")
    ]


def test_an_access_key_is_one_partition_of_by_access_key() -> None:
    """Given --key, When planned, Then one query reads its partition of by_access_key, with no filter."""
    [query] = plan_history(Criteria(key="AKIAIOSFODNN7EXAMPLE"))
    assert (query.index, query.partition_attribute, query.filters) == (
        "by_access_key",
        "access_key_id",
        (),
    )


def test_an_account_is_every_shard_of_by_account() -> None:
    """Given --account, When planned, Then one query per shard of that account in by_account."""
    assert partitions(plan_history(Criteria(account="111122223333"))) == [
        ("by_account", f"111122223333#{shard}") for shard in range(AuditTable.INDEX_SHARDS)
    ]


def test_outcomes_are_every_shard_of_each_outcome() -> None:
    """Given two outcomes, When planned, Then one query per shard of each outcome in by_outcome."""
    criteria = Criteria(outcomes=(RemediationOutcome.FAILED, RemediationOutcome.TIMED_OUT))
    assert partitions(plan_history(criteria)) == [
        ("by_outcome", f"{outcome}#{shard}")
        for outcome in ("FAILED", "TIMED_OUT")
        for shard in range(AuditTable.INDEX_SHARDS)
    ]


def test_no_criteria_reads_every_recorded_outcome_never_the_table() -> None:
    """Given no criteria, When planned (history or summary),
    Then every shard of every recorded outcome is queried, never a scan of the table."""
    queries = plan_history(Criteria())
    assert len(queries) == len(RECORDED_OUTCOMES) * AuditTable.INDEX_SHARDS
    assert {q.index for q in queries} == {"by_outcome"}
    assert "COMPLIANT#0" not in {q.partition_value for q in queries}
    assert plan_summary(None) == queries


def test_combined_criteria_narrow_the_most_selective_index_with_filters() -> None:
    """Given several criteria, When planned,
    Then the most selective index is queried and the other criteria become filters."""
    [by_user] = plan_history(
        Criteria(user="bob", account="111122223333", outcomes=(RemediationOutcome.KEYS_LEFT_ACTIVE,))
    )
    assert by_user.index == "by_user_name"
    assert by_user.filters == ((("account_id",), ("111122223333",)), (("outcome",), ("KEYS_LEFT_ACTIVE",)))
    [by_key] = plan_history(Criteria(key="AKIAIOSFODNN7EXAMPLE", user="AIDAEXAMPLEUSERID0001"))
    assert by_key.filters == ((("user", "user_id"), ("AIDAEXAMPLEUSERID0001",)),)
    by_account = plan_history(Criteria(account="111122223333", outcomes=(RemediationOutcome.FAILED,)))
    assert {q.filters for q in by_account} == {((("outcome",), ("FAILED",)),)}


def test_the_request_has_the_period_in_the_key_condition_and_no_unused_names() -> None:
    """Given a partition and a period (closed, open, or since only), When the request is built,
    Then the period is in the key condition, and no attribute name is declared unused."""
    request = query_request(
        "audit", PartitionQuery("by_account", "account_shard", "111122223333#2"), SEPTEMBER
    )
    assert request == {
        "TableName": "audit",
        "IndexName": "by_account",
        "KeyConditionExpression": "#p = :p AND #t BETWEEN :since AND :until",
        "ExpressionAttributeNames": {"#p": "account_shard", "#t": "recorded_at"},
        "ExpressionAttributeValues": {
            ":p": {"S": "111122223333#2"},
            ":since": {"S": "2026-09-01T00:00:00.000Z"},
            ":until": {"S": "2026-09-30T23:59:59.999Z"},
        },
        "ReturnConsumedCapacity": "TOTAL",
    }
    open_ended = query_request("audit", PartitionQuery("by_user_name", "user_name", "bob"), Period())
    assert open_ended["KeyConditionExpression"] == "#p = :p"
    assert open_ended["ExpressionAttributeNames"] == {"#p": "user_name"}  # DynamoDB refuses unused names
    since_only = query_request("audit", PartitionQuery("i", "a", "v"), Period(since=SEPTEMBER.since))
    assert since_only["KeyConditionExpression"] == "#p = :p AND #t >= :since"


def test_filters_and_projections_name_every_attribute() -> None:
    """Given a filter on a nested attribute and a projection, When the request is built,
    Then every attribute is a declared name, and recorded_at is always projected."""
    query = PartitionQuery(
        "by_access_key", "access_key_id", "AKIAIOSFODNN7EXAMPLE", ((("user", "user_name"), ("bob",)),)
    )
    request = query_request("audit", query, Period(), projection=("account_id",))
    assert request["FilterExpression"] == "#user.#user_name IN (:f0_0)"
    assert request["ProjectionExpression"] == "#account_id, #recorded_at"
    assert request["ExpressionAttributeNames"] == {
        "#p": "access_key_id",
        "#user": "user",
        "#user_name": "user_name",
        "#account_id": "account_id",
        "#recorded_at": "recorded_at",
    }


def test_outcomes_are_parsed_in_any_case_and_unknown_ones_refused() -> None:
    """Given outcomes in any case with duplicates, or unknown or never-recorded ones, When parsed,
    Then known ones are read once in order, and the others refused with the recorded list."""
    assert parse_outcomes(["failed", "FAILED", " Timed_Out "]) == (
        RemediationOutcome.FAILED,
        RemediationOutcome.TIMED_OUT,
    )
    with pytest.raises(InputError, match="unknown outcome 'DONE'; recorded outcomes are: REMEDIATED, "):
        parse_outcomes(["DONE"])
    with pytest.raises(InputError, match="unknown outcome 'COMPLIANT'"):
        parse_outcomes(["COMPLIANT"])  # simulations only: never recorded


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (Criteria(key="AKIA123"), "--key 'AKIA123' is not an access key id"),
        (Criteria(key="akiaiosfodnn7example"), "is not an access key id"),
        (Criteria(account="1234"), "--account '1234' is not an AWS account id (12 digits)"),
        (Criteria(user="  "), "--user is empty"),
    ],
)
def test_values_that_can_never_match_are_refused(criteria: Criteria, message: str) -> None:
    """Given a malformed key or account id, or an empty user, When checked,
    Then it is refused, saying what is expected."""
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_criteria(criteria)


def _page(times: list[str], last: str | None = None, scanned: int | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "Items": [{"pk": {"S": f"REMEDIATION#{t}"}, "recorded_at": {"S": t}, "n": {"N": "1"}} for t in times],
        "Count": len(times),
        "ScannedCount": scanned if scanned is not None else len(times),
        "ConsumedCapacity": {"TableName": "audit", "CapacityUnits": 1.5},
    }
    if last:
        page["LastEvaluatedKey"] = {"pk": {"S": last}}
    return page


def test_pages_are_followed_to_the_end_and_shards_merged_by_time() -> None:
    """Given two shards, one with two pages, When their items are read,
    Then every page is followed, items come merged in time order, and the reads are counted."""
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    queries = [PartitionQuery("by_account", "account_shard", f"111122223333#{n}") for n in range(2)]
    first = query_request("audit", queries[0], Period())
    second = query_request("audit", queries[1], Period())
    with Stubber(client) as stub:
        # heapq.merge reads the first page of every partition before yielding anything.
        stub.add_response(
            "query", _page(["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"], "k1"), first
        )
        stub.add_response("query", _page(["2026-02-01T00:00:00.000Z"], scanned=3), second)
        stub.add_response(
            "query", _page(["2026-04-01T00:00:00.000Z"]), {**first, "ExclusiveStartKey": {"pk": {"S": "k1"}}}
        )
        stats = QueryStats()
        items = list(read_items(client, "audit", queries, Period(), stats=stats))
        stub.assert_no_pending_responses()
    assert [item["recorded_at"][:7] for item in items] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert items[0]["n"] == 1
    assert (stats.queries, stats.pages, stats.items_read, stats.items_returned) == (2, 3, 6, 4)
    assert stats.read_capacity_units == 4.5
