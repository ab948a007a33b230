"""The workflow's per-key verdicts agree with the runbook's published rule, across its boundaries.

The expected result below is written from the rule itself (days since last use, or since
creation when never used, compared with MaxCredentialUsageAge; key age compared with
maxAccessKeyAge), not computed with keywarden's code.
"""

from __future__ import annotations

import itertools

import pytest

from keywarden.scenario import KeySpec, Scenario, UserSpec
from keywarden.simulation import run_scenario

pytestmark = pytest.mark.e2e

AGES = [89, 90, 91, 200]
LAST_USED = [None, 0, 59, 60, 61, 89, 90, 91]


def expected(created: int, last_used: int | None, key_age: int, usage_age: int) -> str:
    unused_for = created if last_used is None else last_used
    if unused_for >= usage_age:
        return "DEACTIVATED"
    return "SKIPPED_RECENTLY_USED" if created >= key_age else "COMPLIANT"


@pytest.mark.parametrize(("key_age", "usage_age"), [(90, 90), (90, 60)])
def test_every_combination_around_the_thresholds(key_age: int, usage_age: int) -> None:
    # Given a user for every key age and last use around the thresholds
    cases = [(c, u) for c, u in itertools.product(AGES, LAST_USED) if u is None or u <= c]
    # And a second, young key per user (IAM's limit is two): Config flags the user only through the
    # first, and the young key's own verdict is checked too
    users = [
        UserSpec(
            name=f"user{i}",
            keys=[
                KeySpec(id=f"AKIACASE{i:04d}00000001", created_days_ago=created, last_used_days_ago=used),
                KeySpec(id=f"AKIACASE{i:04d}00000002", created_days_ago=10, last_used_days_ago=1),
            ],
        )
        for i, (created, used) in enumerate(cases)
    ]

    # When the scenario runs in the sandbox
    report = run_scenario(
        Scenario(max_access_key_age=key_age, max_credential_usage_age=usage_age, users=users)
    )

    # Then each stale key gets the verdict the runbook's rule predicts, the young key stays COMPLIANT,
    # and a user with no stale key is COMPLIANT
    for (created, last_used), user in zip(cases, report.users, strict=True):
        results = {k.access_key_id[-1]: k.result for k in user.keys}
        if created >= key_age:
            assert results == {"1": expected(created, last_used, key_age, usage_age), "2": "COMPLIANT"}, (
                created,
                last_used,
                user.reason,
            )
        else:
            assert user.outcome == "COMPLIANT", (created, last_used)
