"""Durations as `audit --since` and `exemptions add --expires` take them: 12h, 90d, 2w."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keywarden.durations import parse_duration
from keywarden.exemptions.store import ExemptionRefusedError, parse_expiry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "duration"),
    [("12h", timedelta(hours=12)), ("90d", timedelta(days=90)), (" 2W ", timedelta(weeks=2))],
)
def test_hours_days_and_weeks_in_any_case(text: str, duration: timedelta) -> None:
    """Given a count and a unit, When it is parsed, Then it is that long."""
    assert parse_duration(text, max_digits=6) == duration


@pytest.mark.parametrize("text", ["", "d", "12", "12m", "1.5d", "-3d", "3 d", "2026-12-31"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    """Given text that is no count-and-unit, When it is parsed, Then it is not a duration (a date may be)."""
    assert parse_duration(text, max_digits=6) is None


def test_a_longer_number_than_the_command_takes_is_not_a_duration() -> None:
    """Given five digits, When --expires (four at most) reads them, Then they are refused as no duration."""
    assert parse_duration("12345d", max_digits=6) == timedelta(days=12345)
    assert parse_duration("12345d", max_digits=4) is None
    with pytest.raises(ExemptionRefusedError, match="use a duration from now"):
        parse_expiry("12345d", NOW)
    assert parse_expiry("30d", NOW) == NOW + timedelta(days=30)
