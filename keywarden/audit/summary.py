"""`audit summary`: how many remediations ended how, per account, over a period."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from domain.results import RECORDED_OUTCOMES
from domain.tables import AuditTable
from keywarden.audit.findings_summary import FindingsSummary
from keywarden.audit.periods import Period
from keywarden.audit.render import UTF8_BOM
from keywarden.result_styles import outcome_style

SUMMARY_PROJECTION = (AuditTable.ACCOUNT_ID, AuditTable.OUTCOME)
"""What counting needs from each item: the reads return only these (and recorded_at)."""


@dataclass
class Summary:
    period: Period
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_account: dict[str, Counter[str]] = field(default_factory=dict)
    findings: FindingsSummary | None = None
    """The findings opened in the period (None: the findings table was not read)."""

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    def add(self, item: dict[str, Any]) -> None:
        outcome = str(item.get(AuditTable.OUTCOME, "unknown"))
        account = str(item.get(AuditTable.ACCOUNT_ID, "unknown"))
        self.by_outcome[outcome] += 1
        self.by_account.setdefault(account, Counter())[outcome] += 1

    def as_json(self) -> dict[str, Any]:
        since, until = self.period.bounds()
        return {
            "since": since,
            "until": until,
            "total": self.total,
            "by_outcome": {o.value: self.by_outcome.get(o.value, 0) for o in RECORDED_OUTCOMES},
            "by_account": {
                account: {"total": sum(counts.values()), **dict(sorted(counts.items()))}
                for account, counts in sorted(self.by_account.items())
            },
            "findings": self.findings.as_json() if self.findings else None,
        }


def summarize(items: Iterable[dict[str, Any]], period: Period) -> Summary:
    summary = Summary(period)
    for item in items:
        summary.add(item)
    return summary


def write_summary_json(summary: Summary, stream: TextIO) -> None:
    stream.write(json.dumps(summary.as_json(), indent=2) + "\n")


def write_summary_csv(summary: Summary, stream: TextIO, account: str | None = None) -> None:
    """account_id,outcome,count: one row per account and outcome that occurred; then, when the
    findings were read, one row per findings figure (`findings_opened`...; account_id is the
    --account asked for, or empty for all; a median or percentile with no value is empty)."""
    stream.write(UTF8_BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(("account_id", "outcome", "count"))
    for account_id, counts in sorted(summary.by_account.items()):
        for outcome, count in sorted(counts.items()):
            writer.writerow((account_id, outcome, count))
    if summary.findings is not None:
        for figure, value in summary.findings.as_json().items():
            writer.writerow((account or "", f"findings_{figure}", "" if value is None else value))


def print_summary(summary: Summary, console: Console) -> None:
    """Counts per outcome, then an account x outcome table."""
    console.print(f"[bold]Remediations[/], {summary.period.describe()} (UTC): {summary.total}")
    if summary.total:
        _print_outcomes(summary, console)
    if summary.findings is not None:
        print_findings_summary(summary.findings, console)


def print_findings_summary(findings: FindingsSummary, console: Console) -> None:
    """The findings opened in the period, and what became of them."""
    console.print(f"[bold]Findings[/] opened in the period: {findings.opened}")
    if not findings.opened:
        return
    figures = Table("", "", box=None, pad_edge=False, show_header=False)
    figures.add_row("resolved before the deadline", str(findings.resolved_before_deadline))
    figures.add_row("resolved in all", str(findings.resolved))
    figures.add_row(Text("overdue (open past the deadline)", "red"), str(findings.overdue))
    figures.add_row("enforced", str(findings.enforced))
    median, p90 = findings.median_days_to_resolve, findings.p90_days_to_resolve
    figures.add_row("days to resolve, median", "-" if median is None else f"{median:g}")
    figures.add_row("days to resolve, 90th percentile", "-" if p90 is None else str(p90))
    console.print(figures)


def _print_outcomes(summary: Summary, console: Console) -> None:
    outcomes = [o.value for o in RECORDED_OUTCOMES if summary.by_outcome.get(o.value)]
    per_outcome = Table("outcome", "count", box=None, pad_edge=False)
    for outcome in outcomes:
        style = outcome_style(outcome)
        per_outcome.add_row(Text(outcome, style), str(summary.by_outcome[outcome]))
    console.print(per_outcome)
    per_account = Table("account", *outcomes, "total", title="Per account", title_justify="left")
    for account, counts in sorted(summary.by_account.items()):
        per_account.add_row(account, *(str(counts.get(o, 0)) for o in outcomes), str(sum(counts.values())))
    console.print(per_account)
