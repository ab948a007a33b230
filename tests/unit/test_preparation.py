"""The Prepare step (lambdas.preparation.prepare_remediation): what to do with the flagged user.

Real boto3 clients for Config, IAM and the exemption table, answered by botocore's Stubber: a
Stubber with nothing queued fails on any call, so "no AWS call" is proved, not assumed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from domain.exemptions import Exemption, exemption_to_item
from domain.preparation import Preparation, PreparedAction
from domain.results import RemediationOutcome
from lambdas.preparation import PreparePorts, PrepareRequest, prepare_remediation
from lambdas.settings import PrepareSettings
from tests.factories import NOW, USER_ID, compliance_event, iam_user, key, prepare_settings
from tests.unit.fakes import (
    RECORDS_IAM_USERS,
    FakeCoordination,
    offline_client,
    offline_table,
    stub_config_inventory,
    stub_iam_user,
)

BOB = iam_user([key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120)], tags={"owner-email": "bob@example.com"})
IN_INVENTORY = {"resourceType": "AWS::IAM::User", "resourceId": USER_ID, "resourceName": "bob"}
EXEMPTION = Exemption(
    user="bob",
    reason="break-glass account",
    added_by="arn:aws:iam::111122223333:role/SecurityAdmin",
    added_at=NOW - timedelta(days=2),
    expires_at=NOW + timedelta(days=20),
)


@dataclass
class Stubbed:
    """Prepare's ports as real boto3 clients, each with its Stubber."""

    ports: PreparePorts
    config: Stubber
    iam: Stubber
    exemptions: Stubber

    def exemption_table_holds(self, *exemptions: Exemption) -> None:
        items = [{k: {"S": v} for k, v in exemption_to_item(e).items()} for e in exemptions]
        self.exemptions.add_response(
            "scan", {"Items": items}, {"TableName": "keywarden-exemptions", "ConsistentRead": True}
        )

    def user_found(self, user: Any = BOB) -> None:
        stub_config_inventory(self.config, USER_ID, [IN_INVENTORY])
        stub_iam_user(self.iam, user)


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    config, iam, table = (
        offline_client("config"),
        offline_client("iam"),
        offline_table("keywarden-exemptions"),
    )
    with Stubber(config) as c, Stubber(iam) as i, Stubber(table.meta.client) as e:
        yield Stubbed(
            PreparePorts(config=config, iam=iam, exemptions=table, coordination=FakeCoordination()), c, i, e
        )
        for stub in (c, i, e):
            stub.assert_no_pending_responses()


def run(aws: Stubbed, event: Any = None, settings: PrepareSettings | None = None) -> Preparation:
    request = PrepareRequest(
        event=compliance_event() if event is None else event, execution_name="run-1", prepared_at=NOW
    )
    return prepare_remediation(request, settings or prepare_settings(), aws.ports)


def test_a_flagged_user_without_exemption_is_remediated(aws: Stubbed) -> None:
    """Given Config and IAM know bob and no exemption names him,
    When Prepare runs,
    Then the action is REMEDIATE, with bob's snapshot for Conclude to compare."""
    aws.user_found()
    aws.exemption_table_holds()
    preparation = run(aws)
    assert preparation.action is PreparedAction.REMEDIATE
    assert preparation.request.user_id == USER_ID
    assert preparation.before is not None
    assert preparation.before.user == BOB
    assert preparation.decision is not None
    assert preparation.decision.reason == "remediate"


def test_an_exempt_user_is_left_alone(aws: Stubbed) -> None:
    """Given an active exemption for bob in the exemption table,
    When Prepare runs,
    Then the action is EXEMPT, with the exemption as the reason."""
    aws.user_found()
    aws.exemption_table_holds(EXEMPTION)
    preparation = run(aws)
    assert preparation.action is PreparedAction.EXEMPT
    assert preparation.decision is not None
    assert preparation.decision.exemption == EXEMPTION
    assert preparation.decision.reason.startswith(
        "exempt until 2026-12-18 12:00 UTC by 'bob': break-glass account"
    )


def test_dry_run_mode_only_predicts(aws: Stubbed) -> None:
    """Given dry-run mode, When Prepare runs for bob, Then the action is DRY_RUN."""
    aws.user_found()
    aws.exemption_table_holds()
    preparation = run(aws, settings=prepare_settings(dry_run=True))
    assert preparation.action is PreparedAction.DRY_RUN
    assert preparation.decision is not None
    assert preparation.decision.reason == "dry-run mode: nothing is changed"


