"""The sandbox's DynamoDB speed-ups answer exactly what moto answers without them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from keywarden.sandbox.dynamodb import fast_dynamodb

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
]


@pytest.mark.parametrize("request_parameters", QUERIES)
def test_query_answers_are_the_same(request_parameters: dict[str, Any]) -> None:
    with table(fast=False) as client:
        expected = every_page(client, **request_parameters)
    with table(fast=True) as client:
        answered = every_page(client, **request_parameters)
    assert answered == expected
    assert sum(page["Count"] for page in answered) > 0


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
