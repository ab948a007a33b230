"""Finding the flagged user as the runbook does: Config's inventory by unique id, then IAM by name.

Real boto3 Config and IAM clients answered by botocore's Stubber: every call is checked against the
services' models, and an unexpected call fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from domain.config_inventory import records_iam_users
from domain.results import RemediationOutcome
from lambdas.user_lookup import find_user, lookup_in_config
from tests.factories import NOW, USER_ID, iam_user, key, login_profile
from tests.unit.fakes import offline_client, stub_config_inventory, stub_iam_user

BOB = iam_user(
    [key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120, last_used_days_ago=100)],
    tags={"owner-email": "bob@example.com"},
    profile=login_profile(200, 150),
)
IN_INVENTORY = {"resourceType": "AWS::IAM::User", "resourceId": USER_ID, "resourceName": "bob"}

ALL_WITH_GLOBAL = {"allSupported": True, "includeGlobalResourceTypes": True}
ALL_WITHOUT_GLOBAL = {"allSupported": True, "includeGlobalResourceTypes": False}
INCLUDING_USERS = {
    "allSupported": False,
    "resourceTypes": ["AWS::IAM::User", "AWS::IAM::Role"],
    "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
}
INCLUDING_OTHERS = {
    "allSupported": False,
    "resourceTypes": ["AWS::EC2::Instance"],
    "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
}
EXCLUDING_USERS = {
    "allSupported": False,
    "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::User"]},
    "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
}
EXCLUDING_OTHERS = {
    "allSupported": False,
    "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]},
    "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
}


@pytest.fixture
def config() -> Iterator[tuple[Any, Stubber]]:
    client = offline_client("config")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    client = offline_client("iam")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def stub_recorder(stub: Stubber, group: dict[str, Any], recording: bool = True) -> None:
    """The region's configuration recorder and whether it runs."""
    recorder = {
        "name": "default",
        "roleARN": "arn:aws:iam::111122223333:role/config",
        "recordingGroup": group,
    }
    stub.add_response("describe_configuration_recorders", {"ConfigurationRecorders": [recorder]}, {})
    status = {"name": "default", "recording": recording, "lastStatus": "SUCCESS" if recording else "PENDING"}
    stub.add_response(
        "describe_configuration_recorder_status", {"ConfigurationRecordersStatus": [status]}, {}
    )


@pytest.mark.parametrize(
    ("group", "recorded"),
    [
        (ALL_WITH_GLOBAL, True),
        (ALL_WITHOUT_GLOBAL, False),
        (INCLUDING_USERS, True),
        (INCLUDING_OTHERS, False),
        (EXCLUDING_USERS, False),
        (EXCLUDING_OTHERS, True),
    ],
    ids=[
        "all+global",
        "all-global",
        "including-users",
        "including-others",
        "excluding-users",
        "excluding-others",
    ],
)
def test_which_recording_groups_record_iam_users(group: dict[str, Any], recorded: bool) -> None:
    """Given a configuration recorder's recording group,
    When asked whether it records AWS::IAM::User,
    Then only all types with global ones, an inclusion list with it, or an exclusion list without it do."""
    assert records_iam_users({"recordingGroup": group}) is recorded


def test_a_user_in_the_inventory_is_found_and_snapshotted(
    config: tuple[Any, Stubber], iam: tuple[Any, Stubber]
) -> None:
    """Given Config's inventory names the user bob and IAM has bob with that id,
    When the user is looked up,
    Then the lookup is found and the snapshot holds bob's tags, key (with its last use) and password."""
    stub_config_inventory(config[1], USER_ID, [IN_INVENTORY])
    stub_iam_user(iam[1], BOB)
    lookup, before = find_user(config[0], iam[0], USER_ID, "eu-west-1", NOW)
    assert (lookup.found, lookup.user_name, lookup.reason) == (True, "bob", "found in AWS Config's inventory")
    assert before is not None
    assert before.user == BOB


def test_a_deleted_user_is_not_found_and_iam_is_not_asked(
    config: tuple[Any, Stubber], iam: tuple[Any, Stubber]
) -> None:
    """Given Config's inventory records bob's deletion,
    When the user is looked up,
    Then it is USER_NOT_FOUND with the deletion time, and IAM is never asked."""
    deleted = {**IN_INVENTORY, "resourceDeletionTime": datetime(2026, 11, 20, 10, 0, tzinfo=UTC)}
    stub_config_inventory(config[1], USER_ID, [deleted])
    lookup, before = find_user(config[0], iam[0], USER_ID, "eu-west-1", NOW)
    assert (lookup.outcome, before) == (RemediationOutcome.USER_NOT_FOUND, None)
    assert lookup.reason == (
        f"IAM user {USER_ID} was deleted on 2026-11-20T10:00:00+00:00 (AWS Config's inventory); "
        "nothing to remediate"
    )


