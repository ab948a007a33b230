"""Notification settings: cdk.json context in, function environments and filter policies out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deployment.settings import DeploymentSettings, SettingsError
from deployment.workflow import CONCLUDE, function_environments
from lambdas.settings import ConcludeSettings
from notifications.settings import EmailForwarderSettings, SlackForwarderSettings, load_forwarder_settings
from tests.factories import WORKFLOW_RESOURCES


def test_defaults() -> None:
    """Given no context, When deployed,
    Then owners' Slack channels come from the slack-channel tag, a week's window, every severity to both."""
    settings = DeploymentSettings()
    assert settings.slack_channel_tag_keys == ("slack-channel",)
    assert settings.notification_window_hours == 168
    assert settings.forwarder_filter_policy("slack") == {"severity": ["high", "low", "medium"]}
    assert settings.forwarder_filter_policy("email") == {"severity": ["high", "low", "medium"]}


def test_context_values_reach_the_functions() -> None:
    """Given notification context values in cdk.json,
    When the functions' environments are written and read back as each function reads them,
    Then Conclude, the Slack forwarder and the email forwarder each get their values."""
    settings = DeploymentSettings.from_context(
        {
            "slackChannelTagKeys": "chat, slack-channel",
            "notificationWindowHours": 24,
            "notificationSenderEmail": "keywarden@corp.example",
            "slackWebhookSecretName": "security/keywarden-slack",
            "slackSeverities": "high",
        }
    )
    conclude = ConcludeSettings.from_environment(
        function_environments(settings, WORKFLOW_RESOURCES)[CONCLUDE.substitution]
    )
    assert conclude.slack_channel_tags == ("chat", "slack-channel")
    assert conclude.notification_window_hours == 24
    assert (conclude.notification_state_table_name, conclude.owners_topic_arn) == (
        "keywarden-notification-state",
        "arn:aws:sns:eu-west-1:111122223333:keywarden-owners",
    )
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
    """Given a bad notification value in cdk.json, When the settings are read, Then the error names it."""
    with pytest.raises(SettingsError, match=problem):
        DeploymentSettings.from_context(context)


def test_a_forwarder_with_a_bad_sender_does_not_start() -> None:
    """Given a forwarder environment with a bad or missing value, When it starts, Then it fails naming it."""
    with pytest.raises(ValidationError, match="SENDER_EMAIL"):
        load_forwarder_settings(EmailForwarderSettings, {"SENDER_EMAIL": "not-an-address"})
    with pytest.raises(ValidationError, match="SLACK_WEBHOOK_SECRET_NAME"):
        load_forwarder_settings(SlackForwarderSettings, {})
