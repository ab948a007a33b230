"""The event `keywarden remediate --user` starts the remediation workflow with.

Config's own "Config Rules Compliance Change" event, as EventBridge delivers it to a target
(the envelope: version, id, detail-type, source, account, time, region, resources, detail), with
source `keywarden.cli` (domain/config_rule.py CLI_EVENT_SOURCE, which Prepare accepts) and id
`cli-<uuid4>`. It is started directly with StartExecution, never put on a bus: AWS refuses
PutEvents from any source but one's own, and the rule matches Config's source alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from domain.config_rule import (
    CLI_EVENT_SOURCE,
    COMPLIANCE_CHANGE_DETAIL_TYPE,
    IAM_USER_RESOURCE_TYPE,
    NON_COMPLIANT,
)

CLI_EVENT_ID_PREFIX = "cli-"


def new_cli_event_id() -> str:
    """`cli-<uuid4>`: 40 characters, also a valid Step Functions execution name."""
    return f"{CLI_EVENT_ID_PREFIX}{uuid.uuid4()}"


def _event_time(moment: datetime) -> str:
    """EventBridge's `time`: UTC to the second, `Z` (2026-12-02T13:30:00Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cli_compliance_event(
    user_id: str,
    *,
    event_id: str,
    rule_name: str,
    account_id: str,
    region: str,
    at: datetime,
    user_name: str,
) -> dict[str, Any]:
    """A NON_COMPLIANT compliance-change event for `user_id`, as the workflow's input."""
    now = _event_time(at)
    qualifier = {"configRuleName": rule_name, "resourceType": IAM_USER_RESOURCE_TYPE, "resourceId": user_id}
    return {
        "version": "0",
        "id": event_id,
        "detail-type": COMPLIANCE_CHANGE_DETAIL_TYPE,
        "source": CLI_EVENT_SOURCE,
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
                    "orderingTimestamp": now,
                },
                "complianceType": NON_COMPLIANT,
                "resultRecordedTime": now,
                "configRuleInvokedTime": now,
                "annotation": f"keywarden remediate --user {user_name}",
            },
            "notificationCreationTime": now,
            "resourceType": IAM_USER_RESOURCE_TYPE,
        },
    }
