"""Issue 13's done-when, in the sandbox: a stale key is followed, day after day, until it is gone.

Three small scenarios (few users, so that they run in seconds): 40 days with enforcement off,
22 days with it on, and 4 days of a dry-run rollout switched to enforcement on day 3. Grace
period 14 days and reminders 7 and 2 days before the deadline (the defaults, written out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from keywarden.cli import app
from keywarden.report_view import print_report
from keywarden.scenario import Scenario
from keywarden.simulation import SimulationReport, UserReport, run_scenario

pytestmark = pytest.mark.e2e

LIFECYCLE = {"grace_period_days": 14, "reminder_days_before_deadline": [7, 2]}
UNUSED = {"created_days_ago": 120}
IN_USE = {"created_days_ago": 120, "last_used_days_ago": 0}
"""Used today: the runbook leaves it Active (KEYS_LEFT_ACTIVE), so a finding follows it."""


def scenario(**fields: Any) -> Scenario:
    return Scenario.model_validate({**LIFECYCLE, **fields})


def user(report: SimulationReport, name: str) -> UserReport:
    return next(u for u in report.users if u.name == name)


def owner_messages(report: SimulationReport, name: str) -> list[tuple[int, str]]:
    """(day, kind) of every message published to the owners' topic about the user."""
    return [(n.day, n.kind or "") for n in report.notifications if n.attributes.get("user_name") == name]


def redriven(report: SimulationReport, name: str) -> list[tuple[int, str]]:
    """(day, outcome) of the user's remediations the sweep started."""
    return [
        (r.day, r.outcome)
        for r in user(report, name).remediations
        if r.execution_arn and ":sweep-" in r.execution_arn
    ]


@pytest.fixture(scope="module")
def forty_days() -> SimulationReport:
    """Given 40 days with enforcement off: a key in use rotated on day 5, a key in use its owner
    ignores, a user whose Config event was lost, and one whose first runbook run fails."""
    return run_scenario(
        scenario(
            days=40,
            users=[
                {"name": "rotates", "tags": {"owner-email": "rotates@example.com"},
                 "keys": [{"id": "AKIAROTATES000000001", **IN_USE, "rotated_on_day": 5}]},
                {"name": "ignores", "tags": {"owner-email": "ignores@example.com",
                                             "owner-manager": "manager@example.com"},
                 "keys": [{"id": "AKIAIGNORES000000001", **IN_USE}]},
                {"name": "lost", "event_lost": True, "keys": [{"id": "AKIALOST000000000001", **UNUSED}]},
                {"name": "flaky", "automation": {"fail_first_runs": 1},
                 "keys": [{"id": "AKIAFLAKY00000000001", **UNUSED}]},
            ],
        )
    )  # fmt: skip


def test_a_key_rotated_on_day_5_closes_resolved_that_day_and_gets_nothing_after(
    forty_days: SimulationReport,
) -> None:
    # Then its finding closed RESOLVED (the key deleted) at day 5's sweep
    [finding] = user(forty_days, "rotates").findings
    assert (finding.access_key_id, finding.status, finding.resolution) == (
        "AKIAROTATES000000001",
        "RESOLVED",
        "DELETED",
    )
    assert (finding.deadline_day, finding.closed_day, finding.reminder_days) == (14, 5, [])
    # And its owner heard the first notice, then nothing after day 5
    messages = owner_messages(forty_days, "rotates")
    assert messages[0] == (0, "FIRST_NOTICE")
    assert all(day <= 5 for day, _ in messages)
    assert [(day, kind) for day, kind in messages if day > 0] == [(5, "RESOLVED")]


def test_an_ignored_key_is_reminded_on_the_cadence_escalated_once_and_left_active(
    forty_days: SimulationReport,
) -> None:
    # Then it was reminded 7 and 2 days before its deadline (day 14), escalated on day 14, once
    ignores = user(forty_days, "ignores")
    [finding] = ignores.findings
    assert (finding.status, finding.deadline_day, finding.reminder_days) == ("OPEN", 14, [7, 12])
    assert (finding.escalated_day, finding.enforced_day, finding.closed_day) == (14, None, None)
    assert owner_messages(forty_days, "ignores") == [
        (0, "FIRST_NOTICE"), (7, "REMINDER"), (12, "REMINDER"), (14, "ESCALATION"),
    ]  # fmt: skip
    # And with enforcement off, its key is still Active on day 40
    assert ignores.keys_in_iam == {"AKIAIGNORES000000001": "Active"}
    # And the escalation reached the manager named in its tags
    escalations = [d for d in forty_days.deliveries if d.user_name == "ignores" and d.kind == "ESCALATION"]
    assert escalations
    assert any("manager@example.com" in (d.recipient, *d.cc) for d in escalations)


def test_a_user_whose_event_was_lost_is_remediated_by_the_first_sweep(forty_days: SimulationReport) -> None:
    # Then day 1's sweep re-drove it, and the runbook deactivated its unused key
    assert redriven(forty_days, "lost") == [(1, "REMEDIATED")]
    assert user(forty_days, "lost").keys_in_iam == {"AKIALOST000000000001": "Inactive"}
    assert user(forty_days, "lost").outcome == "REMEDIATED"


def test_a_user_whose_first_run_failed_is_remediated_by_the_next_sweep(forty_days: SimulationReport) -> None:
    # Then day 0's run FAILED, day 1's sweep re-drove it, and that run deactivated the key
    flaky = user(forty_days, "flaky")
    assert [(r.day, r.outcome) for r in flaky.remediations] == [(0, "FAILED"), (1, "REMEDIATED")]
    assert redriven(forty_days, "flaky") == [(1, "REMEDIATED")]
    assert flaky.keys_in_iam == {"AKIAFLAKY00000000001": "Inactive"}


