"""`findings list` output: a table for people, JSON for scripts, CSV for spreadsheets.

Same conventions as `audit history` (keywarden/audit/render.py): JSON and CSV are written as the
findings arrive; CSV is RFC 4180 with a UTF-8 byte-order mark and formula-safe cells.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import date
from typing import Any, TextIO

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from domain.findings import Finding, FindingStatus, is_overdue
from keywarden.audit.render import UTF8_BOM, spreadsheet_safe

FINDING_COLUMNS = (
    "access_key_id", "user_name", "user_id", "account_id", "status", "opened_on", "first_notice_on",
    "deadline", "reminded_on", "escalated_on", "enforced_on", "closed_on", "days_to_close", "resolution",
)  # fmt: skip
"""CSV columns, one row per finding; `reminded_on` lists the reminders' days, separated by spaces."""

_STATUS_STYLES = {
    FindingStatus.OPEN: "yellow",
    FindingStatus.RESOLVED: "green",
    FindingStatus.ENFORCED: "magenta",
    FindingStatus.EXEMPT: "cyan",
    FindingStatus.USER_DELETED: "dim",
}


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def finding_row(finding: Finding) -> dict[str, str]:
    """The finding as FINDING_COLUMNS (every value a string, "" when not applicable)."""
    return {
        "access_key_id": finding.access_key_id,
        "user_name": finding.user_name,
        "user_id": finding.user_id,
        "account_id": finding.account_id,
        "status": finding.status.value,
        "opened_on": _day(finding.opened_on),
        "first_notice_on": _day(finding.first_notice_on),
        "deadline": _day(finding.deadline),
        "reminded_on": " ".join(day.isoformat() for day in finding.reminded_on),
        "escalated_on": _day(finding.escalated_on),
        "enforced_on": _day(finding.enforced_on),
        "closed_on": _day(finding.closed_on),
        "days_to_close": "" if finding.days_to_close is None else str(finding.days_to_close),
        "resolution": finding.resolution.value if finding.resolution else "",
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    """The finding as stored, plus the days it took to close (null while open)."""
    return {**finding.model_dump(mode="json"), "days_to_close": finding.days_to_close}


def write_findings_json(findings: Iterable[Finding], stream: TextIO) -> int:
    """A JSON array of the findings; returns how many."""
    count = 0
    stream.write("[")
    for finding in findings:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(finding_json(finding), ensure_ascii=False, sort_keys=True))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def write_findings_csv(findings: Iterable[Finding], stream: TextIO) -> int:
    """A header, then one row per finding; returns how many."""
    stream.write(UTF8_BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(FINDING_COLUMNS)
    count = 0
    for finding in findings:
        row = finding_row(finding)
        writer.writerow([spreadsheet_safe(row[column]) for column in FINDING_COLUMNS])
        count += 1
    return count


def print_findings(findings: Iterable[Finding], console: Console, title: str, today: date) -> int:
    """One line per finding; an open finding past its deadline shows its deadline in red."""

    def day_column(header: str) -> Column:
        return Column(header, no_wrap=True, min_width=10)

    table = Table(
        Column("key id", no_wrap=True), "user", Column("account", no_wrap=True),
        Column("status", no_wrap=True), day_column("opened"), day_column("first notice"),
        day_column("deadline"), day_column("reminders"), day_column("escalated"),
        day_column("enforced"), day_column("closed"), "days to close",
        title=title, title_justify="left", expand=False,
    )  # fmt: skip
    count = 0
    for finding in findings:
        row = finding_row(finding)
        deadline_style = "bold red" if is_overdue(finding, today) else ""
        table.add_row(
            row["access_key_id"],
            row["user_name"],
            row["account_id"],
            Text(row["status"], _STATUS_STYLES[finding.status]),
            row["opened_on"],
            row["first_notice_on"],
            Text(row["deadline"], deadline_style),
            row["reminded_on"].replace(" ", "\n"),
            row["escalated_on"],
            row["enforced_on"],
            row["closed_on"],
            row["days_to_close"],
        )
        count += 1
    if count:
        console.print(table)
    console.print(f"{count} finding(s)")
    return count
