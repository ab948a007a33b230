"""Config's compliance-change event, and the workflow's first step: accept only a NON_COMPLIANT
IAM user event for keywarden's rule, or reject it with a reason a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from domain.config_rule import (
    COMPLIANCE_CHANGE_DETAIL_TYPE,
    IAM_USER_RESOURCE_TYPE,
    NON_COMPLIANT,
    REMEDIATION_EVENT_SOURCES,
)
from domain.frozen import FrozenModel


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


IAM_USER_ID_PREFIX = "AIDA"


def _validation_summary(error: ValidationError) -> str:
    problems = [f"{'.'.join(str(part) for part in e['loc']) or 'event'}: {e['msg']}" for e in error.errors()]
    shown = "; ".join(problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return f"not a Config compliance-change event: {shown}{more}"


def read_compliance_event(raw: Any, config_rule_name: str) -> RemediationRequest:
    """Accept the event, or reject it with a reason a person can act on."""
    try:
        event = ComplianceChangeEvent.model_validate(raw)
    except ValidationError as error:
        return RemediationRequest(accepted=False, reason=_validation_summary(error))

    detail = event.detail
    checks = [
        (
            event.source in REMEDIATION_EVENT_SOURCES,
            f"source is {event.source!r}, not one of {', '.join(REMEDIATION_EVENT_SOURCES)}",
        ),
        (
            event.detail_type == COMPLIANCE_CHANGE_DETAIL_TYPE,
            f"detail-type is {event.detail_type!r}, not {COMPLIANCE_CHANGE_DETAIL_TYPE!r}",
        ),
        (
            detail.config_rule_name == config_rule_name,
            f"rule {detail.config_rule_name!r} is not keywarden's rule {config_rule_name!r}",
        ),
        (
            detail.resource_type == IAM_USER_RESOURCE_TYPE,
            f"resource type {detail.resource_type!r} is not {IAM_USER_RESOURCE_TYPE}",
        ),
        (
            detail.new_evaluation_result.compliance_type == NON_COMPLIANT,
            f"compliance type is {detail.new_evaluation_result.compliance_type!r}, not {NON_COMPLIANT}",
        ),
        (
            detail.resource_id.startswith(IAM_USER_ID_PREFIX),
            f"resource id {detail.resource_id!r} is not an IAM user unique id (AIDA...)",
        ),
    ]
    failed = [reason for ok, reason in checks if not ok]
    return RemediationRequest(
        accepted=not failed,
        reason="; ".join(failed) if failed else "NON_COMPLIANT IAM user event",
        user_id=detail.resource_id,
        account_id=detail.aws_account_id or event.account,
        region=detail.aws_region or event.region,
        rule_name=detail.config_rule_name,
        event_id=event.id,
        event_time=event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC),
    )


def compliance_change_event(
    user_id: str,
    *,
    source: str,
    event_id: str,
    rule_name: str,
    account_id: str,
    region: str,
    at: datetime,
    recorded_at: datetime | None = None,
) -> dict[str, Any]:
    """A "Config Rules Compliance Change" event for a user Config flags, in the shape EventBridge
    delivers Config's (the envelope and Config's detail), written by keywarden itself: `source` is
    SWEEP_EVENT_SOURCE or CLI_EVENT_SOURCE and the remediation workflow is started with it directly.
    `recorded_at` is when Config recorded the NON_COMPLIANT result (default: `at`). Config's
    configRuleARN is left out: keywarden reads its rule by name only."""
    now = _event_time(at)
    recorded = _event_time(recorded_at or at)
    qualifier = {"configRuleName": rule_name, "resourceType": IAM_USER_RESOURCE_TYPE, "resourceId": user_id}
    return {
        "version": "0",
        "id": event_id,
        "detail-type": COMPLIANCE_CHANGE_DETAIL_TYPE,
        "source": source,
        "account": account_id,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {
            "resourceId": user_id,
            "awsRegion": region,
            "awsAccountId": account_id,
            "configRuleName": rule_name,
            "recordVersion": "1.0",
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": qualifier,
                    "orderingTimestamp": recorded,
                },
                "complianceType": NON_COMPLIANT,
                "resultRecordedTime": recorded,
                "configRuleInvokedTime": recorded,
            },
            "notificationCreationTime": now,
            "resourceType": IAM_USER_RESOURCE_TYPE,
        },
    }


def _event_time(moment: datetime) -> str:
    """EventBridge's and Config's timestamps: UTC, `Z` (2026-11-28T12:00:00Z, milliseconds if any)."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{utc.microsecond // 1000:03d}Z" if utc.microsecond else f"{text}Z"
