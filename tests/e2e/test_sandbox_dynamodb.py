"""The sandbox's DynamoDB speed-ups answer exactly what moto answers without them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from keywarden.sandbox.aws.dynamodb import fast_dynamodb
from keywarden.sandbox.aws.dynamodb_transactions import transactions_without_table_copies

pytestmark = pytest.mark.e2e

ITEMS: list[dict[str, Any]] = [
    {
        "pk": {"S": f"REMEDIATION#{n}"},
        "sk": {"S": "REMEDIATION"},
        "account_shard": {"S": f"111122223333#{n % 2}"},
        "recorded_at": {"S": f"2026-11-{28 - n % 20:02d}T12:00:00.{n:03d}Z"},
        "count": {"N": str(n * 1.5)},
        "flag": {"BOOL": n % 2 == 0},
        "nothing": {"NULL": True},
        "blob": {"B": bytes([n, 0, 255])},
        "names": {"SS": ["bob", f"zoë-{n}"]},
        "numbers": {"NS": ["1", str(n + 2)]},
        "keys": {"L": [{"M": {"access_key_id": {"S": f"AKIA{n:016d}"}, "age_days": {"N": "120"}}}]},
        "owner": {"M": {"email": {"S": "zoë@example.com"}, "nested": {"M": {"deep": {"L": [{"S": "x"}]}}}}},
    }
    for n in range(40)
]
# For the Query comparisons: one index partition whose items share a range key value (the table's
# key orders them), items the index does not hold (no recorded_at), and one table partition of many.
ITEMS += [
    {
        "pk": {"S": f"TIE#{n}"},
        "sk": {"S": "REMEDIATION"},
        "account_shard": {"S": "444455556666#0"},
        "recorded_at": {"S": "2026-11-20T12:00:00.000Z" if n % 3 else "2026-11-21T12:00:00.000Z"},
    }
    for n in (7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6)
]
ITEMS += [
    {"pk": {"S": f"UNINDEXED#{n}"}, "sk": {"S": "X"}, "account_shard": {"S": "444455556666#0"}}
    for n in range(5)
]
ITEMS += [
    {"pk": {"S": "HISTORY"}, "sk": {"S": f"KEY#{n:03d}"}, "n": {"N": str(n)}}
    for n in (5, 1, 9, 3, 7, 0, 8, 2, 6, 4)
]


@contextlib.contextmanager
def table(fast: bool) -> Iterator[Any]:
    with mock_aws(), fast_dynamodb() if fast else contextlib.nullcontext():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="audit",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("pk", "sk", "account_shard", "recorded_at")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_account",
                    "KeySchema": [
                        {"AttributeName": "account_shard", "KeyType": "HASH"},
                        {"AttributeName": "recorded_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for item in ITEMS:
            client.put_item(TableName="audit", Item=item)
        yield client


def every_page(client: Any, **request: Any) -> list[dict[str, Any]]:
    pages = []
    while True:
        page = client.query(TableName="audit", **request)
        page.pop("ResponseMetadata")
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


QUERIES: list[dict[str, Any]] = [
    {
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a AND recorded_at BETWEEN :s AND :u",
        "ExpressionAttributeValues": {
            ":a": {"S": "111122223333#0"},
            ":s": {"S": "2026-11-12T00:00:00.000Z"},
            ":u": {"S": "2026-11-25T23:59:59.999Z"},
        },
        "Limit": 3,
        "ReturnConsumedCapacity": "TOTAL",
    },
    {
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a",
        "FilterExpression": "flag = :t",
        "ExpressionAttributeValues": {":a": {"S": "111122223333#1"}, ":t": {"BOOL": False}},
        "ScanIndexForward": False,
        "ProjectionExpression": "pk, recorded_at, #o.email, #n, #b",
        "ExpressionAttributeNames": {"#o": "owner", "#n": "names", "#b": "blob"},
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "REMEDIATION#7"}}},
    {  # equal range key values, across pages: ordered by the table's key
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a",
        "ExpressionAttributeValues": {":a": {"S": "444455556666#0"}},
        "Limit": 4,
    },
    {
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a AND recorded_at >= :s",
        "ExpressionAttributeValues": {":a": {"S": "444455556666#0"}, ":s": {"S": "2026-11-21"}},
        "ScanIndexForward": False,
        "Limit": 1,
    },
    {  # pages that the filter empties still carry LastEvaluatedKey
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a AND recorded_at < :u",
        "FilterExpression": "#c > :c",
        "ExpressionAttributeNames": {"#c": "count"},
        "ExpressionAttributeValues": {
            ":a": {"S": "111122223333#0"},
            ":u": {"S": "2026-11-20"},
            ":c": {"N": "30"},
        },
        "Limit": 2,
        "Select": "COUNT",
    },
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :k)",
        "ExpressionAttributeValues": {":p": {"S": "HISTORY"}, ":k": {"S": "KEY#00"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "HISTORY"}, ":a": {"S": "KEY#002"}, ":b": {"S": "KEY#008"}},
        "ProjectionExpression": "sk, n",
        "Limit": 2,
    },
]


@pytest.mark.parametrize("request_parameters", QUERIES)
def test_query_answers_are_the_same(request_parameters: dict[str, Any]) -> None:
    with table(fast=False) as client:
        expected = every_page(client, **request_parameters)
    with table(fast=True) as client:
        answered = every_page(client, **request_parameters)
    assert answered == expected
    assert sum(page["Count"] for page in answered) > 0


EMPTY_PARTITIONS: list[dict[str, Any]] = [
    {
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a",
        "ExpressionAttributeValues": {":a": {"S": "nobody"}},
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nothing"}}},
]


@pytest.mark.parametrize("request_parameters", EMPTY_PARTITIONS)
def test_query_answers_for_an_empty_partition_are_the_same(request_parameters: dict[str, Any]) -> None:
    with table(fast=False) as client:
        expected = every_page(client, **request_parameters)
    with table(fast=True) as client:
        answered = every_page(client, **request_parameters)
    assert answered == expected
    assert [page["Count"] for page in answered] == [0]


def _pages_around_writes(fast: bool) -> list[dict[str, Any]]:
    """Two pages, then writes (an item moves to another partition, one is deleted, one added),
    then the rest of the pages from where the second stopped."""
    request: dict[str, Any] = {
        "IndexName": "by_account",
        "KeyConditionExpression": "account_shard = :a",
        "ExpressionAttributeValues": {":a": {"S": "111122223333#0"}},
        "Limit": 3,
    }
    with table(fast) as client:
        pages = []
        for _ in range(2):
            page = client.query(TableName="audit", **request)
            page.pop("ResponseMetadata")
            pages.append(page)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        client.update_item(
            TableName="audit",
            Key={"pk": {"S": "REMEDIATION#30"}, "sk": {"S": "REMEDIATION"}},
            UpdateExpression="SET account_shard = :b",
            ExpressionAttributeValues={":b": {"S": "111122223333#1"}},
        )
        client.delete_item(TableName="audit", Key={"pk": {"S": "REMEDIATION#32"}, "sk": {"S": "REMEDIATION"}})
        client.put_item(
            TableName="audit",
            Item={**ITEMS[1], "pk": {"S": "LATE"}, "account_shard": {"S": "111122223333#0"}},
        )
        return pages + every_page(client, **request)


def test_query_answers_after_writes_between_pages_are_the_same() -> None:
    # Given a paginated index Query, when items move, go and arrive between its pages,
    # then the sandbox's pages are moto's pages
    answered = _pages_around_writes(fast=True)
    assert answered == _pages_around_writes(fast=False)
    assert len(answered) > 3


def test_the_item_size_limit_still_holds() -> None:
    with table(fast=True) as client:
        big = {"pk": {"S": "big"}, "sk": {"S": "x"}, "text": {"S": "x" * 420_000}}
        with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
            client.put_item(TableName="audit", Item=big)
        client.put_item(TableName="audit", Item={**big, "text": {"S": "x" * 390_000}})


def test_a_query_error_is_still_dynamodb_s() -> None:
    with table(fast=True) as client, pytest.raises(ClientError) as refused:
        client.query(
            TableName="audit",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "x"}},
            ExpressionAttributeNames={"#unused": "x"},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def _put(n: int) -> dict[str, Any]:
    return {"Put": {"TableName": "audit", "Item": {**ITEMS[n], "pk": {"S": f"NEW#{n}"}}}}


def _key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"REMEDIATION#{n}"}, "sk": {"S": "REMEDIATION"}}


def _update(n: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": "audit",
            "Key": _key(n),
            "UpdateExpression": "SET flag = :f, #c = #c + :one",
            "ExpressionAttributeNames": {"#c": "count"},
            "ExpressionAttributeValues": {":f": {"BOOL": True}, ":one": {"N": "1"}},
        }
    }


def _delete(n: int) -> dict[str, Any]:
    return {"Delete": {"TableName": "audit", "Key": _key(n)}}


def _check(n: int, holds: bool) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": "audit",
            "Key": _key(n),
            "ConditionExpression": "attribute_exists(pk)" if holds else "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


TRANSACTIONS: dict[str, list[dict[str, Any]]] = {
    "applied": [_put(1), _update(2), _delete(3), _check(4, holds=True)],
    "applied, then one partition gone": [_delete(5)],
    "cancelled by a failed condition": [_put(6), _update(7), _delete(8), _check(9, holds=False)],
    "cancelled by a Put only if absent": [
        _delete(10),
        {
            "Put": {
                "TableName": "audit",
                "Item": ITEMS[11],
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ],
    "cancelled by a missing table": [
        _update(12),
        {**_delete(13), "Delete": {**_delete(13)["Delete"], "TableName": "none"}},
    ],
    "refused: one item twice": [_update(14), _delete(14)],
    "refused: a key without its sort key": [
        _delete(15),
        {"Delete": {"TableName": "audit", "Key": {"pk": {"S": "x"}}}},
    ],
    "refused: more than 100 items": [_put(n % 40) for n in range(101)],
}


def _transact_and_scan(
    item_backups: bool, transaction: list[dict[str, Any]]
) -> tuple[Any, list[dict[str, Any]]]:
    with (
        table(fast=False) as client,
        transactions_without_table_copies() if item_backups else contextlib.nullcontext(),
    ):
        try:
            answer: Any = client.transact_write_items(TransactItems=transaction)
            answer.pop("ResponseMetadata")
        except ClientError as error:
            answer = {key: error.response.get(key) for key in ("Error", "CancellationReasons")}
        scanned = client.scan(TableName="audit")["Items"]
    return answer, scanned


@pytest.mark.parametrize("transaction", TRANSACTIONS.values(), ids=TRANSACTIONS.keys())
def test_transactions_end_the_same(transaction: list[dict[str, Any]]) -> None:
    expected = _transact_and_scan(item_backups=False, transaction=transaction)
    assert _transact_and_scan(item_backups=True, transaction=transaction) == expected


def test_a_cancelled_transaction_leaves_the_table_as_it_was() -> None:
    with table(fast=False) as client, transactions_without_table_copies():
        before = client.scan(TableName="audit")["Items"]
        with pytest.raises(ClientError) as cancelled:
            client.transact_write_items(TransactItems=TRANSACTIONS["cancelled by a failed condition"])
        assert client.scan(TableName="audit")["Items"] == before
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert cancelled.value.response["CancellationReasons"][3]["Item"]["pk"] == {"S": "REMEDIATION#9"}
