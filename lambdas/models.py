"""Typed shapes of what flows through the workflow: the Config event, snapshots, results."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from lambdas.contract import KeyResult, PasswordResult, RemediationOutcome


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- The AWS Config compliance-change event ----------------------------------------------


class _ConfigShape(BaseModel):
    """Config's event fields are camelCase; accept them and expose snake_case."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        alias_generator=lambda name: "".join(
            part if i == 0 else part.capitalize() for i, part in enumerate(name.split("_"))
        ),
    )


class EvaluationResultQualifier(_ConfigShape):
    config_rule_name: str
    resource_type: str
    resource_id: str


class EvaluationResultIdentifier(_ConfigShape):
    evaluation_result_qualifier: EvaluationResultQualifier
    ordering_timestamp: datetime | None = None


class EvaluationResult(_ConfigShape):
    compliance_type: str
    evaluation_result_identifier: EvaluationResultIdentifier | None = None
    result_recorded_time: datetime | None = None
    annotation: str | None = None


class ComplianceChangeDetail(_ConfigShape):
    resource_id: str
    resource_type: str
    config_rule_name: str
    aws_account_id: str | None = None
    aws_region: str | None = None
    config_rule_arn: str | None = Field(default=None, alias="configRuleARN")
    message_type: str | None = None
    new_evaluation_result: EvaluationResult
    old_evaluation_result: EvaluationResult | None = None


class ComplianceChangeEvent(EventBridgeModel):
    """An EventBridge "Config Rules Compliance Change" event."""

    detail: ComplianceChangeDetail


class RemediationRequest(FrozenModel):
    """The workflow's reading of its input: accepted for remediation, or rejected with a reason."""

    accepted: bool
    reason: str = ""
    user_id: str | None = None
    account_id: str | None = None
    region: str | None = None
    rule_name: str | None = None
    event_id: str | None = None
    event_time: AwareDatetime | None = None


# --- IAM snapshots ------------------------------------------------------------------------


class KeyStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    EXPIRED = "Expired"


class AccessKeySnapshot(FrozenModel):
    access_key_id: str
    status: KeyStatus
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


class LoginProfileSnapshot(FrozenModel):
    created_at: AwareDatetime
    password_last_used_at: AwareDatetime | None = None


class UserSnapshot(FrozenModel):
    user_id: str
    user_name: str
    arn: str
    tags: dict[str, str] = Field(default_factory=dict)
    access_keys: tuple[AccessKeySnapshot, ...] = ()
    login_profile: LoginProfileSnapshot | None = None

    def key(self, access_key_id: str) -> AccessKeySnapshot | None:
        return next((k for k in self.access_keys if k.access_key_id == access_key_id), None)


class SnapshotResult(FrozenModel):
    """A user's credentials at one moment; `user` is None when the user does not exist."""

    found: bool
    taken_at: AwareDatetime
    user: UserSnapshot | None = None


# --- The automation ----------------------------------------------------------------------


class AutomationExecution(FrozenModel):
    """The part of ssm:GetAutomationExecution's answer that keywarden reads."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    automation_execution_id: str = Field(alias="AutomationExecutionId")
    status: str = Field(alias="AutomationExecutionStatus")
    failure_message: str | None = Field(default=None, alias="FailureMessage")
    execution_start_time: AwareDatetime | None = Field(default=None, alias="ExecutionStartTime")
    execution_end_time: AwareDatetime | None = Field(default=None, alias="ExecutionEndTime")
    outputs: dict[str, list[str]] = Field(default_factory=dict, alias="Outputs")


class PollProgress(FrozenModel):
    count: int
    max: int
    interval_seconds: int


class LastPoll(FrozenModel):
    status: str
    execution: AutomationExecution


class AutomationProgress(FrozenModel):
    """What the workflow knows about the automation it started."""

    execution_id: str
    poll: PollProgress
    last_poll: LastPoll | None = None


# --- The evaluation ----------------------------------------------------------------------


class KeyOutcome(FrozenModel):
    """One access key's result, with the facts an owner or an auditor needs."""

    access_key_id: str
    result: KeyResult
    status_before: KeyStatus
    status_after: KeyStatus | None
    created_at: AwareDatetime
    age_days: int
    last_used_at: AwareDatetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None
    days_since_last_use: int | None = None


class OwnerContact(FrozenModel):
    email: str
    source: str
    """Where the address came from: `tag:<key>`, or `fallback` (with the reason)."""
    slack_channel: str | None = None
    """`#name` or a channel id from the user's tags; None: the default channel."""
    slack_channel_source: str | None = None
    """`tag:<key>`, or `default channel` (with the reason); None when no channel tag is configured."""

    @property
    def email_is_fallback(self) -> bool:
        """True when no valid owner address was tagged and the fallback contact is used."""
        return self.source.startswith("fallback")


class OwnerNotification(FrozenModel):
    """An SNS message for the owners' topic."""

    subject: str
    text: str
    """The readable body (what an inbox or an email subscription shows)."""
    message: str
    """The SNS message, published with MessageStructure=json: `default` and `email` carry `text`,
    `lambda` carries the structured facts the Slack and email forwarders render."""
    attributes: dict[str, dict[str, str]]


class NotificationClaim(FrozenModel):
    """A conditional DynamoDB UpdateItem on the notification-state table for one credential.

    It succeeds when the owner was not told about this result within the window; the workflow
    notifies when at least one claim succeeds, and releases its claims if the publish fails.
    """

    key: dict[str, dict[str, str]]
    update_expression: str
    condition_expression: str
    attribute_names: dict[str, str]
    attribute_values: dict[str, dict[str, str]]
    release_expression: str
    release_condition: str
    release_values: dict[str, dict[str, str]]


class OperatorAlert(FrozenModel):
    subject: str
    message: str


class Evaluation(FrozenModel):
    """What the Evaluate step returns to the workflow."""

    outcome: RemediationOutcome
    reason: str
    user_name: str | None
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    password_deleted: bool
    notify_owner: bool
    notification: OwnerNotification | None
    notification_claims: list[NotificationClaim] = Field(default_factory=list)
    """One per notified credential; empty when nobody is notified."""
    duplicate_notice: str | None = None
    """Recorded in the audit items when every claim fails: why the owner was not told again."""
    operator_alert: OperatorAlert | None
    record_items: list[dict[str, Any]]
    """Audit items in DynamoDB attribute-value form, ready for dynamodb:putItem."""

    @field_validator("record_items")
    @classmethod
    def _non_empty(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not items:
            raise ValueError("an evaluation always records at least one item")
        return items