@pytest.mark.parametrize(
    "group",
    [ALL_WITHOUT_GLOBAL, INCLUDING_OTHERS, EXCLUDING_USERS],
    ids=["all-global", "inclusion", "exclusion"],
)
def test_a_region_that_does_not_record_iam_users_is_failed_with_the_remedy(
    config: tuple[Any, Stubber], group: dict[str, Any]
) -> None:
    """Given a recorder whose recording group leaves out AWS::IAM::User,
    When the user is not in the inventory,
    Then the lookup is FAILED, says the runbook would fail, and gives the remedy."""
    stub_config_inventory(config[1], USER_ID, [])
    stub_recorder(config[1], group)
    lookup = lookup_in_config(config[0], USER_ID, "eu-west-1")
    assert lookup.outcome is RemediationOutcome.FAILED
    assert lookup.reason.startswith("AWS Config does not record AWS::IAM::User in eu-west-1: the runbook ")
    assert lookup.reason.endswith(
        "Remedy: record AWS::IAM::User in the configuration recorder of eu-west-1 (IAM is global: include "
        "global resource types, or name the type in the recording group)"
    )


def test_a_stopped_recorder_is_failed_with_the_remedy(config: tuple[Any, Stubber]) -> None:
    """Given a recorder that records IAM users but is stopped,
    When the user is not in the inventory,
    Then the lookup is FAILED: start the recorder."""
    stub_config_inventory(config[1], USER_ID, [])
    stub_recorder(config[1], ALL_WITH_GLOBAL, recording=False)
    lookup = lookup_in_config(config[0], USER_ID, "eu-west-1")
    assert lookup.outcome is RemediationOutcome.FAILED
    assert lookup.reason == (
        "AWS Config's recorder in eu-west-1 is stopped: the runbook AWSConfigRemediation-"
        "RevokeUnusedIAMUserCredentials finds users in AWS Config's inventory and would fail. "
        "Remedy: start the recorder"
    )


def test_a_user_not_yet_discovered_is_failed_until_the_next_sweep(config: tuple[Any, Stubber]) -> None:
    """Given a running recorder that records IAM users,
    When the user is not in the inventory yet,
    Then the lookup is FAILED: wait for Config to discover it."""
    stub_config_inventory(config[1], USER_ID, [])
    stub_recorder(config[1], INCLUDING_USERS)
    lookup = lookup_in_config(config[0], USER_ID, "eu-west-1")
    assert lookup.outcome is RemediationOutcome.FAILED
    assert f"AWS Config has not discovered IAM user {USER_ID} in eu-west-1 yet" in lookup.reason
    assert lookup.reason.endswith("Remedy: wait for Config to discover it (the next sweep retries)")


def test_a_name_iam_no_longer_knows_is_user_not_found(
    config: tuple[Any, Stubber], iam: tuple[Any, Stubber]
) -> None:
    """Given Config's inventory still names bob,
    When IAM answers NoSuchEntity for bob,
    Then the user is USER_NOT_FOUND: deleted since Config last looked."""
    stub_config_inventory(config[1], USER_ID, [IN_INVENTORY])
    iam[1].add_client_error(
        "get_user", "NoSuchEntity", http_status_code=404, expected_params={"UserName": "bob"}
    )
    lookup, before = find_user(config[0], iam[0], USER_ID, "eu-west-1", NOW)
    assert lookup.outcome is RemediationOutcome.USER_NOT_FOUND
    assert lookup.reason.startswith(f"AWS Config knows IAM user {USER_ID} as 'bob', but IAM has no such user")
    assert before is not None
    assert not before.found


def test_a_name_reused_by_another_user_is_user_not_found(
    config: tuple[Any, Stubber], iam: tuple[Any, Stubber]
) -> None:
    """Given Config's inventory names bob for the flagged id,
    When IAM's bob now has another unique id (deleted and created again),
    Then the flagged user is USER_NOT_FOUND, and the new bob's keys are never read."""
    stub_config_inventory(config[1], USER_ID, [IN_INVENTORY])
    new_bob = {
        "Path": "/",
        "UserName": "bob",
        "UserId": "AIDANEWBOB0000000001",
        "Arn": BOB.arn,
        "CreateDate": NOW,
    }
    iam[1].add_response("get_user", {"User": new_bob}, {"UserName": "bob"})  # nothing else: no other call
    lookup, before = find_user(config[0], iam[0], USER_ID, "eu-west-1", NOW)
    assert lookup.outcome is RemediationOutcome.USER_NOT_FOUND
    assert "(or its name was reused by another user)" in lookup.reason
    assert before is not None
    assert (before.found, before.user) == (False, None)
