"""DynamoDB's attribute-value form ({"S": ...}), which the workflow's DynamoDB tasks take as they are."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()


def to_attribute_values(item: dict[str, Any]) -> dict[str, Any]:
    """A plain item in DynamoDB's attribute-value form, as dynamodb:putItem takes it."""
    return {name: _serializer.serialize(value) for name, value in item.items()}
