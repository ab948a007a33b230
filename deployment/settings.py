"""keywarden's deployment settings, validated once for the CDK stack and for the local sandbox.

In cdk.json (or `cdk deploy -c name=value`) each setting is given by its camelCase alias.
"""

from __future__ import annotations

import re
from typing import Any, Final, assert_never

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from deployment.channel_settings import (
    ChannelSettings,
    check_channel_names,
    shared_secrets,
    split_list,
    take_channel_settings,
)
from domain.config_rule import DEFAULT_CONFIG_RULE_NAME, DEFAULT_MAX_ACCESS_KEY_AGE_DAYS
from domain.coordination import DEFAULT_AUTOMATION_SLOTS, MAX_AUTOMATION_SLOTS
from domain.environment import EnvironmentSettings
from domain.exemptions import DEFAULT_MAX_EXEMPTION_DAYS, MAX_EXEMPTION_DAYS_CEILING
from domain.findings import (
    DEFAULT_ENFORCEMENT_DELAY_DAYS,
    DEFAULT_ESCALATION_TAG_KEYS,
    DEFAULT_GRACE_PERIOD_DAYS,
    DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE,
    DEFAULT_SWEEP_SCHEDULE,
    LifecyclePolicy,
)
from domain.notification_facts import DEFAULT_NOTIFICATION_WINDOW_HOURS, OwnerMessageAttribute
from domain.owners import (
    DEFAULT_OWNER_EMAIL_TAG_KEYS,
    DEFAULT_SLACK_CHANNEL_TAG_KEYS,
    EmailAddress,
    is_email_address,
)
from domain.results import Severity
from domain.runbook import RUNBOOK_DEFAULT_VERSION
from notifications.channels import DEFAULT_CHANNELS, Channel, EmailChannel, WebhookChannel, channel_named
from notifications.settings import ForwarderChannel


class SettingsError(ValueError):
    """A setting has a bad value; the message names the setting."""


LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
"""Retention periods CloudWatch Logs accepts (up to five years)."""

_LAYER_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$")
_IAM_PRINCIPAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$"
)
"""An IAM role or user ARN (with its path, if any), as `aws:PrincipalArn` gives it; no wildcards."""


class DeploymentSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    max_access_key_age: int = Field(
        default=DEFAULT_MAX_ACCESS_KEY_AGE_DAYS, ge=1, le=3650, alias="maxAccessKeyAge"
    )
    max_credential_usage_age: int | None = Field(default=None, ge=1, le=3650, alias="maxCredentialUsageAge")
    """The runbook's MaxCredentialUsageAge; defaults to maxAccessKeyAge."""
    config_rule_name: str = Field(
        default=DEFAULT_CONFIG_RULE_NAME, pattern=r"^[A-Za-z0-9_-]{1,128}$", alias="configRuleName"
    )
    security_contact_email: EmailAddress = Field(default="security@example.com", alias="securityContactEmail")
    owner_tag_keys: tuple[str, ...] = Field(
        default=DEFAULT_OWNER_EMAIL_TAG_KEYS, min_length=1, alias="ownerTagKeys"
    )
    grace_period_days: int = Field(default=DEFAULT_GRACE_PERIOD_DAYS, ge=0, le=365, alias="gracePeriodDays")
    """Days from a key's first notice to its finding's deadline."""
    # The findings' lifecycle (domain/findings.py): the daily sweep.
    sweep_schedule: str = Field(
        default=DEFAULT_SWEEP_SCHEDULE, pattern=r"^(rate|cron)\(.+\)$", alias="sweepSchedule"
    )
    """EventBridge Scheduler expression of the sweep (`cron(0 6 * * ? *)`: daily at 06:00 UTC)."""
    reminder_days_before_deadline: tuple[int, ...] = Field(
        default=DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE, alias="reminderDaysBeforeDeadline"
    )
    escalation_tag_keys: tuple[str, ...] = Field(
        default=DEFAULT_ESCALATION_TAG_KEYS, alias="escalationTagKeys"
    )
    """User tags whose value (an email address) is told at the deadline, with the security contact."""
    enforce_after_deadline: bool = Field(default=False, alias="enforceAfterDeadline")
    """True: the sweep deactivates a key enforcementDelayDays after its deadline (never an exempt user's
    or one tagged keywarden-enforce=never; in dry-run mode it only records what it would do)."""
    enforcement_delay_days: int = Field(
        default=DEFAULT_ENFORCEMENT_DELAY_DAYS, ge=0, le=365, alias="enforcementDelayDays"
    )
    record_retention_days: int = Field(default=0, ge=0, alias="recordRetentionDays")
    """0 keeps audit items for ever."""
    poll_interval_seconds: int = Field(default=15, ge=1, le=3600, alias="pollIntervalSeconds")
    max_poll_attempts: int = Field(default=40, ge=1, le=1000, alias="maxPollAttempts")
    runbook_version: str = Field(
        default=RUNBOOK_DEFAULT_VERSION, pattern=r"^([1-9][0-9]*|\$DEFAULT|\$LATEST)$", alias="runbookVersion"
    )
    """A document version number (pinned), or `$DEFAULT` / `$LATEST` (whatever AWS ships: unpinned)."""
    max_concurrent_automations: int = Field(
        default=DEFAULT_AUTOMATION_SLOTS, ge=1, le=MAX_AUTOMATION_SLOTS, alias="maxConcurrentAutomations"
    )
    """Automations keywarden keeps started at once per account and region, running or Pending: SSM's
    quota of concurrently running automations there (100 by default; up to 500 with adaptive
    concurrency) plus as many again in SSM's queue (`automation_slots_for`). Beyond, an execution
    waits for a slot (ReserveAutomationSlot) about 6 hours (at most 12), then records DEFERRED; the
    operators hear once per account, region and hour how many users are deferred. Lower it when other
    automations share the account's quota, so that none of theirs is refused because of keywarden."""
    dry_run: bool = Field(default=False, alias="dryRun")
    """True: the workflow predicts, notifies and records DRY_RUN, and changes no key."""
    max_exemption_days: int = Field(
        default=DEFAULT_MAX_EXEMPTION_DAYS, ge=1, le=MAX_EXEMPTION_DAYS_CEILING, alias="maxExemptionDays"
    )
    """Exemptions granted for longer are refused by `keywarden exemptions add` and ignored by the workflow."""
    # Owner notifications: the channels' forwarders (deployment/channel_settings.py adds, per
    # channel, <name>Severities, <name>ForwarderConcurrency and <name>WebhookSecretName).
    notification_channels: tuple[str, ...] = Field(
        default=DEFAULT_CHANNELS, min_length=1, alias="notificationChannels"
    )
    """The channels owners are told through: names of notifications/channels/ (CHANNELS)."""
    channel_settings: dict[str, ChannelSettings] = Field(default_factory=dict, repr=False)
    """Every channel's settings, by name (filled from the per-channel keys; not a context key)."""
    slack_channel_tag_keys: tuple[str, ...] = Field(
        default=DEFAULT_SLACK_CHANNEL_TAG_KEYS, alias="slackChannelTagKeys"
    )
    notification_window_hours: int = Field(
        default=DEFAULT_NOTIFICATION_WINDOW_HOURS, ge=0, le=8760, alias="notificationWindowHours"
    )
    """A repeated event for the same key and result within this window does not notify again."""
    notification_sender_email: EmailAddress = Field(
        default="keywarden@example.com", alias="notificationSenderEmail"
    )
    """The SES-verified address owner emails come from."""
    ses_configuration_set: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", alias="sesConfigurationSet"
    )
    """An SES configuration set owner emails are sent with (event publishing, dedicated IPs)."""

    # --- deployment only (the CDK stack; the sandbox ignores them) ---
    name_prefix: str = Field(default="keywarden", pattern=r"^[a-z][a-z0-9-]{0,23}$", alias="namePrefix")
    """Prefix of every physical name (stack, table, topics, functions); change it to deploy twice."""
    create_config_rule: bool = Field(default=True, alias="createConfigRule")
    """False: use an existing ACCESS_KEYS_ROTATED rule named configRuleName."""
    create_config_recorder: bool = Field(default=False, alias="createConfigRecorder")
    """True only in a region without a recorder: a second recorder fails the deployment."""
    operator_emails: tuple[str, ...] = Field(default=(), alias="operatorEmails")
    """Subscribed by email to the operators' topic (failures, alarms)."""
    owner_notification_emails: tuple[str, ...] = Field(default=(), alias="ownerNotificationEmails")
    """Subscribed by email to the owners' topic (a copy of every owner notification)."""
    create_alarms: bool = Field(default=True, alias="createAlarms")
    exemption_administrator_arns: tuple[str, ...] = Field(default=(), alias="exemptionAdministratorArns")
    """IAM roles/users that alone may write the exemption table (its resource policy denies everyone
    else); empty: IAM policies decide (the exemption administrators' managed policy)."""
    log_retention_days: int = Field(default=365, alias="logRetentionDays")
    create_sender_identity: bool = Field(default=True, alias="createSenderIdentity")
    """False: notificationSenderEmail (or its domain) is already an identity verified in SES."""
    powertools_layer_arn: str | None = Field(default=None, alias="powertoolsLayerArn")
    """Overrides the Powertools layer published for the region (for partitions without it)."""

    @field_validator(
        "owner_tag_keys",
        "operator_emails",
        "owner_notification_emails",
        "slack_channel_tag_keys",
        "notification_channels",
        "exemption_administrator_arns",
        "escalation_tag_keys",
        "reminder_days_before_deadline",
        mode="before",
    )
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
        return split_list(value)

    @model_validator(mode="before")
    @classmethod
    def _channel_settings(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        remaining = dict(values)
        settings, problems = take_channel_settings(remaining)
        if problems:
            raise PydanticCustomError("channel_settings", "{problems}", {"problems": "; ".join(problems)})
        return {**remaining, "channel_settings": settings}

    @field_validator("notification_channels")
    @classmethod
    def _registered_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_channel_names(value)

    @model_validator(mode="after")
    def _one_secret_per_channel(self) -> DeploymentSettings:
        problems = shared_secrets(self.notification_channels, self.channel_settings)
        if problems:
            raise PydanticCustomError("channel_settings", "{problems}", {"problems": "; ".join(problems)})
        return self

    @field_validator("operator_emails", "owner_notification_emails")
    @classmethod
    def _all_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [address for address in value if not is_email_address(address)]
        if bad:
            raise ValueError(f"not email addresses: {', '.join(repr(b) for b in bad)}")
        return value

    @field_validator("exemption_administrator_arns")
    @classmethod
    def _iam_principal_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not _IAM_PRINCIPAL_ARN.fullmatch(arn)]
        if bad:
            raise ValueError(
                f"not IAM role or user ARNs (arn:aws:iam::<account>:role/<name>, no wildcards): "
                f"{', '.join(repr(b) for b in bad)}"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention_cloudwatch_accepts(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return value

    @field_validator("powertools_layer_arn")
    @classmethod
    def _layer_arn(cls, value: str | None) -> str | None:
        if value is not None and not _LAYER_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not a Lambda layer version ARN")
        return value

    @property
    def lifecycle(self) -> LifecyclePolicy:
        """The findings' lifecycle settings (reminderDaysBeforeDeadline validated there)."""
        return LifecyclePolicy(
            grace_period_days=self.grace_period_days,
            reminder_days_before_deadline=self.reminder_days_before_deadline,
            enforce_after_deadline=self.enforce_after_deadline,
            enforcement_delay_days=self.enforcement_delay_days,
        )

    @field_validator("reminder_days_before_deadline")
    @classmethod
    def _reminder_cadence(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        try:
            return LifecyclePolicy(reminder_days_before_deadline=value).reminder_days_before_deadline
        except ValidationError as error:
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from error

    @property
    def credential_usage_age(self) -> int:
        """The runbook's MaxCredentialUsageAge (maxAccessKeyAge unless set)."""
        return self.max_credential_usage_age or self.max_access_key_age

    @classmethod
    def from_context(cls, values: dict[str, Any]) -> DeploymentSettings:
        """Validate settings given by alias; raise SettingsError naming each bad setting."""
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            # Errors of no one field (a channel's keys) name their setting in the message itself.
            problems = [
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
                for e in error.errors()
            ]
            raise SettingsError("invalid keywarden setting: " + "; ".join(problems)) from error

    @property
    def notification_sender_domain(self) -> str:
        """The domain of notificationSenderEmail (SES may have verified it rather than the address)."""
        return self.notification_sender_email.rsplit("@", 1)[1]

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The registry entries of notificationChannels, in their order."""
        return tuple(channel_named(name) for name in self.notification_channels)

    def _channel(self, name: str) -> ChannelSettings:
        channel_named(name)  # UnknownChannelError for a name outside the registry
        return self.channel_settings[name]

    def severities(self, channel: str) -> tuple[Severity, ...]:
        """The severities `channel`'s forwarder receives (`<channel>Severities`)."""
        return self._channel(channel).severities

    def forwarder_concurrency(self, channel: str) -> int:
        """Reserved concurrency of `channel`'s forwarder; 0 reserves none."""
        return self._channel(channel).forwarder_concurrency

    def webhook_secret_name(self, channel: str) -> str:
        """The Secrets Manager secret of a webhook channel (`<channel>WebhookSecretName`)."""
        name = self._channel(channel).webhook_secret_name
        if name is None:
            raise ValueError(f"{channel} is not a webhook channel")
        return name

    def forwarder_environment(self, channel: str) -> dict[str, str]:
        """Environment variables of `channel`'s forwarder (its models in notifications/settings.py)."""
        entry = channel_named(channel)
        forwarder: EnvironmentSettings
        match entry:
            case WebhookChannel():
                forwarder = entry.settings_model(webhook_secret_name=self.webhook_secret_name(channel))
            case EmailChannel():
                forwarder = entry.settings_model(
                    sender=self.notification_sender_email,
                    configuration_set=self.ses_configuration_set or None,
                )
            case _:
                assert_never(entry)
        return {**ForwarderChannel(channel=entry.name).to_environment(), **forwarder.to_environment()}

    def forwarder_filter_policy(self, channel: str) -> dict[str, list[str]]:
        """The owners' topic subscription filter policy of `channel`'s forwarder."""
        return {OwnerMessageAttribute.SEVERITY: sorted(s.value for s in self.severities(channel))}
