"""The events AWS Config sends to EventBridge when a user's compliance with a rule changes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.config_rule import (
    COMPLIANCE_CHANGE_DETAIL_TYPE,
    CONFIG_EVENT_SOURCE,
    IAM_USER_RESOURCE_TYPE,
    NON_COMPLIANT,
)


def compliance_change_entry(
    user_id: str,
    *,
    rule_name: str,
    account_id: str,
    region: str,
    at: datetime,
    compliance_type: str = NON_COMPLIANT,
    resource_type: str = IAM_USER_RESOURCE_TYPE,
) -> dict[str, Any]:
    """A PutEvents entry shaped like Config's "Config Rules Compliance Change" event."""
    now = at.isoformat().replace("+00:00", "Z")
    qualifier = {"configRuleName": rule_name, "resourceType": resource_type, "resourceId": user_id}
    detail = {
        "resourceId": user_id,
        "awsRegion": region,
        "awsAccountId": account_id,
        "configRuleName": rule_name,
        "recordVersion": "1.0",
        "configRuleARN": f"arn:aws:config:{region}:{account_id}:config-rule/sandbox",
        "messageType": "ComplianceChangeNotification",
        "newEvaluationResult": {
            "evaluationResultIdentifier": {"evaluationResultQualifier": qualifier, "orderingTimestamp": now},
            "complianceType": compliance_type,
            "resultRecordedTime": now,
            "configRuleInvokedTime": now,
        },
        "notificationCreationTime": now,
        "resourceType": resource_type,
    }
    return {
        "Source": CONFIG_EVENT_SOURCE,
        "DetailType": COMPLIANCE_CHANGE_DETAIL_TYPE,
        "Detail": json.dumps(detail),
        "Resources": [],
    }
