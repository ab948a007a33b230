"""Which exemption protects which user, and when it stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.action_decision import decide_action
from domain.exemptions import (
    Exemption,
    ExemptionCheck,
    check_exemptions,
    exemption_from_item,
    exemption_to_item,
)
from domain.results import RemediationAction
from tests.factories import NOW

ARN = "arn:aws:iam::111122223333:user/vendors/acme-sync"


def exemption(
    user: str, expires_in_days: float = 30, reason: str = "vendor migration", added_days_ago: float = 1
) -> Exemption:
    return Exemption(
        user=user,
        reason=reason,
        added_by="arn:aws:iam::111122223333:role/SecurityAdmin",
        added_at=NOW - timedelta(days=added_days_ago),
        expires_at=NOW + timedelta(days=expires_in_days),
    )


@pytest.mark.parametrize(
    ("pattern", "applies"),
    [
        ("acme-sync", True),
        ("ACME-Sync", True),  # IAM user names are case-insensitive
        ("acme-*", True),
        ("acme-syn?", True),
        ("acme", False),
        ("*-sync-old", False),
        ("arn:aws:iam::111122223333:user/vendors/*", True),
        ("arn:aws:iam::111122223333:user/acme-sync", False),  # the path is part of the ARN
        ("arn:aws:iam::999999999999:user/vendors/acme-sync", False),
    ],
)
def test_patterns_match_names_and_arns(pattern: str, applies: bool) -> None:
    # Given an exemption for a name or ARN pattern, When acme-sync is checked
    check = check_exemptions([exemption(pattern)], "acme-sync", ARN, NOW, 90)

    # Then it applies exactly when the pattern matches the name or the whole ARN
    assert check.exempt is applies
    assert check.expired is None


def test_an_expired_exemption_does_not_apply_but_is_reported() -> None:
    # Given an exemption that expired two days ago, When acme-sync is checked
    old = exemption("acme-sync", expires_in_days=-2, reason="migration window (ended)")
    check = check_exemptions([old], "acme-sync", ARN, NOW, 90)

    # Then it does not apply, but is reported as expired
    assert not check.exempt
    assert check.expired == old


def test_an_exemption_ends_exactly_at_its_expiry() -> None:
    """Given exemptions expiring now and a second from now, When checked, Then the first no longer applies
    and the second does."""
    assert not check_exemptions([exemption("acme-sync", expires_in_days=0)], "acme-sync", ARN, NOW, 90).exempt
    assert check_exemptions(
        [exemption("acme-sync", expires_in_days=1 / 86400)], "acme-sync", ARN, NOW, 90
    ).exempt


def test_an_active_exemption_wins_over_an_expired_one_and_the_longest_applies() -> None:
    # Given an expired exemption and two active ones, of 3 and 60 days
    short, long_, expired = exemption("acme-*", 3), exemption("acme-sync", 60), exemption("*", -1)

    # When acme-sync is checked
    check = check_exemptions([expired, short, long_], "acme-sync", ARN, NOW, 90)

    # Then the longest active one applies, and nothing is reported expired
    assert check.applied == long_
    assert check.expired is None


def test_without_exemptions_none_applies_and_none_expired() -> None:
    # Given no exemptions, When bob is checked
    check = check_exemptions([], "bob", "arn:aws:iam::111122223333:user/bob", NOW, 90)

    # Then none applies and none expired
    assert (check.applied, check.expired) == (None, None)


def test_an_exemption_granted_for_longer_than_allowed_never_applies() -> None:
    # Given 120 days granted around the CLI's check (e.g. straight into the table), 90 allowed
    sneaky = exemption("acme-sync", expires_in_days=119, added_days_ago=1)

    # When it is checked
    check = check_exemptions([sneaky], "acme-sync", ARN, NOW, 90)

    # Then it does not apply and is reported too long; with 120 allowed it would
    assert not check.exempt
    assert check.too_long == sneaky
    assert check_exemptions([sneaky], "acme-sync", ARN, NOW, 120).exempt


class TestDecision:
    def test_an_applied_exemption_wins_over_dry_run(self) -> None:
        # Given an exemption that applies, in a dry run
        applied = exemption("acme-*", 10)

        # When the action is decided
        decision = decide_action(ExemptionCheck(applied=applied), dry_run=True, max_days=90)

        # Then the user is exempt, and the reason gives the exemption's reason and end
        assert decision.action is RemediationAction.EXEMPT
        assert decision.exemption == applied
        assert "vendor migration" in decision.reason
        assert f"exempt until {applied.expires_at:%Y-%m-%d}" in decision.reason

    def test_a_dry_run_without_an_exemption_is_a_dry_run(self) -> None:
        # Given a dry run and no exemption, When the action is decided
        decision = decide_action(ExemptionCheck(), dry_run=True, max_days=90)

        # Then it is a dry run with no notes
        assert decision.action is RemediationAction.DRY_RUN
        assert decision.notes == ()

    def test_expired_and_too_long_exemptions_are_noted(self) -> None:
        # Given an expired and a too-long exemption, in a real run
        expired, too_long = exemption("acme-sync", -3), exemption("acme-*", 200)

        # When the action is decided
        decision = decide_action(
            ExemptionCheck(expired=expired, too_long=too_long), dry_run=False, max_days=90
        )

        # Then the user is remediated, and both exemptions are noted with why they did not apply
        assert decision.action is RemediationAction.REMEDIATE
        assert decision.expired_exemption == expired
        assert decision.refused_exemption == too_long
        assert any("expired on" in note and "no longer applies" in note for note in decision.notes)
        assert any("longer than the allowed 90 days" in note for note in decision.notes)


def test_an_exemption_reads_back_from_its_table_item_as_it_was() -> None:
    # Given an exemption for an ARN pattern
    original = exemption("arn:aws:iam::111122223333:user/vendors/*")

    # When it is written as a table item and read back
    item = exemption_to_item(original)

    # Then the item holds the pattern and reads back as the same exemption
    assert item["user"] == "arn:aws:iam::111122223333:user/vendors/*"
    assert exemption_from_item(item) == original


def test_a_malformed_item_is_an_error_not_ignored() -> None:
    # Given an item with unreadable dates and no reason, When it is read, Then it is an error, not skipped
    with pytest.raises(ValidationError):
        exemption_from_item(
            {"user": "acme-sync", "reason": "", "added_by": "x", "added_at": "?", "expires_at": "?"}
        )
