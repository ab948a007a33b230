"""A scenario's days in the sandbox: the clock, the owners' key changes, Config's events, the switches.

What the sweep does with them is tests/e2e/test_lifecycle.py's subject; these show the days
themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from keywarden.sandbox import Sandbox
from keywarden.sandbox.scenario_days import day_moment, sweep_time_of_day
from keywarden.scenario import ScenarioError, parse_scenario
from keywarden.simulation import SimulationReport, run_scenario_in, scenario_settings

pytestmark = pytest.mark.e2e


def scenario(**fields: Any) -> Any:
    return parse_scenario(json.dumps(fields), "scenario.json")


def user(report: SimulationReport, name: str) -> Any:
    return next(u for u in report.users if u.name == name)


def test_each_day_runs_at_the_sweeps_time_of_day() -> None:
    # Given the default sweepSchedule, When day 3 of a run started on 2 December comes
    at = sweep_time_of_day(scenario_settings(scenario(users=[{"name": "a"}])).sweep_schedule)
    # Then it is 5 December, 06:00 UTC
    assert day_moment(datetime(2026, 12, 2, 13, 30, tzinfo=UTC).date(), 3, at) == datetime(
        2026, 12, 5, 6, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="daily sweepSchedule"):
        sweep_time_of_day("rate(1 day)")


@pytest.fixture(scope="class")
def run() -> Iterator[tuple[Sandbox, SimulationReport]]:
    """Given a 3-day scenario: a key rotated on day 2, one deactivated on day 1, one in use, one that
    turns 90 days old on day 2, a user whose events are lost."""
    chosen = scenario(
            days=3,
            users=[
                {"name": "rotates", "keys": [{"id": "AKIAROTATES000000001", "created_days_ago": 30,
                                              "last_used_days_ago": 0, "rotated_on_day": 2}]},
                {"name": "parks", "keys": [{"id": "AKIAPARKS00000000001", "created_days_ago": 30,
                                            "deactivated_on_day": 1}]},
                {"name": "uses", "keys": [{"id": "AKIAUSES000000000001", "created_days_ago": 30,
                                           "last_used_days_ago": 5}]},
                {"name": "ages", "keys": [{"id": "AKIAAGES000000000001", "created_days_ago": 89,
                                           "last_used_days_ago": 1}]},
                {"name": "ages-lost", "event_lost": True, "keys": [{"id": "AKIAAGESLOST00000001",
                                                                     "created_days_ago": 89}]},
                {"name": "lost", "event_lost": True, "keys": [{"id": "AKIALOST000000000001",
                                                                "created_days_ago": 100}]},
            ],
    )  # fmt: skip
    with Sandbox(scenario_settings(chosen)) as sandbox:
        yield sandbox, run_scenario_in(sandbox, chosen)


@pytest.fixture(scope="class")
def three_days(run: tuple[Sandbox, SimulationReport]) -> SimulationReport:
    return run[1]


class TestThreeDays:
    """One sandbox for the 3-day run (two sandboxes at once collide in moto): gone before the next."""

    def test_owners_change_their_keys_on_their_day(self, three_days: SimulationReport) -> None:
        # Then the rotated key is gone, replaced by a new Active one; the deactivated key is Inactive
        rotated = user(three_days, "rotates").keys_in_iam
        assert "AKIAROTATES000000001" not in rotated
        assert list(rotated.values()) == ["Active"]
        assert user(three_days, "parks").keys_in_iam == {"AKIAPARKS00000000001": "Inactive"}

    def test_a_key_turning_stale_on_a_later_day_gets_configs_event_that_day(
        self, three_days: SimulationReport
    ) -> None:
        # Then the key 89 days old on day 0 is 90 days old at day 2's 06:00 (not yet at day 1's):
        # Config's event that day started its remediation, which left the key in use Active
        ages = user(three_days, "ages")
        assert [(r.day, r.outcome) for r in ages.remediations] == [(2, "KEYS_LEFT_ACTIVE")]
        assert [(n.day, n.kind) for n in three_days.notifications if n.attributes["user_name"] == "ages"] == [
            (2, "FIRST_NOTICE")
        ]

    def test_a_key_in_use_stays_fresh(self, run: tuple[Sandbox, SimulationReport]) -> None:
        # Then a key last used 5 days before day 0 was last used at day 3's sweep time
        sandbox, report = run
        last_used = sandbox.client("iam").get_access_key_last_used(AccessKeyId="AKIAUSES000000000001")
        day_zero = sandbox.clock.now().date()  # the clock is back at day 0's end
        assert last_used["AccessKeyLastUsed"]["LastUsedDate"] == day_moment(
            day_zero, 3, sweep_time_of_day(sandbox.settings.sweep_schedule)
        )
        assert user(report, "uses").outcome == "COMPLIANT"

    def test_a_key_turning_stale_with_its_event_lost_is_found_by_that_days_sweep(
        self, three_days: SimulationReport
    ) -> None:
        # Then Config's event of day 2 never arrived, and day 2's sweep (after Config's evaluation)
        # re-drove the user: the runbook deactivated its unused key
        aged = user(three_days, "ages-lost")
        assert [(r.day, r.outcome) for r in aged.remediations] == [(2, "REMEDIATED")]
        assert aged.outcome == "REMEDIATED"
        assert aged.keys_in_iam == {"AKIAAGESLOST00000001": "Inactive"}

    def test_a_lost_event_is_never_delivered(self, three_days: SimulationReport) -> None:
        # Then the user Config flags but whose events are lost was never remediated by an event
        lost = user(three_days, "lost")
        assert [
            r for r in lost.remediations if r.execution_arn and "noncompliant-user" in r.execution_arn
        ] == []
        assert three_days.run is not None
        assert three_days.run.events_published == 1  # ages's, on day 2


def test_fail_first_runs_fails_only_the_first_runs() -> None:
    # Given a user whose first runbook run fails, When Config's event comes twice (day 0, and a
    # direct second start), Then the first run is FAILED and the second REMEDIATED
    with Sandbox() as sandbox:
        report = run_scenario_in(
            sandbox,
            scenario(users=[{"name": "flaky", "automation": {"fail_first_runs": 1},
                             "keys": [{"id": "AKIAFLAKY00000000001", "created_days_ago": 100}]}]),
        )  # fmt: skip
        assert user(report, "flaky").outcome == "FAILED"
        assert user(report, "flaky").keys_in_iam == {"AKIAFLAKY00000000001": "Active"}
        sandbox.publish(sandbox.compliance_change(user(report, "flaky").user_id))
        assert sandbox.access_keys("flaky") == {"AKIAFLAKY00000000001": "Inactive"}


def test_dry_run_until_day_redeploys_the_functions_and_is_undone_after() -> None:
    # Given a sandbox deployed in dry-run mode, When a scenario switches enforcement on on day 1
    chosen = scenario(days=1, dry_run_until_day=1, users=[{"name": "a"}])
    with Sandbox(scenario_settings(chosen)) as sandbox:
        lambda_client = sandbox.client("lambda")

        def dry_run_values() -> set[str]:
            """DRY_RUN of every function that reads it (Prepare and the sweep's two)."""
            arns = [*sandbox.stack.function_arns.values(), *sandbox.stack.sweep_function_arns.values()]
            variables = [
                lambda_client.get_function_configuration(FunctionName=arn)["Environment"]["Variables"]
                for arn in arns
            ]
            assert sum("DRY_RUN" in v for v in variables) == 3
            return {v["DRY_RUN"] for v in variables if "DRY_RUN" in v}

        assert dry_run_values() == {"true"}
        switched: list[set[str]] = []
        real_sweep = sandbox.run_sweep

        swept_at: list[datetime] = []

        def sweep_seeing_the_switch() -> str:
            switched.append(dry_run_values())
            swept_at.append(sandbox.clock.now())
            return real_sweep()

        sandbox.run_sweep = sweep_seeing_the_switch  # type: ignore[method-assign]
        started = sandbox.clock.now()
        run_scenario_in(sandbox, chosen)
        # Then every function read dryRun false when day 1's sweep ran, and the deployment is as before
        assert switched == [{"false"}]
        assert swept_at == [day_moment(started.date(), 1, sweep_time_of_day(sandbox.settings.sweep_schedule))]
        assert dry_run_values() == {"true"}
        assert sandbox.settings.dry_run is True
        assert sandbox.clock.now() - started < timedelta(hours=1)  # back at the end of day 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"days": 2, "users": [{"name": "a", "keys": [{"created_days_ago": 9, "rotated_on_day": 3}]}]},
         "(days: 2; set days to simulate more): users[0] a: keys[0].rotated_on_day is day 3"),
        ({"days": 2, "dry_run_until_day": 5, "users": [{"name": "a"}]}, "dry_run_until_day is day 5"),
        ({"days": 401, "users": [{"name": "a"}]}, "days: Input should be less than or equal to 400"),
        ({"days": 2, "users": [{"name": "a", "keys": [{"created_days_ago": 9, "rotated_on_day": 0}]}]},
         "rotated_on_day: Input should be greater than or equal to 1"),
        ({"days": 2, "users": [{"name": "a", "keys": [{"created_days_ago": 9, "status": "Inactive",
                                                       "deactivated_on_day": 1}]}]},
         "the key is Inactive already"),
        ({"days": 2, "dry_run": True, "dry_run_until_day": 1, "users": [{"name": "a"}]}, "give one"),
        ({"reminder_days_before_deadline": [7, 7], "users": [{"name": "a"}]},
         "reminder days must be distinct"),
    ],
)  # fmt: skip
def test_a_day_outside_the_run_is_refused_where_it_is(fields: dict[str, Any], message: str) -> None:
    # When a scenario names a day it does not simulate (or an impossible change), Then it is refused
    with pytest.raises(ScenarioError) as refused:
        scenario(**fields)
    assert message in str(refused.value)
    assert isinstance(refused.value.__cause__, ValidationError)
