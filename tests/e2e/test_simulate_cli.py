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


def test_a_scenario_chooses_its_channels_and_teams_delivers(tmp_path: Path) -> None:
    # Given a scenario whose owners are told by email and in Microsoft Teams
    scenario = {
        "notification_channels": ["email", "teams"],
        "users": [
            {
                "name": "bob",
                "tags": {"owner-email": "bob@example.com", "slack-channel": "#payments"},
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
