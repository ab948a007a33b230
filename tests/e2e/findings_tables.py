"""Tables as the stack makes them (string keys, indexes projecting every attribute), in moto."""

from __future__ import annotations

from typing import Any

from domain.tables import AuditTable, FindingsTable


def create_table(
    dynamodb: Any, name: str, keys: tuple[str, str], indexes: dict[str, tuple[str, str]]
) -> None:
    def schema(partition: str, sort: str) -> list[dict[str, str]]:
        return [{"AttributeName": partition, "KeyType": "HASH"}, {"AttributeName": sort, "KeyType": "RANGE"}]

    attributes = {*keys} | {key for pair in indexes.values() for key in pair}
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=schema(*keys),
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        GlobalSecondaryIndexes=[
            {"IndexName": index, "KeySchema": schema(*pair), "Projection": {"ProjectionType": "ALL"}}
            for index, pair in indexes.items()
        ],
    )


def create_findings_table(dynamodb: Any, name: str) -> None:
    create_table(
        dynamodb, name, (FindingsTable.PARTITION_KEY, FindingsTable.SORT_KEY), FindingsTable.indexes()
    )


def create_audit_table(dynamodb: Any, name: str) -> None:
    create_table(dynamodb, name, (AuditTable.PARTITION_KEY, AuditTable.SORT_KEY), AuditTable.indexes())
