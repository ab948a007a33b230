"""A burst, scaled down: 120 flagged users at once against a quota of 4 running / 8 queued
automations (ten times the places SSM has, as 5,000 users are to the default 100 / 1,000; and 30
waves, as 300 users at 10 / 20, for a third of that run's cost), and duplicate and simultaneous
events, through the real workflow in the sandbox (executions concurrent on one virtual clock)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from keywarden.scenario import KeySpec, Scenario, SsmSpec, UserSpec
from keywarden.simulation import SimulationReport, run_scenario

pytestmark = pytest.mark.e2e

USERS = 120
QUOTA = SsmSpec(concurrent_automations=4, queued_automations=8)


def _stale(name: str, **spec: object) -> UserSpec:
    return UserSpec(name=name, keys=[KeySpec(created_days_ago=120)], **spec)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def burst() -> SimulationReport:
    return run_scenario(Scenario(ssm=QUOTA, users=[_stale(f"b{n:03d}") for n in range(USERS)]))


def test_a_burst_of_120_at_a_quota_of_4_loses_nobody_and_remediates_everyone_once(
    burst: SimulationReport,
) -> None:
    """Given 120 users flagged at the same instant and SSM allowing 4 running automations
    When their events all arrive at once
    Then every user is REMEDIATED, nobody is lost, nobody got two automations, and SSM never ran
    more than its quota (keywarden's slots held the rest back, so no start was refused)."""
    assert Counter(user.outcome for user in burst.users) == {"REMEDIATED": USERS}
    assert burst.run is not None
    assert burst.run.lost_users == []
    assert burst.run.duplicate_automations == []
    assert burst.run.automations_started == USERS
    assert burst.run.max_running_automations <= QUOTA.concurrent_automations
    assert burst.run.start_attempts_refused == 0
    assert all(keys == {"Inactive"} for keys in (set(u.keys_in_iam.values()) for u in burst.users))


def test_the_burst_takes_at_least_the_physical_bound(burst: SimulationReport) -> None:
    """ceil(N / Q) x T is the least time 120 runbooks of 30 s take 4 at a time: a run faster than
    that would mean the quota was not applied."""
    assert burst.run is not None
    assert burst.run.simulated_seconds >= math.ceil(USERS / QUOTA.concurrent_automations) * 30


def test_duplicate_and_simultaneous_events_start_one_automation_per_user() -> None:
    """Given three users whose one event EventBridge delivers twice at the same instant, and three
    users delivered three times, among others delivered once
    When they all arrive together
    Then each user gets exactly one automation and one REMEDIATED record; every other delivery is
    recorded as ALREADY_IN_PROGRESS (the first still runs) or REPLAYED, never remediated again."""
    users = [
        *[_stale(f"twice{n}", duplicate_events=2) for n in range(3)],
        *[_stale(f"thrice{n}", duplicate_events=3) for n in range(3)],
        *[_stale(f"once{n}") for n in range(4)],
    ]
    report = run_scenario(Scenario(ssm=QUOTA, users=users))
    assert report.run is not None
    assert report.run.duplicate_automations == []
    assert report.run.automations_per_user == {user.name: 1 for user in users}
    assert report.run.lost_users == []
    assert {user.name: user.outcome for user in report.users} == {user.name: "REMEDIATED" for user in users}
    assert report.run.executions_started == 3 * 2 + 3 * 3 + 4
