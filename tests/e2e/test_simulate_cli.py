"""`keywarden simulate`: any scenario, a JSON document for scripts, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keywarden.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


def simulate(tmp_path: Path, scenario: dict[str, Any], *options: str) -> Any:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    return runner.invoke(app, ["simulate", str(path), *options])


def test_json_output_documents_every_user(tmp_path: Path) -> None:
    result = simulate(
        tmp_path,
        {
            "max_access_key_age": 90,
            "max_credential_usage_age": 60,
            "users": [
                {"name": "alice", "keys": [{"id": "AKIAALICE00000000001", "created_days_ago": 120}]},
                {
                    "name": "bob",
                    "tags": {"owner-email": "bob@example.com"},
                    "keys": [
                        {"id": "AKIABOB0000000000001", "created_days_ago": 120, "last_used_days_ago": 59}
                    ],
                },
                {"name": "carl", "keys": [{"id": "AKIACARL000000000001", "created_days_ago": 30}]},
                {
                    "name": "dora",
                    "keys": [
                        {"id": "AKIADORA000000000001", "created_days_ago": 100, "last_used_days_ago": 61}
                    ],
                    "password": {"created_days_ago": 200, "last_used_days_ago": 70},
                },
            ],
        },
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # stdout is exactly one JSON document
    users = {u["name"]: u for u in report["users"]}
    assert {n: u["outcome"] for n, u in users.items()} == {
        "alice": "REMEDIATED", "bob": "KEYS_LEFT_ACTIVE", "carl": "COMPLIANT", "dora": "REMEDIATED",
    }  # fmt: skip
    assert users["bob"]["keys"] == [
        {"access_key_id": "AKIABOB0000000000001", "result": "SKIPPED_RECENTLY_USED",
         "status_before": "Active", "status_after": "Active"},
    ]  # fmt: skip
    assert users["dora"]["keys"][0]["result"] == "DEACTIVATED"
    assert users["dora"]["password_deleted"] is True
    assert users["alice"]["password_deleted"] is False
    assert users["carl"]["execution"] is None
    assert users["carl"]["execution_status"] is None
    assert users["alice"]["execution_status"] == "SUCCEEDED"
    assert (users["bob"]["notified"], users["carl"]["notified"]) == (True, False)
    assert {n["attributes"]["user_name"] for n in report["notifications"]} == {"alice", "bob", "dora"}
    assert report["max_credential_usage_age"] == 60
    bob_deliveries = [d for d in report["deliveries"] if d["user_name"] == "bob"]
    assert [(d["channel"], d["recipient"], d["cc"]) for d in bob_deliveries] == [
        ("slack", "#keywarden-alerts", []),
        ("email", "bob@example.com", []),
    ]
    slack, email = bob_deliveries
    assert (
        slack["subject"]
        == "Action needed: rotate access key AKIABOB0000000000001 of IAM user bob (120 days old)"
    )
    assert "Last used: " in slack["text"]
    assert email["subject"] == "[keywarden] " + slack["subject"]
    assert "AKIABOB0000000000001: STILL ACTIVE - action needed" in email["text"]
    assert {(d["user_name"], d["channel"]) for d in report["deliveries"]} == {
        (name, channel) for name in ("alice", "bob", "dora") for channel in ("slack", "email")
    }


def test_human_output_names_outcomes(tmp_path: Path) -> None:
    result = simulate(tmp_path, {"users": [{"name": "zoe", "keys": [{"created_days_ago": 95}]}]})
    assert result.exit_code == 0, result.output
    assert "zoe - REMEDIATED" in result.stdout
    assert "Outcomes: REMEDIATED 1" in result.stdout


def test_a_bad_scenario_is_a_short_error_not_a_traceback(tmp_path: Path) -> None:
    result = simulate(tmp_path, {"users": [{"name": "x", "keys": [{"created_days_ago": -1}]}]}, "--json")
    assert result.exit_code == 2
    assert "users.0.keys.0.created_days_ago" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_user_name_iam_refuses_is_a_usage_error_naming_the_rule(tmp_path: Path) -> None:
    """Given a scenario user named 名前, when simulated, then keywarden exits 2 naming IAM's rule,
    before any sandbox starts."""
    result = simulate(tmp_path, {"users": [{"name": "名前", "keys": [{"created_days_ago": 120}]}]}, "--json")
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())  # the console wraps long lines
    assert (
        "users.0.name: Value error, IAM user names are 1 to 64 characters: "
        "ASCII letters, digits and +=,.@_-; '名前' has '名', '前'"
    ) in error
    assert result.stdout == ""


def test_users_config_does_not_know_keep_their_keys(tmp_path: Path) -> None:
    """Given one user Config has not discovered next to one it has, both with a 120-day-old unused
    key, then only the discovered user's key is deactivated (the runbook finds no other user)."""
    result = simulate(
        tmp_path,
        {
            "users": [
                {"name": "seen", "keys": [{"id": "AKIASEEN000000000001", "created_days_ago": 120}]},
                {
                    "name": "unseen",
                    "discovered_by_config": False,
                    "keys": [{"id": "AKIAUNSEEN0000000001", "created_days_ago": 120}],
                },
            ]
        },
        "--json",
    )
    assert result.exit_code == 0, result.output
    users = {u["name"]: u for u in json.loads(result.stdout)["users"]}
    assert users["seen"]["outcome"] == "REMEDIATED"
    assert users["seen"]["keys"][0]["status_after"] == "Inactive"
    unseen = users["unseen"]
    assert unseen["outcome"] == "FAILED"
    assert "has not discovered IAM user" in unseen["reason"]
    assert "Remedy: wait for Config to discover it" in unseen["reason"]
    assert unseen["keys_in_iam"] == {"AKIAUNSEEN0000000001": "Active"}
    assert "StartAutomation" not in unseen["execution"]["path"]


