"""A finding as DynamoDB items (domain/tables.py FindingsTable): its CURRENT item, its transitions.

Plain values for boto3's Table resource (numbers as ints, dates as ISO text), so that the sweep's
functions, the sandbox and the command line read and write the same items.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.findings import Finding, TransitionKind
from domain.tables import FindingsTable, audit_timestamp


def current_item(finding: Finding) -> dict[str, Any]:
    """The finding's CURRENT item: every field of `Finding`, under the table's key."""
    fields = finding.model_dump(mode="json", exclude_none=True)
    return {
        FindingsTable.PARTITION_KEY: FindingsTable.finding_pk(finding.access_key_id),
        FindingsTable.SORT_KEY: FindingsTable.CURRENT_SK,
        **fields,
    }


def finding_from_item(item: dict[str, Any]) -> Finding:
    """Read a CURRENT item (DynamoDB numbers arrive as Decimal; whole ones are read as ints)."""
    fields = {k: v for k, v in item.items() if k not in (FindingsTable.PARTITION_KEY, FindingsTable.SORT_KEY)}
    if "reminder_days_sent" in fields:
        fields["reminder_days_sent"] = tuple(int(days) for days in fields["reminder_days_sent"])
    return Finding.model_validate(fields)


def transition_key(access_key_id: str, day: date, transition: TransitionKind) -> dict[str, str]:
    return {
        FindingsTable.PARTITION_KEY: FindingsTable.finding_pk(access_key_id),
        FindingsTable.SORT_KEY: FindingsTable.transition_sk(day, transition.value),
    }


def transition_item(
    finding: Finding,
    day: date,
    transition: TransitionKind,
    *,
    sweep: str,
    recorded_at: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One append-only item of the finding's history: what happened that day, and which sweep did it."""
    return {
        **transition_key(finding.access_key_id, day, transition),
        FindingsTable.TRANSITION: transition.value,
        FindingsTable.ACCESS_KEY_ID: finding.access_key_id,
        FindingsTable.USER_NAME: finding.user_name,
        FindingsTable.ACCOUNT_ID: finding.account_id,
        FindingsTable.RECORDED_AT: audit_timestamp(recorded_at),
        FindingsTable.SWEEP: sweep,
        **(details or {}),
    }
