"""`audit summary`'s findings figures: plain functions of the findings' dates (no AWS)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.findings import Finding, FindingStatus, Resolution, is_overdue
from keywarden.audit.findings_summary import nearest_rank, overdue_on, period_days, summarize_findings
from keywarden.audit.periods import Period

TODAY = date(2026, 12, 2)
NOVEMBER = Period(since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))


def finding(key: str, opened: date, **changes: Any) -> Finding:
    """A finding whose first notice is the day it opened, with a 14-day grace period."""
    fields: dict[str, Any] = {
        "access_key_id": key,
        "user_id": "AIDAAAAAAAAAAAAAAAAA1",
        "user_name": "bob",
        "account_id": "111122223333",
        "opened_on": opened,
        "first_notice_on": opened,
        "deadline": opened + timedelta(days=14),
    }
    return Finding(**(fields | changes))


def closed(
    key: str, opened: date, after_days: int, status: FindingStatus = FindingStatus.RESOLVED
) -> Finding:
    return finding(
        key,
        opened,
        status=status,
        closed_on=opened + timedelta(days=after_days),
        resolution=Resolution.DELETED if status is FindingStatus.RESOLVED else None,
        enforced_on=opened + timedelta(days=after_days) if status is FindingStatus.ENFORCED else None,
    )


def test_the_figures_count_the_findings_opened_in_the_period() -> None:
    # Given findings opened in November (and one in October, one in December)
    findings = [
        closed("AKIA0000000000000001", date(2026, 11, 2), 3),  # resolved before its deadline
        closed("AKIA0000000000000002", date(2026, 11, 3), 14),  # resolved on its deadline day: late
        closed("AKIA0000000000000003", date(2026, 11, 4), 20),  # resolved after it
        closed("AKIA0000000000000004", date(2026, 11, 5), 21, FindingStatus.ENFORCED),
        finding("AKIA0000000000000005", date(2026, 11, 6)),  # open, deadline Nov 20: overdue
        finding("AKIA0000000000000006", date(2026, 11, 20)),  # open, deadline Dec 4: not yet
        closed("AKIA0000000000000007", date(2026, 11, 7), 0, FindingStatus.EXEMPT),
        closed("AKIA0000000000000008", date(2026, 10, 31), 1),  # opened before the period
        finding("AKIA0000000000000009", date(2026, 12, 1)),  # opened after it
    ]
    # When they are summarized for November
    summary = summarize_findings(findings, NOVEMBER, TODAY)
    # Then the seven opened in November are counted; on November 30 only the 5th was open past
    # its deadline (the 2nd and 3rd were late but resolved by then); days to resolve: 3, 14, 20
    assert summary.as_json() == {
        "opened": 7,
        "resolved": 3,
        "resolved_before_deadline": 1,
        "overdue": 1,
        "enforced": 1,
        "median_days_to_resolve": 14.0,
        "p90_days_to_resolve": 20,
    }


def test_overdue_is_judged_on_the_periods_last_day() -> None:
    # Given a finding whose deadline passed in November and that closed on December 1
    late = closed("AKIA0000000000000001", date(2026, 11, 2), 29)
    # Then it was overdue on November 30, and is not overdue today
    assert overdue_on(late, date(2026, 11, 30))
    assert not overdue_on(late, TODAY)
    assert summarize_findings([late], NOVEMBER, TODAY).overdue == 1
    assert summarize_findings([late], Period(since=NOVEMBER.since), TODAY).overdue == 0


def test_overdue_on_today_is_the_lifecycles_own_rule() -> None:
    # Given open findings whose deadlines are yesterday, today and tomorrow, and a closed one
    findings = [
        finding("AKIA0000000000000001", TODAY - timedelta(days=15)),
        finding("AKIA0000000000000002", TODAY - timedelta(days=14)),
        finding("AKIA0000000000000003", TODAY - timedelta(days=13)),
        closed("AKIA0000000000000004", TODAY - timedelta(days=30), 20),
    ]
    # Then overdue_on(today) says what domain/findings.py is_overdue says: on the deadline day, overdue
    assert [overdue_on(f, TODAY) for f in findings] == [is_overdue(f, TODAY) for f in findings]
    assert [overdue_on(f, TODAY) for f in findings] == [True, True, False, False]


@pytest.mark.parametrize(
    ("values", "p90"),
    [([], None), ([5], 5), ([1, 2], 2), (list(range(1, 11)), 9), (list(range(1, 12)), 10), ([7, 1, 3], 7)],
)
def test_the_90th_percentile_is_the_nearest_rank(values: list[int], p90: int | None) -> None:
    assert nearest_rank(values, 90) == p90


def test_no_resolved_finding_has_no_median() -> None:
    summary = summarize_findings([finding("AKIA0000000000000001", date(2026, 11, 2))], NOVEMBER, TODAY)
    assert (summary.resolved, summary.median_days_to_resolve, summary.p90_days_to_resolve) == (0, None, None)


def test_an_even_count_has_the_mean_of_the_middle_two_as_median() -> None:
    findings = [
        closed("AKIA0000000000000001", date(2026, 11, 2), 2),
        closed("AKIA0000000000000002", date(2026, 11, 2), 5),
    ]
    assert summarize_findings(findings, NOVEMBER, TODAY).median_days_to_resolve == 3.5


def test_the_period_in_days_never_ends_after_today() -> None:
    assert period_days(Period(), TODAY) == (None, TODAY)
    assert period_days(Period(until=datetime(2027, 1, 1, tzinfo=UTC)), TODAY) == (None, TODAY)
    assert period_days(NOVEMBER, TODAY) == (date(2026, 11, 1), date(2026, 11, 30))
