"""Step 1: only a NON_COMPLIANT IAM user event for keywarden's rule is accepted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.compliance_event import read_compliance_event
from tests.factories import compliance_event

RULE = "keywarden-access-keys-rotated"


def test_a_non_compliant_iam_user_event_is_accepted_with_its_facts() -> None:
    # Given a NON_COMPLIANT Config event for an IAM user, When it is read
    request = read_compliance_event(compliance_event(user_id="AIDAEXAMPLEUSERID0042"), RULE)

    # Then it is accepted with the user, account, region, rule, event id and time
    assert request.accepted
    assert request.user_id == "AIDAEXAMPLEUSERID0042"
    assert (request.account_id, request.region, request.rule_name) == ("111122223333", "eu-west-1", RULE)
    assert request.event_id == "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    assert request.event_time == datetime(2026, 11, 28, 11, 58, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"compliance_type": "COMPLIANT"}, "compliance type is 'COMPLIANT', not NON_COMPLIANT"),
        ({"compliance_type": "NOT_APPLICABLE"}, "compliance type is 'NOT_APPLICABLE'"),
        ({"rule_name": "s3-bucket-logging"}, "rule 's3-bucket-logging' is not keywarden's rule"),
        ({"resource_type": "AWS::IAM::Role"}, "resource type 'AWS::IAM::Role' is not AWS::IAM::User"),
        ({"user_id": "AROAEXAMPLEROLEID0001"}, "is not an IAM user unique id"),
    ],
)
def test_other_events_are_rejected_with_a_reason(change: dict[str, str], reason: str) -> None:
    # Given an event that differs in one way, When it is read
    request = read_compliance_event(compliance_event(**change), RULE)

    # Then it is rejected, saying why
    assert not request.accepted
    assert reason in request.reason


def test_several_problems_are_all_named() -> None:
    # Given an event wrong in two ways, When it is read
    request = read_compliance_event(
        compliance_event(compliance_type="COMPLIANT", resource_type="AWS::S3::Bucket"), RULE
    )

    # Then the reason names both
    assert "compliance type" in request.reason
    assert "resource type" in request.reason


def test_another_source_is_rejected() -> None:
    # Given an event from another source
    event = compliance_event() | {"source": "my.app"}

    # When it is read, Then the reason names the source
    assert "source is 'my.app'" in read_compliance_event(event, RULE).reason


@pytest.mark.parametrize(
    ("event", "where"),
    [
        (None, "event"),
        ({}, "(and 4 more)"),
        ({**compliance_event(), "detail": {"resourceId": "AIDAX"}}, "detail.resourceType"),
        ({**compliance_event(), "time": "yesterday"}, "time"),
    ],
)
def test_malformed_input_is_rejected_and_says_where(event: object, where: str) -> None:
    # Given input that is not a well-formed event, When it is read
    request = read_compliance_event(event, RULE)

    # Then it is rejected, saying where it is malformed
    assert not request.accepted
    assert request.reason.startswith("not a Config compliance-change event")
    assert where in request.reason
