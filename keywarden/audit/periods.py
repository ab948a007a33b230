"""--since / --until: dates, dates and times, or durations back from now, as inclusive bounds.

Conventions (README, "keywarden audit"):
- both bounds are inclusive;
- a date alone is a UTC day: --since 2026-09-01 starts at 00:00:00.000, --until 2026-09-30
  ends at 23:59:59.999, so `--since 2026-09-01 --until 2026-09-30` is all of September;
- a date and time without an offset is UTC; one with an offset (+02:00, Z) is converted;
- a duration (90d, 12h, 2w) counts back from now.
Bounds become `audit_timestamp` strings (UTC, milliseconds), the format of `recorded_at`, so
DynamoDB compares them as text in a key condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.tables import audit_timestamp
from keywarden.cli_errors import InputError
from keywarden.durations import parse_duration

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACCEPTED = (
    "use a date (2026-09-01), a date and time (2026-09-01T09:30:00Z, UTC unless an offset is "
    "given) or a duration back from now (90d, 12h, 2w)"
)


@dataclass(frozen=True)
class Period:
    """Inclusive bounds; None is open-ended."""

    since: datetime | None = None
    until: datetime | None = None

    def bounds(self) -> tuple[str | None, str | None]:
        """The bounds as `recorded_at` strings. Whole milliseconds, rounded inwards, so that
        an item is inside exactly when its time is inside."""
        since = until = None
        if self.since is not None:
            spare = self.since.microsecond % 1000
            since = audit_timestamp(self.since + timedelta(microseconds=(1000 - spare) % 1000))
        if self.until is not None:
            until = audit_timestamp(self.until)  # audit_timestamp truncates: rounds down
        return since, until

    def describe(self) -> str:
        """For titles: `2026-09-01T00:00:00Z .. 2026-09-30T23:59:59Z`, `.. now`, `all time`."""
        if self.since is None and self.until is None:
            return "all time"
        since = _short(self.since) if self.since else "the beginning"
        until = _short(self.until) if self.until else "now"
        return f"{since} .. {until}"


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str, option: str, now: datetime, *, end_of_day: bool) -> datetime:
    """One bound. `end_of_day` makes a bare date mean its last millisecond (for --until)."""
    value = text.strip()
    duration = parse_duration(value, max_digits=6)
    if duration is not None:
        return now - duration
    if _DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as error:
            raise InputError(f"{option} {text!r} is not a valid date ({error}); {_ACCEPTED}") from error
        if end_of_day:
            return datetime.combine(day, time(23, 59, 59, 999_000), UTC)
        return datetime.combine(day, time(0, 0), UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise InputError(f"{option} {text!r} is not a date, a time or a duration: {_ACCEPTED}") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_period(since: str | None, until: str | None, now: datetime | None = None) -> Period:
    """Both options at once: refuses a period that ends before it starts."""
    moment = now or datetime.now(UTC)
    period = Period(
        since=parse_moment(since, "--since", moment, end_of_day=False) if since else None,
        until=parse_moment(until, "--until", moment, end_of_day=True) if until else None,
    )
    if period.since and period.until and period.since > period.until:
        raise InputError(
            f"--since ({_short(period.since)}) is after --until ({_short(period.until)}): nothing can match"
        )
    return period
