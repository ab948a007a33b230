"""Scenario files and deployment settings: clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployment.settings import DeploymentSettings, SettingsError
from keywarden.scenario import ScenarioError, UserSpec, config_finds_stale_key, load_scenario
from keywarden.simulation import scenario_settings


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            {
                "max_access_key_age": 90,
                "max_credential_usage_age": 90,
                "users": [
                    {
                        "name": "alice",
                        "tags": {"owner-email": "a@example.com"},
                        "keys": [
                            {
                                "id": "AKIAIOSFODNN7EXAMPLE",
                                "created_days_ago": 120,
                                "last_used_days_ago": None,
                                "status": "Active",
                            }
                        ],
                        "password": {"created_days_ago": 200, "last_used_days_ago": 100},
                    }
                ],
            },
        )
    )
    assert scenario.users[0].keys[0].id == "AKIAIOSFODNN7EXAMPLE"
    assert scenario.credential_usage_age == 90


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ({"users": []}, "users: List should have at least 1 item"),
        ({"users": [{"name": "a b"}]}, "users.0.name"),
        (
            {"users": [{"name": "a", "keys": [{"created_days_ago": 5, "last_used_days_ago": 9}]}]},
            "last used before it was created",
        ),
        ({"users": [{"name": "a", "keys": [{"id": "nope", "created_days_ago": 5}]}]}, "users.0.keys.0.id"),
        ({"users": [{"name": "a", "keys": [{"created_days_ago": 1}] * 3}]}, "at most 2 items"),
        ({"users": [{"name": "Bob"}, {"name": "bob"}]}, "user names must be unique"),
        ({"users": [{"name": "a", "colour": "blue"}]}, "colour: Extra inputs are not permitted"),
        ({"max_access_key_age": 0, "users": [{"name": "a"}]}, "max_access_key_age"),
        (
            {"notification_channels": ["email", "pager"], "users": [{"name": "a"}]},
            r"notification_channels: Value error, unknown notification channel 'pager' \(keywarden has",
        ),
        ({"notification_channels": [], "users": [{"name": "a"}]}, "notification_channels: Tuple should have"),
    ],
)
def test_bad_scenarios_say_what_and_where(tmp_path: Path, content: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, content))


def test_a_scenario_s_channels_are_the_deployment_s(tmp_path: Path) -> None:
    chosen = load_scenario(
        write(tmp_path, {"notification_channels": ["email", "teams"], "users": [{"name": "a"}]})
    )
    assert scenario_settings(chosen).notification_channels == ("email", "teams")
    default = load_scenario(write(tmp_path, {"users": [{"name": "a"}]}))
    assert scenario_settings(default).notification_channels == ("slack", "email")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("keys", "flagged"),
    [
        ([{"created_days_ago": 90}], True),
        ([{"created_days_ago": 89}], False),
        ([{"created_days_ago": 400, "status": "Inactive"}], False),
        ([{"created_days_ago": 10}, {"created_days_ago": 100, "last_used_days_ago": 0}], True),
        ([], False),
    ],
)
def test_config_rule_flags_an_active_key_of_max_age_or_older(
    keys: list[dict[str, object]], flagged: bool
) -> None:
    assert config_finds_stale_key(UserSpec.model_validate({"name": "u", "keys": keys}), 90) is flagged


class TestDeploymentSettings:
    def test_defaults(self) -> None:
        settings = DeploymentSettings()
        assert (settings.max_access_key_age, settings.credential_usage_age) == (90, 90)

    def test_usage_age_defaults_to_key_age(self) -> None:
        assert DeploymentSettings.from_context({"maxAccessKeyAge": 45}).credential_usage_age == 45

    @pytest.mark.parametrize(
        ("values", "named"),
        [
            ({"maxAccessKeyAge": 0}, "maxAccessKeyAge"),
            ({"maxAccessKeyAge": "soon"}, "maxAccessKeyAge"),
            ({"securityContactEmail": "nobody"}, "securityContactEmail"),
            ({"configRuleName": "has spaces"}, "configRuleName"),
            ({"maxAgeTypo": 3}, "maxAgeTypo"),
        ],
    )
    def test_a_bad_value_names_the_setting(self, values: dict[str, object], named: str) -> None:
        with pytest.raises(SettingsError, match=named):
            DeploymentSettings.from_context(values)

    def test_tag_keys_from_a_comma_list(self) -> None:
        assert DeploymentSettings.from_context({"ownerTagKeys": "owner, team-email"}).owner_tag_keys == (
            "owner",
            "team-email",
        )
