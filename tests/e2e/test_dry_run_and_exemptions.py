"""Safe rollout: a dry run changes nothing and predicts the real run; exemptions protect users."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployment.settings import DeploymentSettings
from keywarden.cli import app
from keywarden.sandbox import Sandbox
from keywarden.scenario import ExemptionSpec, KeySpec, PasswordSpec, Scenario, UserSpec
from keywarden.simulation import SimulationReport, run_scenario

pytestmark = pytest.mark.e2e

CREATED = [89, 90, 150]
LAST_USED = [None, 0, 45, 89, 90, 120]


def grid_users() -> list[UserSpec]:
    cases = [(c, u) for c, u in itertools.product(CREATED, LAST_USED) if u is None or u <= c]
    users = []
    for i, (created, used) in enumerate(cases):
        password = PasswordSpec(created_days_ago=200, last_used_days_ago=used) if i % 2 else None
        users.append(
            UserSpec(
                name=f"grid{i}",
                keys=[
                    KeySpec(id=f"AKIAGRID{i:04d}00000001", created_days_ago=created, last_used_days_ago=used),
                    KeySpec(id=f"AKIAGRID{i:04d}00000002", created_days_ago=95, status="Inactive"),
                ],
                password=password,
            )
        )
    return users


def results(report: SimulationReport) -> dict[str, tuple[object, ...]]:
    return {
        u.name: (tuple((k.access_key_id, k.result) for k in u.keys), u.password_deleted) for u in report.users
    }


def test_a_dry_run_then_a_real_run_give_identical_per_key_results() -> None:
    # Given users for every key age and last use, half with a password, each with an old inactive key
    users = grid_users()

    # When the grid runs once as a dry run and once for real
    dry = run_scenario(Scenario(dry_run=True, max_credential_usage_age=60, users=users))
    real = run_scenario(Scenario(dry_run=False, max_credential_usage_age=60, users=users))

    # Then the per-key results agree, and the dry run flags its users DRY_RUN with predicted results
    assert results(dry) == results(real)
    flagged = [u for u in dry.users if u.outcome != "COMPLIANT"]
    assert flagged  # the grid flags most users
    assert {u.outcome for u in flagged} == {"DRY_RUN"}
    assert all(u.results_predicted for u in flagged)
    # And the real run remediated some and left others' keys active
    assert {u.outcome for u in real.users if u.outcome != "COMPLIANT"} >= {"REMEDIATED", "KEYS_LEFT_ACTIVE"}
    # And nothing changed in the dry run: every key's status after is its status before, no automation started
    assert all(k.status_after == k.status_before for u in dry.users for k in u.keys)
    assert all("StartAutomation" not in u.execution.path for u in flagged if u.execution)
    assert any(k.result == "DEACTIVATED" for u in dry.users for k in u.keys)


def test_a_dry_run_starts_no_automation_and_changes_no_key() -> None:
    # Given a dry-run deployment and olga's 200-day-old key and unused password
    with Sandbox(DeploymentSettings(dry_run=True)) as sandbox:
        user = sandbox.add_user(
            UserSpec(
                name="olga",
                tags={"owner-email": "olga@example.com"},
                keys=[KeySpec(id="AKIAOLGA000000000001", created_days_ago=200)],
                password=PasswordSpec(created_days_ago=300, last_used_days_ago=200),
            )
        )

        # When her event arrives
        [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))

        # Then no automation starts, her key and password stay
        assert sandbox.automation.start_calls == []
        assert sandbox.access_keys("olga") == {"AKIAOLGA000000000001": "Active"}
        sandbox.client("iam").get_login_profile(UserName="olga")  # still there
        # And DRY_RUN is recorded with what would have happened, her owner is told it as a dry run, and the
        # execution succeeds
        summary = sandbox.audit_items(execution)[0]
        assert summary["outcome"] == "DRY_RUN"
        assert summary["keys"][0]["result"] == "DEACTIVATED"
        assert summary["password_result"] == "DELETED"
        [note] = sandbox.published("owners")
        assert note.subject.startswith("[keywarden dry run]")
        assert "WOULD BE DEACTIVATED" in note.message
        assert sandbox.execution(execution).status == "SUCCEEDED"


STALE = [KeySpec(created_days_ago=150)]


@pytest.fixture(scope="module")
def exemption_report() -> SimulationReport:
    return run_scenario(
        Scenario(
            exemptions=[
                ExemptionSpec(
                    user="breakglass", reason="break-glass access, reviewed monthly", expires_days=30
                ),
                ExemptionSpec(user="svc-acme-*", reason="vendor migration until January", expires_days=10),
                ExemptionSpec(
                    user="arn:aws:iam::123456789012:user/vendors/*", reason="vendor path", expires_days=5
                ),
                ExemptionSpec(user="legacy-ci", reason="old CI, migrated", expires_days=-3),
                ExemptionSpec(user="forever", reason="written around the CLI", expires_days=200),
            ],
            users=[
                UserSpec(name="breakglass", keys=STALE),
                UserSpec(name="svc-acme-sync", keys=STALE),
                UserSpec(name="svc-other", keys=STALE),
                UserSpec(name="legacy-ci", keys=STALE),
                UserSpec(name="forever", keys=STALE),
            ],
        )
    )


def user_report(report: SimulationReport, name: str):  # type: ignore[no-untyped-def]
    return next(u for u in report.users if u.name == name)


def test_an_exempt_user_is_recorded_exempt_and_untouched(exemption_report: SimulationReport) -> None:
    """Given an exemption for breakglass by name, When its stale key's event is handled, Then EXEMPT is
    recorded with the exemption and its reason, the results are predicted only, nobody is told, and no
    automation starts."""
    breakglass = user_report(exemption_report, "breakglass")
    assert breakglass.outcome == "EXEMPT"
    assert "break-glass access, reviewed monthly" in breakglass.reason
    assert breakglass.exemption is not None
    assert breakglass.exemption["status"] == "applied"
    assert breakglass.exemption["user"] == "breakglass"
    assert [(k.result, k.status_after) for k in breakglass.keys] == [("DEACTIVATED", "Active")]  # predicted
    assert breakglass.results_predicted
    assert not breakglass.notified
    assert "StartAutomation" not in breakglass.execution.path


def test_a_pattern_matched_user_is_exempt(exemption_report: SimulationReport) -> None:
    """Given an exemption for svc-acme-*, When svc-acme-sync's event is handled, Then it is exempt by that
    pattern."""
    acme = user_report(exemption_report, "svc-acme-sync")
    assert acme.outcome == "EXEMPT"
    assert acme.exemption["user"] == "svc-acme-*"


def test_a_non_matching_user_is_remediated(exemption_report: SimulationReport) -> None:
    """Given exemptions that match other users only, When svc-other's event is handled, Then it is
    remediated, its key deactivated."""
    other = user_report(exemption_report, "svc-other")
    assert other.outcome == "REMEDIATED"
    assert other.exemption is None
    assert [k.status_after for k in other.keys] == ["Inactive"]


def test_an_expired_exemption_no_longer_applies_and_says_so(exemption_report: SimulationReport) -> None:
    """Given legacy-ci's exemption expired 3 days ago, When its event is handled, Then it is remediated and
    the reason says the exemption expired."""
    legacy = user_report(exemption_report, "legacy-ci")
    assert legacy.outcome == "REMEDIATED"
    assert legacy.exemption["status"] == "expired"
    assert "exemption 'legacy-ci' (old CI, migrated) expired on" in legacy.reason


def test_an_exemption_longer_than_allowed_is_ignored(exemption_report: SimulationReport) -> None:
    """Given an exemption granted for 200 days, 90 allowed, When the user's event is handled, Then it is
    ignored and the user remediated, saying why."""
    forever = user_report(exemption_report, "forever")
    assert forever.outcome == "REMEDIATED"
    assert forever.exemption["status"] == "ignored: granted for longer than allowed"
    assert "longer than the allowed 90 days" in forever.reason


def test_an_arn_pattern_exemption_matches_the_user_path() -> None:
    # Given an exemption for users under the path /vendors/
    with Sandbox() as sandbox:
        sandbox.add_exemption(
            ExemptionSpec(user="arn:aws:iam::*:user/vendors/*", reason="vendors", expires_days=5)
        )
        # And a user under that path, and one named 'vendors' outside it
        user = sandbox.add_user(UserSpec(name="vendor-bot", path="/vendors/", keys=STALE))
        other = sandbox.add_user(UserSpec(name="vendors", keys=STALE))  # a name, not the path

        # When both users' events arrive
        [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
        [other_execution] = sandbox.put_event(sandbox.compliance_change(other.user_id))

        # Then the one named 'vendors' is remediated, the one under the path is exempt by the ARN pattern
        assert sandbox.audit_items(other_execution)[0]["outcome"] == "REMEDIATED"
        summary = sandbox.audit_items(execution)[0]
        assert summary["outcome"] == "EXEMPT"
        assert summary["exemption"]["user"] == "arn:aws:iam::*:user/vendors/*"


def test_simulate_json_shows_dry_run_and_exempt(tmp_path: Path) -> None:
    # Given a dry-run scenario where alice is exempt and bob's old key was used today
    scenario = {
        "dry_run": True,
        "exemptions": [{"user": "alice", "reason": "on leave, key owner unreachable", "expires_days": 14}],
        "users": [
            {"name": "alice", "keys": [{"id": "AKIAALICE00000000001", "created_days_ago": 120}]},
            {
                "name": "bob",
                "keys": [{"id": "AKIABOB0000000000001", "created_days_ago": 120, "last_used_days_ago": 0}],
            },
        ],
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))

    # When `simulate --json` runs it
    result = CliRunner().invoke(app, ["simulate", str(path), "--json"])

    # Then alice is EXEMPT with her exemption and predicted results, bob is DRY_RUN with his key kept active
    assert result.exit_code == 0, result.output
    users = {u["name"]: u for u in json.loads(result.stdout)["users"]}
    assert users["alice"]["outcome"] == "EXEMPT"
    assert users["alice"]["exemption"]["reason"] == "on leave, key owner unreachable"
    assert users["alice"]["keys"][0]["result"] == "DEACTIVATED"
    assert users["alice"]["results_predicted"] is True
    assert users["bob"]["outcome"] == "DRY_RUN"
    assert users["bob"]["keys"][0] == {
        "access_key_id": "AKIABOB0000000000001",
        "result": "SKIPPED_RECENTLY_USED",
        "status_before": "Active",
        "status_after": "Active",
    }