def test_nobody_is_lost_and_each_user_is_remediated_at_most_twice(forty_days: SimulationReport) -> None:
    assert forty_days.run is not None
    assert forty_days.run.lost_users == []
    assert forty_days.run.automations_per_user == {"flaky": 2, "ignores": 1, "lost": 1, "rotates": 1}


@pytest.fixture(scope="module")
def enforced() -> SimulationReport:
    """Given 22 days with enforcement on (7 days after the deadline): a key in use its owner ignores,
    and an exempt user's stale key."""
    return run_scenario(
        scenario(
            days=22,
            enforce_after_deadline=True,
            enforcement_delay_days=7,
            exemptions=[{"user": "exempt", "reason": "break-glass account", "expires_days": 90}],
            users=[
                {"name": "ignores", "keys": [{"id": "AKIAIGNORES000000001", **IN_USE}]},
                {"name": "exempt", "keys": [{"id": "AKIAEXEMPT0000000001", **IN_USE}]},
            ],
        )
    )  # fmt: skip


def test_with_enforcement_on_an_ignored_key_is_deactivated_at_deadline_plus_delay(
    enforced: SimulationReport,
) -> None:
    # Then on day 21 (deadline 14 + 7) the sweep deactivated it and closed the finding ENFORCED
    ignores = user(enforced, "ignores")
    [finding] = ignores.findings
    assert (finding.status, finding.enforced_day, finding.closed_day) == ("ENFORCED", 21, 21)
    assert (finding.reminder_days, finding.escalated_day) == ([7, 12], 14)
    assert ignores.keys_in_iam == {"AKIAIGNORES000000001": "Inactive"}
    assert owner_messages(enforced, "ignores") == [
        (0, "FIRST_NOTICE"), (7, "REMINDER"), (12, "REMINDER"), (14, "ESCALATION"), (21, "ENFORCED"),
    ]  # fmt: skip


def test_an_exempt_user_is_never_reminded_nor_enforced(enforced: SimulationReport) -> None:
    # Then its key is Active after day 21, and its owner got no lifecycle message
    exempt = user(enforced, "exempt")
    assert exempt.outcome == "EXEMPT"
    assert exempt.keys_in_iam == {"AKIAEXEMPT0000000001": "Active"}
    assert owner_messages(enforced, "exempt") == []
    assert all(
        f.status == "EXEMPT" and f.reminder_days == [] and f.enforced_day is None for f in exempt.findings
    )


def test_a_user_flagged_during_a_dry_run_rollout_is_remediated_by_the_sweep_after_the_switch() -> None:
    # Given a deployment in dry-run mode until day 3, and an unused stale key
    report = run_scenario(
        scenario(
            days=4,
            dry_run_until_day=3,
            users=[{"name": "early", "keys": [{"id": "AKIAEARLY00000000001", **UNUSED}]}],
        )
    )
    early = user(report, "early")
    # Then day 0 only predicted (DRY_RUN), the sweeps before the switch left it, and day 3's sweep,
    # the first after dryRun=false, re-drove it: the runbook deactivated the key
    assert [(r.day, r.outcome) for r in early.remediations] == [(0, "DRY_RUN"), (3, "REMEDIATED")]
    assert redriven(report, "early") == [(3, "REMEDIATED")]
    assert early.keys_in_iam == {"AKIAEARLY00000000001": "Inactive"}


def test_the_text_report_shows_each_finding_in_a_line(forty_days: SimulationReport) -> None:
    # When the 40-day report is printed for people
    console = Console(record=True, width=120)
    print_report(forty_days, console)
    text = console.export_text()
    # Then each finding is one line, and each later day's messages one line per kind
    assert "AKIAROTATES000000001 RESOLVED (DELETED) day 5: opened day 1, deadline day 14\n" in text
    assert (
        "AKIAIGNORES000000001 OPEN: opened day 1, deadline day 14, reminded day 7, 12, escalated day 14\n"
    ) in text
    assert "day  14  ESCALATION  to " in text
    assert "40 daily sweeps after day 0" in text
    assert text.rstrip().endswith("findings: OPEN 1, RESOLVED 1")


def test_simulate_json_gives_findings_and_each_messages_day_and_kind(tmp_path: Path) -> None:
    # Given a 7-day scenario file whose key's deadline is 3 days after its first notice
    path = tmp_path / "scenario.json"
    path.write_text(
        json.dumps(
            scenario(days=7, grace_period_days=3, reminder_days_before_deadline=[1], users=[
                {"name": "ignores", "tags": {"owner-email": "ignores@example.com"},
                 "keys": [{"id": "AKIAIGNORES000000001", **IN_USE}]},
            ]).model_dump(mode="json")
        )
    )  # fmt: skip
    # When it is simulated with --json
    result = CliRunner().invoke(app, ["simulate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # Then the user's finding is in its report, each message with its day and kind
    [finding] = report["users"][0]["findings"]
    assert finding == {
        "access_key_id": "AKIAIGNORES000000001", "status": "OPEN", "resolution": None,
        "opened_day": 1, "deadline_day": 3, "closed_day": None, "reminder_days": [2],
        "escalated_day": 3, "enforced_day": None,
    }  # fmt: skip
    assert [(n["day"], n["kind"]) for n in report["notifications"]] == [
        (0, "FIRST_NOTICE"), (2, "REMINDER"), (3, "ESCALATION"),
    ]  # fmt: skip
    assert {(d["day"], d["kind"]) for d in report["deliveries"]} == {
        (0, "FIRST_NOTICE"), (2, "REMINDER"), (3, "ESCALATION"),
    }  # fmt: skip
    assert report["run"]["days"] == 7
