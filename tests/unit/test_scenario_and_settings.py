"""Scenario files and deployment settings: clear errors for bad input, and what reaches the workflow."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import ClassVar

import pytest

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings, SettingsError
from deployment.workflow import (
    CONCLUDE,
    PREPARE,
    WORKFLOW_FUNCTIONS,
    function_environments,
    workflow_substitutions,
)
from keywarden.scenario import ScenarioError, UserSpec, config_finds_stale_key, load_scenario
from keywarden.simulation import scenario_settings
from lambdas.settings import ConcludeSettings, PrepareSettings
from statemachine import SUBSTITUTIONS, render_definition
from tests.factories import WORKFLOW_RESOURCES


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    """Given the README's example scenario, When loaded, Then its users, keys and ages are read."""
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
    """Given a malformed scenario, When loaded, Then the error says what is wrong and where."""
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, content))


def test_a_scenario_s_channels_are_the_deployment_s(tmp_path: Path) -> None:
    # Given a scenario naming email and Teams, and one naming no channels
    # When its settings are made
    chosen = load_scenario(
        write(tmp_path, {"notification_channels": ["email", "teams"], "users": [{"name": "a"}]})
    )

    # Then the deployment's channels are the scenario's, or the default slack and email
    assert scenario_settings(chosen).notification_channels == ("email", "teams")
    default = load_scenario(write(tmp_path, {"users": [{"name": "a"}]}))
    assert scenario_settings(default).notification_channels == ("slack", "email")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """Given no scenario file, When loaded, Then the error says it cannot be read."""
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
    """Given a user's keys, When Config's rule evaluates them (90 days),
    Then only an active key 90 days old or older flags the user."""
    assert config_finds_stale_key(UserSpec.model_validate({"name": "u", "keys": keys}), 90) is flagged


class TestDeploymentSettings:
    def test_defaults(self) -> None:
        """Given no context, When deployed, Then keys older than 90 days unused for 90 days are revoked."""
        settings = DeploymentSettings()
        assert (settings.max_access_key_age, settings.credential_usage_age) == (90, 90)

    def test_usage_age_defaults_to_key_age(self) -> None:
        """Given only maxAccessKeyAge, When deployed, Then the runbook's usage age is the same."""
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
        """Given a bad or unknown context value, When the settings are read, Then the error names it."""
        with pytest.raises(SettingsError, match=named):
            DeploymentSettings.from_context(values)

    def test_tag_keys_from_a_comma_list(self) -> None:
        """Given owner tag keys as a comma list, When read, Then each key is one tag, trimmed."""
        assert DeploymentSettings.from_context({"ownerTagKeys": "owner, team-email"}).owner_tag_keys == (
            "owner",
            "team-email",
        )


class TestWorkflowDeployment:
    CONTEXT: ClassVar[dict[str, object]] = {
        "maxAccessKeyAge": 60,
        "maxCredentialUsageAge": 45,
        "dryRun": True,
        "maxExemptionDays": 30,
        "ownerTagKeys": "owner, team-email",
        "gracePeriodDays": 7,
        "recordRetentionDays": 400,
        "maxPollAttempts": 12,
        "pollIntervalSeconds": 20,
        "runbookVersion": "3",
    }

    def test_each_function_reads_what_the_deployment_writes(self) -> None:
        """Given cdk.json context values,
        When each workflow function's environment is written and read back as the function reads it,
        Then Prepare and Conclude each get their settings and the resources' names."""
        environments = function_environments(
            DeploymentSettings.from_context(self.CONTEXT), WORKFLOW_RESOURCES
        )
        assert set(environments) == {f.substitution for f in WORKFLOW_FUNCTIONS}
        prepare = PrepareSettings.from_environment(environments[PREPARE.substitution])
        assert (prepare.dry_run, prepare.max_exemption_days, prepare.exemption_table_name) == (
            True,
            30,
            "keywarden-exemptions",
        )
        conclude = ConcludeSettings.from_environment(environments[CONCLUDE.substitution])
        assert conclude.policy.max_access_key_age_days == 60
        assert conclude.policy.max_credential_usage_age_days == 45
        assert (conclude.owner_tags, conclude.grace_period_days, conclude.retention_days) == (
            ("owner", "team-email"),
            7,
            400,
        )
        assert conclude.audit_table_name == "keywarden-audit"
        assert prepare.config_rule_name == conclude.config_rule_name == "keywarden-access-keys-rotated"

    def test_the_workflow_gets_a_value_for_every_placeholder(self) -> None:
        """Given cdk.json context values and each function's ARN,
        When the ASL's substitutions are made,
        Then every placeholder has its value: the runbook's version and usage age, the poll loop's bounds."""
        arns = {
            f.substitution: f"arn:aws:lambda:eu-west-1:111122223333:function:{f.substitution}"
            for f in WORKFLOW_FUNCTIONS
        }
        values = workflow_substitutions(
            DeploymentSettings.from_context(self.CONTEXT), WORKFLOW_RESOURCES, arns
        )
        assert set(values) == set(SUBSTITUTIONS)
        assert (values["MaxCredentialUsageAge"], values["RunbookVersion"]) == ("45", "3")
        assert (values["MaxPollAttempts"], values["PollIntervalSeconds"]) == ("12", "20")
        assert "${" not in render_definition(values)

    def test_a_missing_function_arn_is_refused(self) -> None:
        """Given the ARN of Prepare only, When the substitutions are made, Then Conclude's is missing."""
        with pytest.raises(ValueError, match="ConcludeFunctionArn"):
            workflow_substitutions(
                DeploymentSettings(), WORKFLOW_RESOURCES, {PREPARE.substitution: "arn:prepare"}
            )

    def test_each_workflow_function_is_a_handler_with_its_own_name(self) -> None:
        """Given the workflow's functions, When named for a deployment,
        Then each is an importable handler with a distinct, prefixed function name."""
        names = ResourceNames("kw-test")
        assert [names.function(f.handler) for f in WORKFLOW_FUNCTIONS] == [
            "kw-test-prepare",
            "kw-test-conclude",
        ]
        for function in WORKFLOW_FUNCTIONS:
            module, _, attribute = function.handler.rpartition(".")
            assert callable(getattr(importlib.import_module(module), attribute)), function.handler


@pytest.mark.parametrize("version", ["1", "12", "$DEFAULT", "$LATEST"])
def test_a_runbook_version_is_a_number_or_ssms_own_names(version: str) -> None:
    """Given a runbookVersion of a number, $DEFAULT or $LATEST, When the settings are read, Then they
    accept it."""
    assert DeploymentSettings.from_context({"runbookVersion": version}).runbook_version == version


@pytest.mark.parametrize("version", ["0", "v1", "latest", "1.0", ""])
def test_anything_else_is_refused_naming_the_setting(version: str) -> None:
    """Given a runbookVersion SSM would not take, When the settings are read, Then they refuse it,
    naming runbookVersion."""
    with pytest.raises(SettingsError, match="runbookVersion"):
        DeploymentSettings.from_context({"runbookVersion": version})