def test_without_iam_users_recorded_no_key_is_deactivated(tmp_path: Path) -> None:
    """Given config_records_iam_users false, then Config discovers no user and the stale key of the
    only user stays Active."""
    result = simulate(
        tmp_path,
        {
            "config_records_iam_users": False,
            "users": [{"name": "zed", "keys": [{"id": "AKIAZED0000000000001", "created_days_ago": 120}]}],
        },
        "--json",
    )
    assert result.exit_code == 0, result.output
    [zed] = json.loads(result.stdout)["users"]
    assert zed["outcome"] == "FAILED"
    assert "Remedy: record AWS::IAM::User in the configuration recorder of us-east-1" in zed["reason"]
    assert zed["keys_in_iam"] == {"AKIAZED0000000000001": "Active"}
    assert "StartAutomation" not in zed["execution"]["path"]
    [alert] = json.loads(result.stdout)["operator_alerts"]
    assert "Remedy: record AWS::IAM::User" in alert["message"]


def test_a_scenario_chooses_its_channels_and_teams_delivers(tmp_path: Path) -> None:
    # Given a scenario whose owners are told by email and in Microsoft Teams
    scenario = {
        "notification_channels": ["email", "teams"],
        "users": [
            {
                "name": "bob",
                "tags": {"owner-email": "bob@example.com", "slack-channel": "payments"},
                "keys": [{"id": "AKIABOB0000000000001", "created_days_ago": 120, "last_used_days_ago": 2}],
            }
        ],
    }
    # When it is simulated
    result = simulate(tmp_path, scenario, "--json")
    # Then the deliveries say which channel took each message, and Slack took none
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["notification_channels"] == ["email", "teams"]
    assert [(d["channel"], d["recipient"]) for d in report["deliveries"]] == [
        ("email", "bob@example.com"),
        ("teams", "Security > keywarden alerts"),
    ]
    teams = report["deliveries"][1]
    assert (
        teams["subject"]
        == "Action needed: rotate access key AKIABOB0000000000001 of IAM user bob (120 days old)"
    )
    assert "Access key AKIABOB0000000000001: STILL ACTIVE - action needed" in teams["text"]
    assert "(2 days ago), by s3 in us-east-1" in teams["text"]

    human = simulate(tmp_path, scenario)
    assert "Microsoft Teams message in Security > keywarden alerts" in human.stdout
    assert "delivered (email, Microsoft Teams)" in human.stdout


def test_an_unknown_channel_in_a_scenario_is_refused_where_it_is(tmp_path: Path) -> None:
    result = simulate(tmp_path, {"notification_channels": ["pager"], "users": [{"name": "x"}]}, "--json")
    assert result.exit_code == 2
    assert "notification_channels: Value error, unknown notification channel 'pager'" in result.stderr
