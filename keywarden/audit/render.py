"""`audit history` output: a table for people, JSON for scripts, CSV for spreadsheets.

JSON and CSV are written as the items arrive (page by page), so 20,000 records never sit in
memory at once. CSV follows RFC 4180 (quoted fields, CRLF), starts with a UTF-8 byte-order mark
so that Excel reads non-ASCII names right, and defuses cells a spreadsheet would run as a
formula (a leading = + - @ gets a ' in front): IAM user names may start with + = @ or -.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from keywarden.audit.records import ROW_COLUMNS, plain, rows
from keywarden.result_styles import key_result_style, outcome_style

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def write_json(items: Iterable[dict[str, Any]], stream: TextIO) -> int:
    """A JSON array of the records as stored; returns how many."""
    count = 0
    stream.write("[")
    for item in items:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(plain(item), ensure_ascii=False, sort_keys=True))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def write_csv(items: Iterable[dict[str, Any]], stream: TextIO) -> int:
    """A header, then one row per access key of each record; returns how many records."""
    stream.write(UTF8_BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(ROW_COLUMNS)
    count = 0
    for item in items:
        for row in rows(item):
            writer.writerow([spreadsheet_safe(row[column]) for column in ROW_COLUMNS])
        count += 1
    return count


def _keys_cell(item_rows: list[dict[str, str]]) -> Text:
    text = Text()
    for n, row in enumerate(item_rows):
        if row["access_key_id"]:
            text.append(("\n" if n else "") + f"{row['access_key_id']} ")
            text.append(row["key_result"], key_result_style(row["key_result"]))
    return text


def print_table(items: Iterable[dict[str, Any]], console: Console, title: str) -> int:
    """One line per record: when, where, who, outcome, keys, owner told, why."""
    table = Table(
        "recorded (UTC)", "account", "user", "outcome", "keys", "owner told", "reason",
        title=title, title_justify="left", show_lines=True, expand=False,
    )  # fmt: skip
    count = 0
    for item in items:
        item_rows = rows(item)
        first = item_rows[0]
        outcome = first["outcome"]
        table.add_row(
            first["recorded_at"][:19].replace("T", " "),
            first["account_id"],
            first["user_name"] or first["user_id"],
            Text(outcome, outcome_style(outcome)),
            _keys_cell(item_rows),
            first["owner_notified"] + (f" ({first['owner_email']})" if first["owner_email"] else ""),
            Text(first["reason"]),
        )
        count += 1
    if count:
        console.print(table)
    console.print(f"{count} record(s)")
    return count
