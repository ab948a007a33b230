"""Which exemption protects which user, and when it stops."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lambdas.exemptions import Exemption, check_exemptions
from tests.factories import NOW

ARN = "arn:aws:iam::111122223333:user/vendors/acme-sync"


def exemption(user: str, expires_in_days: float = 30, reason: str = "vendor migration") -> Exemption:
    return Exemption(
        user=user,
        reason=reason,
        added_by="arn:aws:iam::111122223333:role/SecurityAdmin",
        added_at=NOW - timedelta(days=1),
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
    check = check_exemptions([exemption(pattern)], "acme-sync", ARN, NOW)
    assert check.exempt is applies
    assert check.expired is None


def test_an_expired_exemption_does_not_apply_but_is_reported() -> None:
    old = exemption("acme-sync", expires_in_days=-2, reason="migration window (ended)")
    check = check_exemptions([old], "acme-sync", ARN, NOW)
    assert not check.exempt
    assert check.expired == old


def test_an_exemption_ends_exactly_at_its_expiry() -> None:
    assert not check_exemptions([exemption("acme-sync", expires_in_days=0)], "acme-sync", ARN, NOW).exempt
    assert check_exemptions([exemption("acme-sync", expires_in_days=1 / 86400)], "acme-sync", ARN, NOW).exempt


def test_an_active_exemption_wins_over_an_expired_one_and_the_longest_applies() -> None:
    short, long_, expired = exemption("acme-*", 3), exemption("acme-sync", 60), exemption("*", -1)
    check = check_exemptions([expired, short, long_], "acme-sync", ARN, NOW)
    assert check.applied == long_
    assert check.expired is None


def test_no_exemptions() -> None:
    check = check_exemptions([], "bob", "arn:aws:iam::111122223333:user/bob", NOW)
    assert (check.applied, check.expired) == (None, None)
