"""Every result has its line in each table: its owner wording and severity, its terminal style.

A new member of KeyResult, PasswordResult or RemediationOutcome fails here until it is given
one line per table (and with it a decision: are owners told, how urgent, which colour).
"""

from __future__ import annotations

from enum import StrEnum

import pytest
from rich.color import Color
from rich.style import Style

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyStatus
from domain.notification_facts import NOTIFIED_KEY_RESULTS, needs_owner_notification
from domain.results import KeyResult, PasswordResult, RemediationOutcome, Severity
from keywarden.result_styles import (
    KEY_RESULT_STYLES,
    OUTCOME_STYLES,
    PASSWORD_RESULT_STYLES,
    UNKNOWN_STYLE,
    key_result_style,
    outcome_style,
)
from notifications.wording import (
    KEY_RESULT_WORDING,
    PASSWORD_RESULT_WORDING,
    SEVERITY_RANK,
    NotWordedError,
    key_statement,
    notification_severity,
    owner_subject,
)
from tests.factories import NOW, key, notification_facts

TABLES: list[tuple[type[StrEnum], object]] = [
    (KeyResult, KEY_RESULT_WORDING),
    (PasswordResult, PASSWORD_RESULT_WORDING),
    (KeyResult, KEY_RESULT_STYLES),
    (PasswordResult, PASSWORD_RESULT_STYLES),
    (RemediationOutcome, OUTCOME_STYLES),
    (Severity, SEVERITY_RANK),
]


@pytest.mark.parametrize(("vocabulary", "table"), TABLES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_member_has_exactly_one_entry(vocabulary: type[StrEnum], table: dict[StrEnum, object]) -> None:
    """Given a vocabulary and its table, When the table is read, Then every member has exactly one entry (a
    new member fails here)."""
    assert set(table) == set(vocabulary)


def test_owners_are_worded_exactly_the_results_they_are_told_about() -> None:
    # Given the key results with an owner wording and the ones owners are told about
    worded = {result for result, wording in KEY_RESULT_WORDING.items() if wording is not None}

    # When they are compared, Then they are the same set, and likewise for password results
    assert worded == NOTIFIED_KEY_RESULTS
    told = {p for p in PasswordResult if needs_owner_notification((), p)}
    assert {p for p, wording in PASSWORD_RESULT_WORDING.items() if wording is not None} == told


def test_a_result_owners_are_not_told_about_is_never_worded_as_another() -> None:
    # Given a key the runbook should have revoked and did not (the operators' business)
    stale = key("AKIAIOSFODNN7EXAMPLE", created_days_ago=200)
    outcome = classify_key(stale, stale, CredentialPolicy(90, 90), NOW, NOW)
    assert outcome.result is KeyResult.NOT_REVOKED

    # When it is worded for its owner
    # Then no owner wording falls through to DEACTIVATED's
    with pytest.raises(NotWordedError, match="NOT_REVOKED"):
        key_statement(outcome, notification_facts((outcome,)))


def test_the_most_urgent_result_sets_severity_and_subject() -> None:
    # Given one key left active though used, one revoked, and a deleted password
    used = key("AKIAIOSFODNN7EXAMPL1", created_days_ago=120, last_used_days_ago=0)
    unused = key("AKIAIOSFODNN7EXAMPL2", created_days_ago=200)
    policy = CredentialPolicy(90, 90)
    left_active = classify_key(used, used, policy, NOW, NOW)
    revoked = classify_key(unused, unused.model_copy(update={"status": KeyStatus.INACTIVE}), policy, NOW, NOW)

    # When the owners' message is composed
    facts = notification_facts((revoked, left_active), password=PasswordResult.DELETED)

    # Then the key left active makes it HIGH and names it first; without it MEDIUM; with only a password LOW
    assert notification_severity(facts) is Severity.HIGH
    assert owner_subject(facts).startswith(
        "[keywarden] Action needed: rotate access key AKIAIOSFODNN7EXAMPL1"
    )
    assert notification_severity(notification_facts((revoked,), password=PasswordResult.DELETED)) is (
        Severity.MEDIUM
    )
    assert notification_severity(notification_facts((), password=PasswordResult.DELETED)) is Severity.LOW


@pytest.mark.parametrize("table", [KEY_RESULT_STYLES, PASSWORD_RESULT_STYLES, OUTCOME_STYLES])
def test_every_style_is_one_rich_can_print(table: dict[StrEnum, str]) -> None:
    """Given a table of styles, When each is parsed, Then rich can print it."""
    for style in table.values():
        Style.parse(style)


def test_nothing_changed_on_purpose_is_not_coloured_as_a_failure() -> None:
    # Given FAILED's colour
    failure = Style.parse(outcome_style("FAILED")).color

    # When DRY_RUN's and EXEMPT's colours are read, Then neither is FAILED's nor red
    for outcome in (RemediationOutcome.DRY_RUN, RemediationOutcome.EXEMPT):
        assert Style.parse(OUTCOME_STYLES[outcome]).color not in (failure, Color.parse("red"))


def test_a_value_outside_the_vocabulary_is_flagged() -> None:
    """Given a value outside the outcome vocabulary, When styled, Then it gets the unknown style, while a
    known one keeps its own."""
    assert outcome_style("NOT_RECORDED") == UNKNOWN_STYLE
    assert key_result_style("SKIPPED_RECENTLY_USED") == "yellow"
