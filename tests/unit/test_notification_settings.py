"""Notification settings: cdk.json context in, function environments and filter policies out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deployment.settings import DeploymentSettings, SettingsError
from lambdas.settings import EvaluateSettings, load_settings
from notifications.settings import EmailForwarderSettings, SlackForwarderSettings, load_forwarder_settings


def test_defaults() -> None:
    settings = DeploymentSettings()
    assert settings.slack_channel_tag_keys == ("slack-channel",)
    assert settings.notification_window_hours == 168
    assert settings.forwarder_filter_policy("slack") == {"severity": ["high", "low", "medium"]}
    assert settings.forwarder_filter_policy("email") == {"severity": ["high", "low", "medium"]}


def test_context_values_reach_the_functions() -> None:
    settings = DeploymentSettings.from_context(
        {
            "slackChannelTagKeys": "chat, slack-channel",
            "notificationWindowHours": 24,
            "notificationSenderEmail": "keywarden@corp.example",
            "slackWebhookSecretName": "security/keywarden-slack",
            "slackSeverities": "high",
        }
    )
    evaluate = load_settings(
        EvaluateSettings, settings.evaluate_function_environment()
    ).to_evaluation_settings()
    assert evaluate.slack_channel_tag_keys == ("chat", "slack-channel")
    assert evaluate.notification_window_hours == 24
    slack = load_forwarder_settings(SlackForwarderSettings, settings.slack_forwarder_environment())
    assert slack.webhook_secret_name == "security/keywarden-slack"
    assert (slack.timeout_seconds, slack.max_attempts) == (5.0, 4)
    email = load_forwarder_settings(EmailForwarderSettings, settings.email_forwarder_environment())
    assert email.sender == "keywarden@corp.example"
    assert settings.forwarder_filter_policy("slack") == {"severity": ["high"]}


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"notificationSenderEmail": "keywarden"}, "notificationSenderEmail"),
        ({"notificationWindowHours": -1}, "notificationWindowHours"),
        ({"slackSeverities": "urgent"}, "slackSeverities"),
        ({"emailSeverities": ""}, "emailSeverities"),
        ({"slackWebhookSecretName": "has spaces"}, "slackWebhookSecretName"),
    ],
)
def test_bad_values_name_the_setting(context: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        DeploymentSettings.from_context(context)


def test_a_forwarder_with_a_bad_sender_does_not_start() -> None:
    with pytest.raises(ValidationError, match="SENDER_EMAIL"):
        load_forwarder_settings(EmailForwarderSettings, {"SENDER_EMAIL": "not-an-address"})
    with pytest.raises(ValidationError, match="SLACK_WEBHOOK_SECRET_NAME"):
        load_forwarder_settings(SlackForwarderSettings, {})
