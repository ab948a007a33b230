"""Forwarder settings, read from environment variables and validated when a function starts."""

from __future__ import annotations

from pydantic import Field

from domain.environment import EnvironmentSettings
from domain.owners import EmailAddress


class ForwarderChannel(EnvironmentSettings):
    """Which channel the one forwarder handler delivers to (a name of notifications/channels/)."""

    channel: str = Field(alias="CHANNEL", min_length=1)


class WebhookForwarderSettings(EnvironmentSettings):
    """A webhook channel's forwarder: its secret, and how hard it tries."""

    webhook_secret_name: str = Field(alias="WEBHOOK_SECRET_NAME", min_length=1)
    """Secrets Manager secret: a webhook URL, or {"default": url, "channels": {"#name": url}}."""
    secret_max_age_seconds: int = Field(alias="WEBHOOK_CACHE_SECONDS", default=300, ge=0)
    timeout_seconds: float = Field(alias="WEBHOOK_TIMEOUT_SECONDS", default=5.0, gt=0, le=60)
    max_attempts: int = Field(alias="WEBHOOK_MAX_ATTEMPTS", default=4, ge=1, le=10)


class EmailForwarderSettings(EnvironmentSettings):
    """The email channel's forwarder: who it sends as."""

    sender: EmailAddress = Field(alias="SENDER_EMAIL")
    """An address (or domain) verified in SES."""
    configuration_set: str | None = Field(alias="SES_CONFIGURATION_SET", default=None)
