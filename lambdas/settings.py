"""The functions' settings, read from environment variables and validated when a function starts.

deployment/ writes these variables (one source for the CDK stack and the sandbox) with
`to_environment`, so the names are written once, here.
"""

from __future__ import annotations

from pydantic import Field

from domain.classification import CredentialPolicy
from domain.coordination import DEFAULT_AUTOMATION_SLOTS
from domain.environment import EnvironmentSettings
from domain.exemptions import DEFAULT_MAX_EXEMPTION_DAYS
from domain.findings import (
    DEFAULT_ENFORCEMENT_DELAY_DAYS,
    DEFAULT_ESCALATION_TAG_KEYS,
    DEFAULT_GRACE_PERIOD_DAYS,
    DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE,
    LifecyclePolicy,
)
from domain.notification_facts import DEFAULT_NOTIFICATION_WINDOW_HOURS
from domain.owners import DEFAULT_OWNER_EMAIL_TAG_KEYS, DEFAULT_SLACK_CHANNEL_TAG_KEYS, EmailAddress


def _comma_separated(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class PrepareSettings(EnvironmentSettings):
    config_rule_name: str = Field(alias="CONFIG_RULE_NAME", min_length=1)
    dry_run: bool = Field(alias="DRY_RUN")
    """Required, never defaulted: whether keys may be changed is always an explicit setting."""
    exemption_table_name: str = Field(alias="EXEMPTION_TABLE_NAME", min_length=3)
    max_exemption_days: int = Field(alias="MAX_EXEMPTION_DAYS", default=DEFAULT_MAX_EXEMPTION_DAYS, ge=1)
    coordination_table_name: str = Field(alias="COORDINATION_TABLE_NAME", min_length=3)


class _OwnerContactSettings(EnvironmentSettings):
    """Who a function tells about a user's keys: the tags naming the owner, the security contact."""

    security_contact_email: EmailAddress = Field(alias="SECURITY_CONTACT_EMAIL")
    owner_tag_keys: str = Field(
        alias="OWNER_TAG_KEYS", default=",".join(DEFAULT_OWNER_EMAIL_TAG_KEYS), min_length=1
    )
    slack_channel_tag_keys: str = Field(
        alias="SLACK_CHANNEL_TAG_KEYS", default=",".join(DEFAULT_SLACK_CHANNEL_TAG_KEYS)
    )

    @property
    def owner_tags(self) -> tuple[str, ...]:
        return _comma_separated(self.owner_tag_keys)

    @property
    def slack_channel_tags(self) -> tuple[str, ...]:
        return _comma_separated(self.slack_channel_tag_keys)


class ConcludeSettings(_OwnerContactSettings):
    config_rule_name: str = Field(alias="CONFIG_RULE_NAME", min_length=1)
    max_access_key_age_days: int = Field(alias="MAX_ACCESS_KEY_AGE_DAYS", ge=1)
    max_credential_usage_age_days: int = Field(alias="MAX_CREDENTIAL_USAGE_AGE_DAYS", ge=1)
    grace_period_days: int = Field(alias="GRACE_PERIOD_DAYS", default=DEFAULT_GRACE_PERIOD_DAYS, ge=0)
    retention_days: int = Field(alias="RECORD_RETENTION_DAYS", default=0, ge=0)
    notification_window_hours: int = Field(
        alias="NOTIFICATION_WINDOW_HOURS", default=DEFAULT_NOTIFICATION_WINDOW_HOURS, ge=0
    )
    audit_table_name: str = Field(alias="AUDIT_TABLE_NAME", min_length=3)
    notification_state_table_name: str = Field(alias="NOTIFICATION_STATE_TABLE_NAME", min_length=3)
    owners_topic_arn: str = Field(alias="OWNERS_TOPIC_ARN", min_length=1)
    coordination_table_name: str = Field(alias="COORDINATION_TABLE_NAME", min_length=3)
    max_concurrent_automations: int = Field(
        alias="MAX_CONCURRENT_AUTOMATIONS", default=DEFAULT_AUTOMATION_SLOTS, ge=1
    )
    """Named in the deferral alert (the workflow's ReserveAutomationSlot enforces it)."""

    @property
    def policy(self) -> CredentialPolicy:
        return CredentialPolicy(self.max_access_key_age_days, self.max_credential_usage_age_days)


class SweepSettings(_OwnerContactSettings):
    """What both of the sweep's functions read: the rule, the lifecycle, the findings, the owners."""

    config_rule_name: str = Field(alias="CONFIG_RULE_NAME", min_length=1)
    dry_run: bool = Field(alias="DRY_RUN")
    """Required, never defaulted: whether keys may be changed is always an explicit setting."""
    max_access_key_age_days: int = Field(alias="MAX_ACCESS_KEY_AGE_DAYS", ge=1)
    max_credential_usage_age_days: int = Field(alias="MAX_CREDENTIAL_USAGE_AGE_DAYS", ge=1)
    grace_period_days: int = Field(alias="GRACE_PERIOD_DAYS", default=DEFAULT_GRACE_PERIOD_DAYS, ge=0)
    reminder_days_before_deadline: str = Field(
        alias="REMINDER_DAYS_BEFORE_DEADLINE",
        default=",".join(str(days) for days in DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE),
    )
    enforce_after_deadline: bool = Field(alias="ENFORCE_AFTER_DEADLINE", default=False)
    enforcement_delay_days: int = Field(
        alias="ENFORCEMENT_DELAY_DAYS", default=DEFAULT_ENFORCEMENT_DELAY_DAYS, ge=0
    )
    findings_table_name: str = Field(alias="FINDINGS_TABLE_NAME", min_length=3)
    exemption_table_name: str = Field(alias="EXEMPTION_TABLE_NAME", min_length=3)
    max_exemption_days: int = Field(alias="MAX_EXEMPTION_DAYS", default=DEFAULT_MAX_EXEMPTION_DAYS, ge=1)
    owners_topic_arn: str = Field(alias="OWNERS_TOPIC_ARN", min_length=1)

    @property
    def lifecycle(self) -> LifecyclePolicy:
        """The findings' lifecycle (the cadence validated there: a bad one fails the function's start)."""
        return LifecyclePolicy(
            grace_period_days=self.grace_period_days,
            reminder_days_before_deadline=tuple(
                int(days) for days in _comma_separated(self.reminder_days_before_deadline)
            ),
            enforce_after_deadline=self.enforce_after_deadline,
            enforcement_delay_days=self.enforcement_delay_days,
        )


class FollowFlaggedSettings(SweepSettings):
    """The sweep's FollowFlaggedUsers: re-drives remediations, opens findings."""

    audit_table_name: str = Field(alias="AUDIT_TABLE_NAME", min_length=3)
    notification_state_table_name: str = Field(alias="NOTIFICATION_STATE_TABLE_NAME", min_length=3)
    remediation_state_machine_arn: str = Field(alias="REMEDIATION_STATE_MACHINE_ARN", min_length=1)


class FollowFindingsSettings(SweepSettings):
    """The sweep's FollowFindings: reminders, escalation, enforcement, resolution."""

    escalation_tag_keys: str = Field(
        alias="ESCALATION_TAG_KEYS", default=",".join(DEFAULT_ESCALATION_TAG_KEYS)
    )

    @property
    def escalation_tags(self) -> tuple[str, ...]:
        return _comma_separated(self.escalation_tag_keys)