def test_an_expired_exemption_does_not_stop_the_remediation(aws: Stubbed) -> None:
    """Given bob's only exemption expired yesterday,
    When Prepare runs,
    Then bob is remediated, and the decision notes the expired exemption."""
    aws.user_found()
    aws.exemption_table_holds(EXEMPTION.model_copy(update={"expires_at": NOW - timedelta(days=1)}))
    preparation = run(aws)
    assert preparation.action is PreparedAction.REMEDIATE
    assert preparation.decision is not None
    assert preparation.decision.notes == (
        "exemption 'bob' (break-glass account) expired on 2026-11-27 12:00 UTC and no longer applies",
    )


def test_a_malformed_exemption_stops_prepare(aws: Stubbed) -> None:
    """Given an exemption item without an expiry,
    When Prepare reads the exemptions,
    Then Prepare fails (the workflow records FAILED) rather than silently remediating a protected user."""
    aws.user_found()
    aws.exemptions.add_response("scan", {"Items": [{"user": {"S": "bob"}, "reason": {"S": "forever"}}]})
    with pytest.raises(ValidationError, match="expires_at"):
        run(aws)


@pytest.mark.parametrize(
    "event",
    [
        compliance_event(compliance_type="COMPLIANT"),
        compliance_event(rule_name="someone-elses-rule"),
        "not JSON",
    ],
    ids=["compliant", "other-rule", "not-an-event"],
)
def test_a_rejected_event_is_only_recorded_without_any_aws_call(aws: Stubbed, event: Any) -> None:
    """Given an event keywarden must not act on,
    When Prepare runs,
    Then the action is RECORD_ONLY with the rejection's reason, and neither Config, IAM nor the exemption
    table is called (their Stubbers have nothing queued and would fail on any call)."""
    preparation = run(aws, event)
    assert preparation.action is PreparedAction.RECORD_ONLY
    assert not preparation.request.accepted
    assert (preparation.lookup, preparation.before, preparation.decision) == (None, None, None)


def test_a_deleted_user_is_only_recorded(aws: Stubbed) -> None:
    """Given Config's inventory records the user's deletion,
    When Prepare runs,
    Then the action is RECORD_ONLY with USER_NOT_FOUND, and neither IAM nor the exemptions are read."""
    deleted = {**IN_INVENTORY, "resourceDeletionTime": datetime(2026, 11, 20, 10, 0, tzinfo=UTC)}
    stub_config_inventory(aws.config, USER_ID, [deleted])
    preparation = run(aws)
    assert preparation.action is PreparedAction.RECORD_ONLY
    assert preparation.lookup is not None
    assert preparation.lookup.outcome is RemediationOutcome.USER_NOT_FOUND


def test_a_user_unknown_to_config_is_only_recorded_with_the_remedy(aws: Stubbed) -> None:
    """Given Config's recorder in the region does not record IAM users,
    When Prepare runs,
    Then the action is RECORD_ONLY with FAILED and the remedy; no automation could find the user."""
    stub_config_inventory(aws.config, USER_ID, [])
    recorder = {
        "name": "default",
        "recordingGroup": {**RECORDS_IAM_USERS, "includeGlobalResourceTypes": False},
    }
    aws.config.add_response("describe_configuration_recorders", {"ConfigurationRecorders": [recorder]})
    aws.config.add_response(
        "describe_configuration_recorder_status",
        {"ConfigurationRecordersStatus": [{"name": "default", "recording": True}]},
    )
    preparation = run(aws)
    assert preparation.action is PreparedAction.RECORD_ONLY
    assert preparation.lookup is not None
    assert preparation.lookup.outcome is RemediationOutcome.FAILED
    assert (
        "Remedy: record AWS::IAM::User in the configuration recorder of eu-west-1"
        in preparation.lookup.reason
    )


def test_a_user_gone_from_iam_is_only_recorded(aws: Stubbed) -> None:
    """Given Config's inventory names bob,
    When IAM has no bob any more,
    Then the action is RECORD_ONLY with USER_NOT_FOUND, and the exemptions are not read."""
    stub_config_inventory(aws.config, USER_ID, [IN_INVENTORY])
    aws.iam.add_client_error("get_user", "NoSuchEntity", http_status_code=404)
    preparation = run(aws)
    assert preparation.action is PreparedAction.RECORD_ONLY
    assert preparation.lookup is not None
    assert preparation.lookup.outcome is RemediationOutcome.USER_NOT_FOUND
    assert preparation.before is not None
    assert not preparation.before.found
