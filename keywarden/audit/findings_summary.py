"""`audit summary`'s findings: were stale keys rotated before their deadline, and what became of the rest?

The findings counted are those opened in the period (a finding is in it when the day it opened
is: findings are kept by day). Of those:
- resolved before the deadline: RESOLVED, closed before the deadline day (domain/findings.py:
  the owner rotates *before* the deadline);
- overdue: open on the period's last day (today when the period is open-ended) with the deadline
  on or before it, as domain/findings.py `is_overdue` says, computed from the finding's own dates so
  that a finding closed after the period still counts as overdue in it;
- enforced: ENFORCED;
- days to resolve: a RESOLVED finding's days from first notice to close; the median, and the
  90th percentile by the nearest-rank method (the smallest value with at least 90% at or below it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.findings import Finding, FindingStatus
from keywarden.audit.periods import Period


def period_days(period: Period, today: date) -> tuple[date | None, date]:
    """The period as days: its first day (None: open) and its last (never after today)."""
    first = period.since.date() if period.since else None
    last = min(period.until.date(), today) if period.until else today
    return first, last


def overdue_on(finding: Finding, day: date) -> bool:
    """Open on `day`, with the deadline on or before it."""
    opened = finding.opened_on <= day
    still_open = finding.closed_on is None or finding.closed_on > day
    return opened and still_open and finding.deadline <= day


def nearest_rank(values: Sequence[int], percentile: float) -> int | None:
    """The nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percentile / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class FindingsSummary:
    opened: int
    resolved_before_deadline: int
    overdue: int
    enforced: int
    resolved: int
    median_days_to_resolve: float | None
    p90_days_to_resolve: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "resolved": self.resolved,
            "resolved_before_deadline": self.resolved_before_deadline,
            "overdue": self.overdue,
            "enforced": self.enforced,
            "median_days_to_resolve": self.median_days_to_resolve,
            "p90_days_to_resolve": self.p90_days_to_resolve,
        }


def summarize_findings(findings: Iterable[Finding], period: Period, today: date) -> FindingsSummary:
    """The figures above, for the findings opened in `period`."""
    first, last = period_days(period, today)
    cohort = [f for f in findings if (first is None or f.opened_on >= first) and f.opened_on <= last]
    resolved = [f for f in cohort if f.status is FindingStatus.RESOLVED and f.closed_on is not None]
    days = [f.days_to_close for f in resolved if f.days_to_close is not None]
    return FindingsSummary(
        opened=len(cohort),
        resolved_before_deadline=sum(1 for f in resolved if f.closed_on and f.closed_on < f.deadline),
        overdue=sum(1 for f in cohort if overdue_on(f, last)),
        enforced=sum(1 for f in cohort if f.status is FindingStatus.ENFORCED),
        resolved=len(resolved),
        median_days_to_resolve=float(statistics.median(days)) if days else None,
        p90_days_to_resolve=nearest_rank(days, 90),
    )
