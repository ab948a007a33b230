"""The event `keywarden remediate` starts the workflow with: Config's shape, keywarden.cli's source."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from domain.compliance_event import read_compliance_event
from domain.config_rule import DEFAULT_CONFIG_RULE_NAME
from keywarden.findings.cli_event import cli_compliance_event, new_cli_event_id

BOB = "AIDAAAAAAAAAAAAAAAAB1"
AT = datetime(2026, 12, 2, 13, 30, 5, tzinfo=UTC)


def bob_event(rule: str = DEFAULT_CONFIG_RULE_NAME) -> dict[str, object]:
    return cli_compliance_event(
        BOB,
        event_id="cli-00000000-0000-4000-8000-000000000000",
        rule_name=rule,
        account_id="111122223333",
        region="eu-west-1",
        at=AT,
    )


def test_the_event_has_config_s_shape_and_keywarden_cli_s_source() -> None:
    """Given bob's user id, When the CLI builds its event,
    Then it is a Config compliance-change event for him with source keywarden.cli."""
    qualifier = {
        "configRuleName": DEFAULT_CONFIG_RULE_NAME,
        "resourceType": "AWS::IAM::User",
        "resourceId": BOB,
    }
    assert bob_event() == {
        "version": "0",
        "id": "cli-00000000-0000-4000-8000-000000000000",
        "detail-type": "Config Rules Compliance Change",
        "source": "keywarden.cli",
        "account": "111122223333",
        "time": "2026-12-02T13:30:05Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "resourceId": BOB,
            "awsRegion": "eu-west-1",
            "awsAccountId": "111122223333",
            "configRuleName": DEFAULT_CONFIG_RULE_NAME,
            "recordVersion": "1.0",
            "messageType": "ComplianceChangeNotification",
            "newEvaluationResult": {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": qualifier,
                    "orderingTimestamp": "2026-12-02T13:30:05Z",
                },
                "complianceType": "NON_COMPLIANT",
                "resultRecordedTime": "2026-12-02T13:30:05Z",
                "configRuleInvokedTime": "2026-12-02T13:30:05Z",
            },
            "notificationCreationTime": "2026-12-02T13:30:05Z",
            "resourceType": "AWS::IAM::User",
        },
    }


def test_prepare_s_reader_accepts_it() -> None:
    """Given the CLI's event for keywarden's rule, When Prepare's reader reads it,
    Then it is accepted with bob's user, account, region, event id and time."""
    request = read_compliance_event(bob_event(), DEFAULT_CONFIG_RULE_NAME)
    assert request.accepted, request.reason
    assert (request.user_id, request.account_id, request.region, request.event_id) == (
        BOB,
        "111122223333",
        "eu-west-1",
        "cli-00000000-0000-4000-8000-000000000000",
    )
    assert request.event_time == datetime(2026, 12, 2, 13, 30, 5, tzinfo=UTC)


def test_prepare_s_reader_refuses_it_for_another_rule() -> None:
    """Given the CLI's event for another rule, When Prepare's reader reads it,
    Then it is refused, saying why."""
    request = read_compliance_event(bob_event("someone-elses-rule"), DEFAULT_CONFIG_RULE_NAME)
    assert not request.accepted
    assert "is not keywarden's rule" in request.reason


def test_event_ids_are_cli_uuid4_and_valid_execution_names() -> None:
    """Given two new CLI event ids, When compared and checked,
    Then each is cli-<uuid4>, they differ, and each is a valid Step Functions execution name."""
    first, second = new_cli_event_id(), new_cli_event_id()
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(f"cli-{uuid4}", first)
    assert first != second
    # Step Functions execution names: at most 80 characters of letters, digits, - and _
    assert len(first) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first)
