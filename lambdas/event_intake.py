"""Step 1: read the workflow's input, and accept only a NON_COMPLIANT IAM user event for our rule."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pydantic import ValidationError

from lambdas.contract import (
    COMPLIANCE_CHANGE_DETAIL_TYPE,
    CONFIG_EVENT_SOURCE,
    IAM_USER_RESOURCE_TYPE,
    NON_COMPLIANT,
)
from lambdas.models import ComplianceChangeEvent, RemediationRequest

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
        (event.source == CONFIG_EVENT_SOURCE, f"source is {event.source!r}, not {CONFIG_EVENT_SOURCE!r}"),
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
