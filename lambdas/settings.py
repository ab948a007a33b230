"""Handler settings, read from environment variables and validated when a function starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.classification import CredentialPolicy
from domain.notification_facts import DEFAULT_NOTIFICATION_WINDOW_HOURS
from domain.owners import DEFAULT_OWNER_EMAIL_TAG_KEYS, DEFAULT_SLACK_CHANNEL_TAG_KEYS, is_email_address
from lambdas.evaluation import EvaluationSettings


def _comma_separated(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


T = TypeVar("T", bound=_EnvSettings)


class IntakeSettings(_EnvSettings):
    config_rule_name: str = Field(alias="CONFIG_RULE_NAME", min_length=1)


class DecideSettings(_EnvSettings):
    dry_run: bool = Field(alias="DRY_RUN")
    """Required, never defaulted: whether keys may be changed is always an explicit setting."""
    exemption_table_name: str = Field(alias="EXEMPTION_TABLE_NAME", min_length=3)
    max_exemption_days: int = Field(alias="MAX_EXEMPTION_DAYS", default=90, ge=1)


class EvaluateSettings(_EnvSettings):
    max_access_key_age_days: int = Field(alias="MAX_ACCESS_KEY_AGE_DAYS", ge=1)
    max_credential_usage_age_days: int = Field(alias="MAX_CREDENTIAL_USAGE_AGE_DAYS", ge=1)
    security_contact_email: str = Field(alias="SECURITY_CONTACT_EMAIL")
    owner_tag_keys: str = Field(
        alias="OWNER_TAG_KEYS", default=",".join(DEFAULT_OWNER_EMAIL_TAG_KEYS), min_length=1
    )
    grace_period_days: int = Field(alias="GRACE_PERIOD_DAYS", default=14, ge=0)
    retention_days: int = Field(alias="RECORD_RETENTION_DAYS", default=0, ge=0)
    slack_channel_tag_keys: str = Field(
        alias="SLACK_CHANNEL_TAG_KEYS", default=",".join(DEFAULT_SLACK_CHANNEL_TAG_KEYS)
    )
    notification_window_hours: int = Field(
        alias="NOTIFICATION_WINDOW_HOURS", default=DEFAULT_NOTIFICATION_WINDOW_HOURS, ge=0
    )

    @field_validator("security_contact_email")
    @classmethod
    def _valid_contact(cls, value: str) -> str:
        if not is_email_address(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    def to_evaluation_settings(self) -> EvaluationSettings:
        return EvaluationSettings(
            policy=CredentialPolicy(self.max_access_key_age_days, self.max_credential_usage_age_days),
            security_contact_email=self.security_contact_email,
            owner_tag_keys=_comma_separated(self.owner_tag_keys),
            grace_period_days=self.grace_period_days,
            retention_days=self.retention_days,
            slack_channel_tag_keys=_comma_separated(self.slack_channel_tag_keys),
            notification_window_hours=self.notification_window_hours,
        )


def load_settings(model: type[T], environ: Mapping[str, str] | None = None) -> T:
    """Validate the environment against `model`; a bad value fails the function's start."""
    return model.model_validate(dict(os.environ if environ is None else environ))
