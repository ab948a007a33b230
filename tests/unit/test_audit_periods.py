"""--since / --until: what an auditor types, and the exact bounds DynamoDB compares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.tables import audit_timestamp
from keywarden.audit.periods import Period, parse_period
from keywarden.cli_errors import InputError

NOW = datetime(2026, 11, 28, 12, 30, 15, 250_000, tzinfo=UTC)


def bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    return parse_period(since, until, NOW).bounds()


def test_dates_are_whole_utc_days_and_both_ends_are_included() -> None:
    """Given two dates, When read as a period,
    Then it runs from the first's start to the second's end, in UTC."""
    assert bounds("2026-09-01", "2026-09-30") == ("2026-09-01T00:00:00.000Z", "2026-09-30T23:59:59.999Z")


def test_the_same_date_twice_is_that_whole_day() -> None:
    """Given the same date as both ends, When read, Then the period is that whole day."""
    assert bounds("2026-09-01", "2026-09-01") == ("2026-09-01T00:00:00.000Z", "2026-09-01T23:59:59.999Z")


def test_durations_count_back_from_now() -> None:
    """Given durations (90d, 12h, 2W), When read, Then each end is that long before now."""
    assert bounds("90d", None) == ("2026-08-30T12:30:15.250Z", None)
    assert bounds("12h", "1h") == ("2026-11-28T00:30:15.250Z", "2026-11-28T11:30:15.250Z")
    assert bounds("2W", None) == ("2026-11-14T12:30:15.250Z", None)


def test_times_with_an_offset_are_converted_to_utc() -> None:
    """Given times with an offset or Z, When read, Then the bounds are the same instants in UTC."""
    assert bounds("2026-09-01T02:00:00+02:00", "2026-09-01T09:30:00-05:00") == (
        "2026-09-01T00:00:00.000Z",
        "2026-09-01T14:30:00.000Z",
    )
    assert bounds("2026-09-01T00:00:00Z", None)[0] == "2026-09-01T00:00:00.000Z"


def test_times_without_an_offset_are_utc() -> None:
    """Given times without an offset, When read, Then they are taken as UTC."""
    assert bounds("2026-09-01T08:15", "2026-09-01 09:00:00") == (
        "2026-09-01T08:15:00.000Z",
        "2026-09-01T09:00:00.000Z",
    )


def test_sub_millisecond_bounds_round_inwards() -> None:
    """Given bounds between two milliseconds, When turned into text bounds,
    Then they round into the period."""
    # recorded_at has whole milliseconds: .0005 must exclude .000 and include .001
    period = Period(
        since=datetime(2026, 9, 1, 0, 0, 0, 500, tzinfo=UTC),
        until=datetime(2026, 9, 1, 0, 0, 1, 999_999, tzinfo=UTC),
    )
    assert period.bounds() == ("2026-09-01T00:00:00.001Z", "2026-09-01T00:00:01.999Z")


def test_bounds_sort_like_recorded_at() -> None:
    """Given a September period, When its bounds are compared with recorded_at stamps as text,
    Then a stamp inside is between them and the stamps just outside are not."""
    since, until = bounds("2026-09-01", "2026-09-30")
    inside = audit_timestamp(datetime(2026, 9, 15, 8, 0, tzinfo=UTC))
    assert since is not None
    assert until is not None
    assert since <= inside <= until
    assert not since <= audit_timestamp(datetime(2026, 8, 31, 23, 59, 59, 999_000, tzinfo=UTC))
    assert not audit_timestamp(datetime(2026, 10, 1, tzinfo=UTC)) <= until


def test_a_missing_end_leaves_the_period_open() -> None:
    """Given no --since or no --until, When read, Then that end is open (all time, or until now)."""
    assert bounds(None, None) == (None, None)
    assert parse_period(None, None, NOW).describe() == "all time"
    assert parse_period("2026-09-01", None, NOW).describe() == "2026-09-01T00:00:00Z .. now"


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-13-01", None, "--since '2026-13-01' is not a valid date"),
        ("yesterday", None, "--since 'yesterday' is not a date, a time or a duration"),
        (None, "90 days", "--until '90 days' is not a date, a time or a duration"),
        ("3m", None, "--since '3m' is not a date, a time or a duration"),  # months or minutes? refused
        ("2026-02-30", None, "--since '2026-02-30' is not a valid date"),
        (
            "2026-10-01",
            "2026-09-01",
            "--since (2026-10-01T00:00:00Z) is after --until (2026-09-01T23:59:59Z)",
        ),
    ],
)
def test_bad_dates_are_refused_with_what_is_accepted(
    since: str | None, until: str | None, message: str
) -> None:
    """Given an invalid date, an unknown word or unit, or --since after --until, When read,
    Then an input error (exit 2) says why and, for a bad value, what is accepted."""
    with pytest.raises(InputError) as refused:
        parse_period(since, until, NOW)
    assert message in refused.value.message
    assert refused.value.exit_code == 2
    if "after" not in message:
        assert "a duration back from now (90d, 12h, 2w)" in refused.value.message
