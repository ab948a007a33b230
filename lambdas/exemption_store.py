"""Read every exemption from the exemption table (a short list kept by security administrators)."""

from __future__ import annotations

from typing import Any

from domain.exemptions import Exemption, exemption_from_item

DynamoDBTable = Any  # a boto3 DynamoDB Table resource


def load_exemptions(table: DynamoDBTable) -> list[Exemption]:
    """All exemptions; patterns must be matched here, so the table is read whole.

    A malformed item raises: an exemption that silently stopped applying would remediate a
    user that security administrators meant to protect.
    """
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [exemption_from_item(item) for item in items]
