"""Stored audit items as plain JSON values, and as flat rows (one per access key) for CSV and tables.

`audit history --key` answers key items (sk KEY#...); every other question answers remediation
summary items (sk REMEDIATION). Both flatten to the same columns.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.tables import AuditTable

ROW_COLUMNS = (
    "recorded_at", "account_id", "region", "user_name", "user_id", "outcome", "reason",
    "access_key_id", "key_result", "key_status_before", "key_status_after", "key_created_at",
    "key_age_days", "key_last_used_at", "key_last_used_service", "key_last_used_region",
    "key_days_since_last_use", "password_result", "owner_email", "owner_notified",
    "notification_message_id", "automation_execution_id", "automation_status", "execution_arn",
)  # fmt: skip
"""CSV columns: one row per access key of a remediation (one row without key columns if it had none)."""


def plain(value: Any) -> Any:
    """DynamoDB numbers (Decimal) and sets become JSON numbers and sorted lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def is_key_item(item: dict[str, Any]) -> bool:
    return str(item.get(AuditTable.SORT_KEY, "")).startswith(AuditTable.KEY_SK_PREFIX)


def owner_notified(item: dict[str, Any]) -> str:
    """yes / no / failed: <why>: was the owner's message published?"""
    if item.get("notification_message_id"):
        return "yes"
    if item.get("notification_error"):
        return f"failed: {item['notification_error']}"
    return "no"


def _text(value: Any) -> str:
    return "" if value is None else str(plain(value))


def _key_columns(key: dict[str, Any]) -> dict[str, str]:
    return {
        "access_key_id": _text(key.get("access_key_id")),
        "key_result": _text(key.get("result")),
        "key_status_before": _text(key.get("status_before")),
        "key_status_after": _text(key.get("status_after")),
        "key_created_at": _text(key.get("created_at")),
        "key_age_days": _text(key.get("age_days")),
        "key_last_used_at": _text(key.get("last_used_at")),
        "key_last_used_service": _text(key.get("last_used_service")),
        "key_last_used_region": _text(key.get("last_used_region")),
        "key_days_since_last_use": _text(key.get("days_since_last_use")),
    }


def rows(item: dict[str, Any]) -> list[dict[str, str]]:
    """The item as rows of ROW_COLUMNS (every value a string, "" when unknown)."""
    owner = item.get("owner") or {}
    automation = item.get("automation") or {}
    common = {
        "recorded_at": _text(item.get(AuditTable.RECORDED_AT)),
        "region": _text(item.get("region")),
        "owner_email": _text(owner.get("email")),
        "owner_notified": owner_notified(item),
        "notification_message_id": _text(item.get("notification_message_id")),
        "automation_execution_id": _text(automation.get("execution_id")),
        "automation_status": _text(automation.get("status")),
        "execution_arn": _text(item.get("execution_arn")),
    }
    if is_key_item(item):
        user = item.get("user") or {}
        common |= {
            "account_id": _text(item.get("account")),
            "user_name": _text(user.get("user_name")),
            "user_id": _text(user.get("user_id")),
            "outcome": _text(item.get("remediation_outcome")),
        }
        keys = [item.get("key") or {"access_key_id": item.get(AuditTable.ACCESS_KEY_ID)}]
    else:
        common |= {
            "account_id": _text(item.get(AuditTable.ACCOUNT_ID)),
            "user_name": _text(item.get(AuditTable.USER_NAME)),
            "user_id": _text(item.get(AuditTable.USER_ID)),
            "outcome": _text(item.get(AuditTable.OUTCOME)),
            "reason": _text(item.get("reason")),
            "password_result": _text(item.get("password_result")),
        }
        keys = list(item.get("keys") or [{}])
    return [
        {column: {**common, **_key_columns(key)}.get(column, "") for column in ROW_COLUMNS} for key in keys
    ]
