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
    assert bounds("2026-09-01", "2026-09-30") == ("2026-09-01T00:00:00.000Z", "2026-09-30T23:59:59.999Z")


def test_the_same_date_twice_is_that_whole_day() -> None:
    assert bounds("2026-09-01", "2026-09-01") == ("2026-09-01T00:00:00.000Z", "2026-09-01T23:59:59.999Z")


def test_durations_count_back_from_now() -> None:
    assert bounds("90d", None) == ("2026-08-30T12:30:15.250Z", None)
    assert bounds("12h", "1h") == ("2026-11-28T00:30:15.250Z", "2026-11-28T11:30:15.250Z")
    assert bounds("2W", None) == ("2026-11-14T12:30:15.250Z", None)


def test_times_with_an_offset_are_converted_to_utc() -> None:
    assert bounds("2026-09-01T02:00:00+02:00", "2026-09-01T09:30:00-05:00") == (
        "2026-09-01T00:00:00.000Z",
        "2026-09-01T14:30:00.000Z",
    )
    assert bounds("2026-09-01T00:00:00Z", None)[0] == "2026-09-01T00:00:00.000Z"


def test_times_without_an_offset_are_utc() -> None:
    assert bounds("2026-09-01T08:15", "2026-09-01 09:00:00") == (
        "2026-09-01T08:15:00.000Z",
        "2026-09-01T09:00:00.000Z",
    )


def test_sub_millisecond_bounds_round_inwards() -> None:
    # recorded_at has whole milliseconds: .0005 must exclude .000 and include .001
    period = Period(
        since=datetime(2026, 9, 1, 0, 0, 0, 500, tzinfo=UTC),
        until=datetime(2026, 9, 1, 0, 0, 1, 999_999, tzinfo=UTC),
    )
    assert period.bounds() == ("2026-09-01T00:00:00.001Z", "2026-09-01T00:00:01.999Z")


def test_bounds_sort_like_recorded_at() -> None:
    since, until = bounds("2026-09-01", "2026-09-30")
    inside = audit_timestamp(datetime(2026, 9, 15, 8, 0, tzinfo=UTC))
    assert since is not None
    assert until is not None
    assert since <= inside <= until
    assert not since <= audit_timestamp(datetime(2026, 8, 31, 23, 59, 59, 999_000, tzinfo=UTC))
    assert not audit_timestamp(datetime(2026, 10, 1, tzinfo=UTC)) <= until


def test_open_ends() -> None:
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
    with pytest.raises(InputError) as refused:
        parse_period(since, until, NOW)
    assert message in refused.value.message
    assert refused.value.exit_code == 2
    if "after" not in message:
        assert "a duration back from now (90d, 12h, 2w)" in refused.value.message
