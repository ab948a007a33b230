"""Durations as the command line takes them: a whole number of hours, days or weeks (12h, 90d, 2w)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str, *, max_digits: int) -> timedelta | None:
    """`12h`, `90d`, `2w` (any case, a number of at most `max_digits` digits); None for anything else."""
    duration = re.fullmatch(rf"(\d{{1,{max_digits}}})([hdw])", text.strip(), re.IGNORECASE)
    if duration is None:
        return None
    return int(duration.group(1)) * _UNITS[duration.group(2).lower()]
