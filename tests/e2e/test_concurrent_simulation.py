"""`simulate` runs every flagged user's event at its time, all at once, and reports what the run cost."""

from __future__ import annotations

import pytest

from keywarden.scenario import Scenario
from keywarden.simulation import SimulationReport, run_scenario

pytestmark = pytest.mark.e2e


def _scenario(**top: object) -> Scenario:
    users = [
        {
            "name": f"burst{n}",
            "tags": {"owner-email": f"burst{n}@example.com"},
            "keys": [{"created_days_ago": 120}],
        }
        for n in range(4)
    ]
    users[3]["event_at_seconds"] = 100
    users.append({"name": "fresh", "keys": [{"created_days_ago": 5}]})  # not flagged
    return Scenario.model_validate({"users": users, "automation": {"duration_seconds": 50}, **top})


def _times(report: SimulationReport) -> list[tuple[str, str, float | None]]:
    return [(u.name, u.outcome, u.execution.simulated_seconds if u.execution else None) for u in report.users]


def test_a_scenario_runs_concurrently_within_ssm_quota_and_the_same_way_every_time() -> None:
    """Given 3 users flagged at 0 s and one at 100 s, SSM running 2 automations at once (queue 1)
    When the scenario runs, twice
    Then the third automation waited Pending for a slot, nothing was refused or lost, and both runs
    give the same outcomes and the same simulated times."""
    scenario = _scenario(ssm={"concurrent_automations": 2, "queued_automations": 1})
    first, second = run_scenario(scenario), run_scenario(scenario)

    assert _times(first) == _times(second)
    run = first.run
    assert run is not None
    assert run == second.run
    assert [u.outcome for u in first.users] == ["REMEDIATED"] * 4 + ["COMPLIANT"]
    assert (run.events_published, run.executions_started, run.automations_started) == (4, 4, 4)
    assert (run.max_running_automations, run.max_pending_automations, run.start_attempts_refused) == (2, 1, 0)
    assert (run.lost_users, run.duplicate_automations, run.throttled_calls) == ([], [], {})
    # Two automations of 50 s, then the queued one from 50 s to 100 s; the late user's from 100 s.
    durations = {u.name: u.execution.simulated_seconds for u in first.users if u.execution}
    assert durations["burst0"] == durations["burst1"] < durations["burst2"]
    assert run.simulated_seconds == 100 + durations["burst3"]


def test_duplicate_deliveries_show_in_the_run_counters() -> None:
    """Given one user's event delivered twice
    When the scenario runs
    Then two executions started for it (what keywarden does with the second is not asserted here)."""
    scenario = Scenario.model_validate(
        {"users": [{"name": "twice", "keys": [{"created_days_ago": 120}], "duplicate_events": 2}]}
    )
    run = run_scenario(scenario).run
    assert run is not None
    assert (run.events_published, run.executions_started) == (1, 2)
    assert run.lost_users == []


def test_starts_refused_past_the_queue_are_retried_the_same_way_in_every_run() -> None:
    """Given 4 users flagged at one instant, SSM running 1 automation with 1 waiting, and keywarden
    allowed 4 slots (more than the account's quota: other automations may share it)
    When the scenario runs twice
    Then starts were refused (and retried by the workflow, with jitter), and both runs give the same
    outcomes, simulated times and counters."""
    scenario = _scenario(
        ssm={"concurrent_automations": 1, "queued_automations": 1}, max_concurrent_automations=4
    )
    first, second = run_scenario(scenario), run_scenario(scenario)
    assert first.run is not None
    assert first.run.start_attempts_refused > 0
    assert _times(first) == _times(second)
    assert first.run == second.run
