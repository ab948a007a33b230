"""How the terminal colours keywarden's results: one table per vocabulary, every member in it.

The simulation report and `keywarden audit history` both read these tables. A new member of
KeyResult, PasswordResult or RemediationOutcome needs its line here
(tests/unit/test_result_tables.py fails otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, TypeVar

from domain.results import KeyResult, PasswordResult, RemediationOutcome

OUTCOME_STYLES: Final[Mapping[RemediationOutcome, str]] = {
    RemediationOutcome.REMEDIATED: "green",
    RemediationOutcome.KEYS_LEFT_ACTIVE: "yellow",
    RemediationOutcome.NO_CHANGE: "cyan",
    RemediationOutcome.COMPLIANT: "cyan",
    RemediationOutcome.USER_NOT_FOUND: "magenta",
    RemediationOutcome.FAILED: "bold red",
    RemediationOutcome.TIMED_OUT: "red",
    RemediationOutcome.REJECTED: "red",
    # Nothing was changed, on purpose: neither a success nor a failure.
    RemediationOutcome.DRY_RUN: "blue",
    RemediationOutcome.EXEMPT: "bright_blue",
    # Waiting for SSM's quota: nothing changed yet, the sweep retries; not a failure, not done.
    RemediationOutcome.DEFERRED: "bright_yellow",
    # Another execution does (or did) the work: these records only say that an event arrived.
    RemediationOutcome.ALREADY_IN_PROGRESS: "dim",
    RemediationOutcome.REPLAYED: "dim cyan",
}

KEY_RESULT_STYLES: Final[Mapping[KeyResult, str]] = {
    KeyResult.DEACTIVATED: "green",
    KeyResult.SKIPPED_RECENTLY_USED: "yellow",
    KeyResult.ALREADY_INACTIVE: "dim",
    KeyResult.COMPLIANT: "",
    KeyResult.NOT_REVOKED: "red",
    KeyResult.DELETED: "magenta",
}

PASSWORD_RESULT_STYLES: Final[Mapping[PasswordResult, str]] = {
    PasswordResult.NO_PASSWORD: "",
    PasswordResult.DELETED: "green",
    PasswordResult.KEPT_RECENTLY_USED: "yellow",
    PasswordResult.NOT_REVOKED: "red",
}

UNKNOWN_STYLE: Final = "red"
"""A value outside the vocabulary (a record written by another version, NOT_RECORDED)."""

V = TypeVar("V", bound=StrEnum)


def style_of(table: Mapping[V, str], value: str) -> str:
    """The style of a recorded value (a string, as items and reports hold it)."""
    for member, style in table.items():
        if member.value == value:
            return style
    return UNKNOWN_STYLE


def outcome_style(value: str) -> str:
    return style_of(OUTCOME_STYLES, value)


def key_result_style(value: str) -> str:
    return style_of(KEY_RESULT_STYLES, value)


def password_result_style(value: str) -> str:
    return style_of(PASSWORD_RESULT_STYLES, value)
