"""app.py and its settings: bad values stop synth with the setting's name; no AWS access needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment.settings import DeploymentSettings
from infra.application import SettingsError, build_app, settings_from_context

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"maxAccessKeyAge": "0"}, "maxAccessKeyAge"),
        ({"maxCredentialUsageAge": "ninety"}, "maxCredentialUsageAge"),
        ({"createConfigRecorder": "maybe"}, "createConfigRecorder"),
        ({"operatorEmails": "ops@example.com,not-an-address"}, "operatorEmails"),
        ({"ownerNotificationEmails": ["@example.com"]}, "ownerNotificationEmails"),
        ({"logRetentionDays": "42"}, "logRetentionDays"),
        ({"namePrefix": "Key Warden"}, "namePrefix"),
        ({"powertoolsLayerArn": "arn:aws:lambda:eu-west-1:123:function:nope"}, "powertoolsLayerArn"),
        ({"configRuleName": "spaces are not allowed"}, "configRuleName"),
        ({"maxAccesKeyAge": "90"}, "maxAccesKeyAge"),
        ({"slackForwarderConcurrency": "-1"}, "slackForwarderConcurrency"),
        ({"sesConfigurationSet": "owners emails"}, "sesConfigurationSet"),
        ({"createSenderIdentity": "perhaps"}, "createSenderIdentity"),
        ({"notificationSenderEmail": "keywarden at example.com"}, "notificationSenderEmail"),
        ({"dryRun": "perhaps"}, "dryRun"),
        ({"maxExemptionDays": "0"}, "maxExemptionDays"),
        ({"maxExemptionDays": "366"}, "maxExemptionDays"),
        ({"maxExemptionDays": "ninety"}, "maxExemptionDays"),
        # SSM's quota of running automations is 100 by default, 500 at most (adaptive concurrency).
        ({"maxConcurrentAutomations": "0"}, "maxConcurrentAutomations"),
        ({"maxConcurrentAutomations": "1501"}, "maxConcurrentAutomations"),
        # A wildcard would let more principals write exemptions than the ones named.
        ({"exemptionAdministratorArns": "arn:aws:iam::111122223333:role/*"}, "exemptionAdministratorArns"),
        # A session ARN changes with each session: the condition compares the role's ARN.
        (
            {"exemptionAdministratorArns": "arn:aws:sts::111122223333:assumed-role/security-admin/alice"},
            "exemptionAdministratorArns",
        ),
        ({"exemptionAdministratorArns": ["arn:aws:iam::1234:role/admin"]}, "exemptionAdministratorArns"),
        ({"exemptionAdministratorArns": "security-admin"}, "exemptionAdministratorArns"),
        # The findings' lifecycle (issue 13): a schedule Scheduler understands, a sane cadence.
        ({"sweepSchedule": "daily at 6"}, "sweepSchedule"),
        ({"reminderDaysBeforeDeadline": "7,7"}, "reminderDaysBeforeDeadline"),
        ({"reminderDaysBeforeDeadline": "0"}, "reminderDaysBeforeDeadline"),
        ({"enforceAfterDeadline": "perhaps"}, "enforceAfterDeadline"),
        ({"enforcementDelayDays": "-1"}, "enforcementDelayDays"),
        ({"gracePeriodDays": "366"}, "gracePeriodDays"),
        (
            {"exemptionAdministratorArns": "arn:aws:iam::111122223333:group/security"},
            "exemptionAdministratorArns",
        ),
    ],
)
def test_a_bad_value_stops_synth_naming_the_setting(context: dict[str, Any], named: str) -> None:
    with pytest.raises(SettingsError, match=f"invalid keywarden setting: {named}"):
        build_app(context)


def test_cdk_context_keys_are_not_taken_for_settings() -> None:
    settings = settings_from_context(
        {
            "@aws-cdk/core:newStyleStackSynthesis": True,
            "aws:cdk:enable-path-metadata": True,
            "maxAccessKeyAge": 60,
        }
    )
    assert settings.max_access_key_age == 60


def test_values_from_the_command_line_are_strings_and_still_understood() -> None:
    settings = settings_from_context(
        {
            "createConfigRecorder": "true",
            "createAlarms": "false",
            "operatorEmails": "a@example.com, b@example.com",
        }
    )
    assert (settings.create_config_recorder, settings.create_alarms) == (True, False)
    assert settings.operator_emails == ("a@example.com", "b@example.com")


def test_exemption_administrators_are_role_or_user_arns_given_as_a_list_or_comma_separated() -> None:
    role = "arn:aws:iam::111122223333:role/security-admin"
    user = "arn:aws-us-gov:iam::111122223333:user/break-glass/alice"
    from_cli = settings_from_context({"exemptionAdministratorArns": f"{role}, {user}"})
    from_json = settings_from_context({"exemptionAdministratorArns": [role, user]})
    assert from_cli.exemption_administrator_arns == from_json.exemption_administrator_arns == (role, user)
    assert settings_from_context({}).exemption_administrator_arns == ()


def test_a_bad_administrator_arn_is_quoted_in_the_error() -> None:
    with pytest.raises(SettingsError, match="'arn:aws:iam::111122223333:role/\\*'"):
        build_app({"exemptionAdministratorArns": "arn:aws:iam::111122223333:role/*"})


def test_cdk_json_holds_valid_settings_equal_to_the_defaults() -> None:
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    assert settings_from_context(cdk_json["context"]) == DeploymentSettings()
    assert cdk_json["app"] == ".venv/bin/python app.py"


def _run_app(context: dict[str, Any], outdir: Path) -> subprocess.CompletedProcess[str]:
    # As `cdk synth -c ...` runs it: context in CDK_CONTEXT_JSON, no credentials anywhere.
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "CDK_CONTEXT_JSON"
    } | {
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(outdir),
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_app_py_refuses_a_bad_value_with_one_clear_line(tmp_path: Path) -> None:
    result = _run_app({"maxAccessKeyAge": "-5"}, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("keywarden: invalid keywarden setting: maxAccessKeyAge:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "keywarden.template.json").exists()
