"""What auditors take away: CSV a spreadsheet opens as written, JSON scripts can parse, flat rows."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from rich.console import Console

from keywarden.audit.records import ROW_COLUMNS, rows
from keywarden.audit.render import print_table, write_csv, write_json

SUMMARY: dict[str, Any] = {
    "pk": "REMEDIATION#run-1",
    "sk": "REMEDIATION",
    "recorded_at": "2026-11-28T12:00:00.000Z",
    "account_id": "111122223333",
    "region": "eu-west-1",
    "user_name": "=HYPERLINK+bob",  # IAM allows = + , . @ - in names: a formula to a spreadsheet
    "user_id": "AIDAEXAMPLEUSERID0001",
    "outcome": "KEYS_LEFT_ACTIVE",
    "reason": 'left active, "recently used":\nAKIAAAAAAAAAAAAAAAA2 — by Zoë in São Paulo',
    "password_result": "DELETED",
    "owner": {"email": "zoë@example.com", "source": "tag:owner"},
    "notification_message_id": "msg-1",
    "automation": {"execution_id": "auto-1", "status": "Success", "polls": Decimal(2)},
    "execution_arn": "arn:aws:states:eu-west-1:111122223333:execution:keywarden-remediation:run-1",
    "keys": [
        {"access_key_id": "AKIAAAAAAAAAAAAAAAA1", "result": "DEACTIVATED", "status_before": "Active",
         "status_after": "Inactive", "created_at": "2026-07-31T12:00:00Z", "age_days": Decimal(120)},
        {"access_key_id": "AKIAAAAAAAAAAAAAAAA2", "result": "SKIPPED_RECENTLY_USED",
         "status_before": "Active", "status_after": "Active", "created_at": "2026-07-31T12:00:00Z",
         "age_days": Decimal(120), "last_used_at": "2026-11-26T12:00:00Z", "last_used_service": "s3",
         "days_since_last_use": Decimal(2)},
    ],
}  # fmt: skip
KEY_ITEM: dict[str, Any] = {
    "pk": "REMEDIATION#run-1",
    "sk": "KEY#AKIAAAAAAAAAAAAAAAA2",
    "access_key_id": "AKIAAAAAAAAAAAAAAAA2",
    "recorded_at": "2026-11-28T12:00:00.000Z",
    "result": "SKIPPED_RECENTLY_USED",
    "key": SUMMARY["keys"][1],
    "user": {"user_name": "bob", "user_id": "AIDAEXAMPLEUSERID0001"},
    "account": "111122223333",
    "region": "eu-west-1",
    "remediation_outcome": "KEYS_LEFT_ACTIVE",
    "owner": {"email": "bob@example.com", "source": "tag:owner"},
    "notification_error": "SNS.AuthorizationError: not allowed",
}
REJECTED: dict[str, Any] = {
    "pk": "REMEDIATION#run-2",
    "sk": "REMEDIATION",
    "recorded_at": "2026-11-28T13:00:00.000Z",
    "account_id": "111122223333",
    "outcome": "REJECTED",
    "reason": "not a Config compliance-change event",
}


def read_back(text: str) -> list[list[str]]:
    """What a spreadsheet (or Python's csv module, which follows the same RFC 4180) reads."""
    assert text.startswith("\ufeff")  # Excel needs the mark to read UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_csv_has_a_header_and_one_row_per_key_with_everything_quoted_right() -> None:
    """Given a two-key remediation with awkward text and a rejected event, When written as CSV,
    Then a spreadsheet reads a header and one row per key (one for the keyless event),
    every value intact and a formula-like name shown as text."""
    out = io.StringIO(newline="")
    assert write_csv([SUMMARY, REJECTED], out) == 2
    text = out.getvalue()
    assert "\r\n" in text  # RFC 4180 line ends
    table = read_back(text)
    assert table[0] == list(ROW_COLUMNS)
    assert len(table) == 1 + 2 + 1  # two keys, and a rejected event without any
    first = dict(zip(ROW_COLUMNS, table[1], strict=True))
    second = dict(zip(ROW_COLUMNS, table[2], strict=True))
    assert first["reason"] == SUMMARY["reason"]  # comma, quotes, newline and accents survive
    assert first["owner_email"] == "zoë@example.com"
    assert first["user_name"] == "'=HYPERLINK+bob"  # shown as text, never run as a formula
    assert (first["access_key_id"], first["key_result"], first["key_age_days"]) == (
        "AKIAAAAAAAAAAAAAAAA1", "DEACTIVATED", "120",
    )  # fmt: skip
    assert (second["key_result"], second["key_days_since_last_use"], second["key_last_used_service"]) == (
        "SKIPPED_RECENTLY_USED", "2", "s3",
    )  # fmt: skip
    assert (first["owner_notified"], first["automation_status"], first["password_result"]) == (
        "yes", "Success", "DELETED",
    )  # fmt: skip
    rejected = dict(zip(ROW_COLUMNS, table[3], strict=True))
    assert (rejected["outcome"], rejected["access_key_id"], rejected["owner_notified"]) == (
        "REJECTED",
        "",
        "no",
    )


def test_csv_of_nothing_is_just_the_header() -> None:
    """Given no records, When written as CSV, Then it is the header alone."""
    out = io.StringIO(newline="")
    assert write_csv([], out) == 0
    assert read_back(out.getvalue()) == [list(ROW_COLUMNS)]


def test_a_key_item_flattens_to_the_same_columns() -> None:
    """Given a per-key item, When flattened, Then it fills the same columns, with the notification failure."""
    [row] = rows(KEY_ITEM)
    assert (row["user_name"], row["account_id"], row["outcome"], row["key_result"]) == (
        "bob", "111122223333", "KEYS_LEFT_ACTIVE", "SKIPPED_RECENTLY_USED",
    )  # fmt: skip
    assert row["owner_notified"] == "failed: SNS.AuthorizationError: not allowed"
    assert row["reason"] == ""


def test_json_is_one_array_of_the_records_as_stored() -> None:
    """Given records (or none), When written as JSON, Then it is one array of them as stored,
    with numbers as numbers and UTF-8 unescaped."""
    out = io.StringIO()
    assert write_json([SUMMARY, KEY_ITEM], out) == 2
    records = json.loads(out.getvalue())
    assert [r["sk"] for r in records] == ["REMEDIATION", "KEY#AKIAAAAAAAAAAAAAAAA2"]
    assert records[0]["keys"][1]["result"] == "SKIPPED_RECENTLY_USED"
    assert records[0]["keys"][0]["age_days"] == 120  # a number, not "Decimal('120')"
    assert "Zoë in São Paulo" in out.getvalue()  # UTF-8 as is, not \\u escapes
    empty = io.StringIO()
    write_json([], empty)
    assert json.loads(empty.getvalue()) == []


def test_the_table_shows_who_what_and_whether_the_owner_was_told() -> None:
    """Given a remediation and a key item, When printed as a table,
    Then it shows each key's result, whether the owner was told, and the count."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    assert print_table([SUMMARY, KEY_ITEM], console, "history") == 2
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "AKIAAAAAAAAAAAAAAAA1 DEACTIVATED" in text
    assert "yes (zoë@example.com)" in text
    assert "failed: SNS.AuthorizationError" in text
    assert "2 record(s)" in text
