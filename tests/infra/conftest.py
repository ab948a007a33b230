"""Synthesize keywarden's stack once per context (cdk-nag runs on every synth, as in app.py)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Before aws_cdk is imported: jsii reads it when it starts Node.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.application import build_app

CHINA_LAYER_ARN = (
    "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7"
)
"""A layer given by ARN, as in a partition where the public SSM parameter is not published."""

SECURITY_ADMIN_ROLE = "arn:aws:iam::111122223333:role/security-admin"
SSO_SECURITY_ADMIN_ROLE = (
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_SecurityAdmin_0123456789abcdef"
)
"""Exemption administrators as custom_stack names them: a role, an IAM Identity Center role (with path)."""


@dataclass(frozen=True)
class Synthesized:
    template: dict[str, Any]
    outdir: Path
    template_path: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    app = build_app(context, outdir=str(outdir))
    stack = app.synth().stacks[0]
    path = Path(stack.template_full_path)
    return Synthesized(template=json.loads(path.read_text()), outdir=outdir, template_path=path)


@pytest.fixture(scope="session")
def default_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack as cdk.json's defaults configure it."""
    return synthesize({}, tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def custom_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Every optional part switched the other way, values given as strings (as `-c` gives them)."""
    context = {
        "maxAccessKeyAge": "120",
        "maxCredentialUsageAge": "45",
        "configRuleName": "org-access-keys-rotated",
        "createConfigRecorder": "true",
        "operatorEmails": "ops@example.com,oncall@example.com",
        "ownerNotificationEmails": "security@example.com",
        "logRetentionDays": "90",
        "pollIntervalSeconds": "30",
        "maxPollAttempts": "20",
        "namePrefix": "kw-test",
        "notificationSenderEmail": "keywarden@mail.corp.example",
        "sesConfigurationSet": "keywarden-owners",
        "slackWebhookSecretName": "security/kw-test-slack",
        "slackSeverities": "high",
        "emailSeverities": "high,medium",
        "slackForwarderConcurrency": "5",
        "dryRun": "true",
        "maxExemptionDays": "30",
        "maxConcurrentAutomations": "40",
        "exemptionAdministratorArns": f"{SECURITY_ADMIN_ROLE},{SSO_SECURITY_ADMIN_ROLE}",
        "sweepSchedule": "cron(30 4 ? * MON-FRI *)",
        "enforceAfterDeadline": "true",
    }
    return synthesize(context, tmp_path_factory.mktemp("custom"))


@pytest.fixture(scope="session")
def minimal_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """An existing Config rule, no alarms, a layer given by ARN, an SES identity verified beforehand,
    no reserved concurrency."""
    context = {
        "createConfigRule": "false",
        "createSenderIdentity": "false",
        "slackForwarderConcurrency": "0",
        "configRuleName": "securityhub-access-keys-rotated-abc123",
        "createAlarms": "false",
        "powertoolsLayerArn": CHINA_LAYER_ARN,
    }
    return synthesize(context, tmp_path_factory.mktemp("minimal"))


@pytest.fixture(scope="session")
def teams_stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Owners told by email and in Microsoft Teams (no Slack), Teams with its own settings."""
    context = {
        "notificationChannels": "email,teams",
        "teamsSeverities": "high,medium",
        "teamsWebhookSecretName": "security/keywarden-teams",
        "teamsForwarderConcurrency": "1",
    }
    return synthesize(context, tmp_path_factory.mktemp("teams"))
