"""Channels as plug-ins: every registered channel tells a key the same way; deployments choose them."""

from __future__ import annotations

from typing import Any

import pytest

from deployment.settings import DeploymentSettings, SettingsError
from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyOutcome
from keywarden.sandbox.servers.webhook_stand_ins import stand_in_for
from notifications.channels import (
    CHANNELS,
    DEFAULT_CHANNELS,
    UnknownChannelError,
    WebhookChannel,
    channel_named,
)
from tests.factories import NOW, key, notification_facts

POLICY = CredentialPolicy(90, 90)


def skipped() -> KeyOutcome:
    used = key("AKIAIOSFODNN7EXAMPLE", created_days_ago=120, last_used_days_ago=0)
    return classify_key(used, used, POLICY, NOW, NOW)


@pytest.mark.parametrize("name", list(CHANNELS))
def test_every_channel_names_the_key_its_age_its_last_use_and_the_deadline(name: str) -> None:
    # Given a key left active because it was used today
    facts = notification_facts((skipped(),))
    # When the channel renders the owner's message
    shown = " ".join(CHANNELS[name].preview(facts).split())
    # Then its reader sees the same facts in the same words as in every other channel
    assert "AKIAIOSFODNN7EXAMPLE" in shown
    assert "STILL ACTIVE - action needed" in shown
    assert "2026-07-31 (120 days ago)" in shown
    assert "2026-11-28 12:00 UTC (today), by s3 in eu-west-1" in shown
    assert "What to do, before 2026-12-12: create a new access key" in shown


def test_each_entry_is_registered_under_its_own_name() -> None:
    assert {name: channel.name for name, channel in CHANNELS.items()} == {name: name for name in CHANNELS}
    assert set(DEFAULT_CHANNELS) <= set(CHANNELS)
    webhook_secrets = [c.secret.default_name for c in CHANNELS.values() if isinstance(c, WebhookChannel)]
    assert len(set(webhook_secrets)) == len(webhook_secrets)


def test_every_webhook_channel_has_a_local_stand_in_in_the_sandbox() -> None:
    webhook_channels = [c for c in CHANNELS.values() if isinstance(c, WebhookChannel)]
    assert {stand_in_for(c).channel for c in webhook_channels} == {c.name for c in webhook_channels}


class TestChoosingChannels:
    def test_a_deployment_picks_its_channels_in_order(self) -> None:
        settings = DeploymentSettings.from_context({"notificationChannels": "email,teams"})
        assert [c.name for c in settings.channels] == ["email", "teams"]
        settings = DeploymentSettings.from_context({"notificationChannels": ["teams"]})
        assert settings.notification_channels == ("teams",)

    def test_an_unknown_channel_is_refused_with_the_known_ones(self) -> None:
        with pytest.raises(SettingsError) as refused:
            DeploymentSettings.from_context({"notificationChannels": "email,msteams"})
        assert str(refused.value) == (
            "invalid keywarden setting: notificationChannels: Value error, unknown notification "
            "channel 'msteams' (keywarden has: email, slack, teams)"
        )
        with pytest.raises(UnknownChannelError, match="'pager'"):
            channel_named("pager")

    def test_a_channel_named_twice_is_refused(self) -> None:
        with pytest.raises(SettingsError, match=r"notificationChannels: .*named more than once: slack"):
            DeploymentSettings.from_context({"notificationChannels": "slack,email,slack"})

    def test_a_third_channel_gets_its_own_filter_policy(self) -> None:
        # Given Teams next to Slack and email, each with its own severities
        settings = DeploymentSettings.from_context(
            {
                "notificationChannels": "slack,email,teams",
                "slackSeverities": "high",
                "emailSeverities": "high,medium",
                "teamsSeverities": "low",
            }
        )
        # Then each forwarder's subscription receives what its setting says, and Teams does not
        # fall back to another channel's filter
        assert {c: settings.forwarder_filter_policy(c) for c in settings.notification_channels} == {
            "slack": {"severity": ["high"]},
            "email": {"severity": ["high", "medium"]},
            "teams": {"severity": ["low"]},
        }

    def test_two_webhook_channels_cannot_share_a_secret(self) -> None:
        with pytest.raises(SettingsError) as refused:
            DeploymentSettings.from_context(
                {"notificationChannels": "slack,teams", "teamsWebhookSecretName": "keywarden/slack-webhook"}
            )
        assert str(refused.value) == (
            "invalid keywarden setting: teamsWebhookSecretName: 'keywarden/slack-webhook' is already "
            "the secret of slackWebhookSecretName"
        )

    def test_python_names_work_like_context_keys(self) -> None:
        settings = DeploymentSettings(slack_severities=("high",), email_forwarder_concurrency=3)
        assert settings.severities("slack") == ("high",)
        assert settings.forwarder_concurrency("email") == 3

    def test_only_webhook_channels_have_a_secret(self) -> None:
        with pytest.raises(ValueError, match="email is not a webhook channel"):
            DeploymentSettings().webhook_secret_name("email")

    @pytest.mark.parametrize("context", [{"pagerSeverities": "high"}, {"notificationChannels": "pager"}])
    def test_settings_of_no_channel_are_typos(self, context: dict[str, Any]) -> None:
        with pytest.raises(SettingsError, match="pager"):
            DeploymentSettings.from_context(context)
