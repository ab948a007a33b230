"""Notification settings: cdk.json context in, channels, function environments and filter policies out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deployment.settings import DeploymentSettings, SettingsError
from deployment.workflow import CONCLUDE, function_environments
from lambdas.settings import ConcludeSettings
from notifications.channels import CHANNELS
from notifications.settings import (
    EmailForwarderSettings,
    ForwarderChannel,
    WebhookForwarderSettings,
)
from tests.factories import WORKFLOW_RESOURCES


def test_defaults() -> None:
    """Given no context, When deployed,
    Then owners' Slack channels come from the slack-channel tag, a week's window, every severity to both."""
    settings = DeploymentSettings()
    assert settings.notification_channels == ("slack", "email")
    assert settings.slack_channel_tag_keys == ("slack-channel",)
    assert settings.notification_window_hours == 168
    assert settings.forwarder_filter_policy("slack") == {"severity": ["high", "low", "medium"]}
    assert settings.forwarder_filter_policy("email") == {"severity": ["high", "low", "medium"]}
    assert (settings.forwarder_concurrency("slack"), settings.forwarder_concurrency("email")) == (2, 0)
    assert settings.webhook_secret_name("slack") == "keywarden/slack-webhook"
    assert settings.webhook_secret_name("teams") == "keywarden/teams-webhook"


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
    slack_environment = settings.forwarder_environment("slack")
    assert ForwarderChannel.from_environment(slack_environment).channel == "slack"
    slack = WebhookForwarderSettings.from_environment(slack_environment)
    assert slack.webhook_secret_name == "security/keywarden-slack"
    assert (slack.timeout_seconds, slack.max_attempts) == (5.0, 4)
    email = EmailForwarderSettings.from_environment(settings.forwarder_environment("email"))
    assert email.sender == "keywarden@corp.example"
    assert settings.forwarder_filter_policy("slack") == {"severity": ["high"]}


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_every_channel_s_environment_is_what_its_settings_model_reads(channel: str) -> None:
    # Given every channel deployed, with a configuration set for email
    settings = DeploymentSettings.from_context(
        {"notificationChannels": list(CHANNELS), "sesConfigurationSet": "owners"}
    )
    # When its forwarder starts with the environment the deployment gives it
    environment = settings.forwarder_environment(channel)
    # Then the one handler finds the channel, and the channel's model takes every variable
    assert ForwarderChannel.from_environment(environment).channel == channel
    model = CHANNELS[channel].settings_model
    known = {"CHANNEL"} | {field.alias for field in model.model_fields.values() if field.alias}
    assert set(environment) <= known
    model.from_environment(environment)


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"notificationSenderEmail": "keywarden"}, "notificationSenderEmail"),
        ({"notificationWindowHours": -1}, "notificationWindowHours"),
        ({"slackSeverities": "urgent"}, "slackSeverities"),
        ({"emailSeverities": ""}, "emailSeverities"),
        ({"teamsSeverities": "urgent"}, "teamsSeverities"),
        ({"slackWebhookSecretName": "has spaces"}, "slackWebhookSecretName"),
        ({"teamsWebhookSecretName": "has spaces"}, "teamsWebhookSecretName"),
        ({"slackForwarderConcurrency": "-1"}, "slackForwarderConcurrency"),
        ({"emailWebhookSecretName": "keywarden/email"}, "emailWebhookSecretName"),
        ({"notificationChannels": ""}, "notificationChannels"),
    ],
)
def test_bad_values_name_the_setting(context: dict[str, object], problem: str) -> None:
    """Given a bad notification value in cdk.json, When the settings are read, Then the error names it."""
    with pytest.raises(SettingsError, match=problem):
        DeploymentSettings.from_context(context)


def test_a_forwarder_with_a_bad_sender_does_not_start() -> None:
    """Given a forwarder environment with a bad or missing value, When it starts, Then it fails naming it."""
    with pytest.raises(ValidationError, match="SENDER_EMAIL"):
        EmailForwarderSettings.from_environment({"SENDER_EMAIL": "not-an-address"})
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET_NAME"):
        WebhookForwarderSettings.from_environment({})
    with pytest.raises(ValidationError, match="CHANNEL"):
        ForwarderChannel.from_environment({})
