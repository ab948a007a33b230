"""AWS Config in the sandbox: its recorder, and its inventory of IAM users, through Config's API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from keywarden.sandbox import Sandbox
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.fixtures.iam_users import delete_user
from keywarden.scenario import Scenario
from keywarden.simulation import run_scenario_in
from tests.e2e.config_listing import IAM_USER, listed, user

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
"""The sandbox's simulated time starts here, far from the real time, so that a real clock shows."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=VirtualClock(START)) as running:
        yield running


def test_a_created_user_is_discovered_under_its_unique_id_with_its_name(sandbox: Sandbox) -> None:
    """Given Config records IAM users, When a user is created, Then ListDiscoveredResources with its
    unique id answers exactly that user, named (what the runbook's script reads: [0].resourceName)."""
    alice = sandbox.add_user(user("alice"))
    assert alice.user_id.startswith("AIDA")
    assert listed(sandbox, resourceIds=[alice.user_id]) == [
        {"resourceType": IAM_USER, "resourceId": alice.user_id, "resourceName": "alice"}
    ]
    assert listed(sandbox, resourceName="alice") == listed(sandbox, resourceIds=[alice.user_id])


def test_a_user_config_has_not_discovered_is_not_listed(sandbox: Sandbox) -> None:
    """Given a user with discovered_by_config false, When Config is asked for IAM users,
    Then it lists nothing for its id, nor for its name, and the full listing does not have it;
    IAM has it all the same."""
    hidden = sandbox.add_user(user("hidden", discovered_by_config=False))
    assert listed(sandbox, resourceIds=[hidden.user_id]) == []
    assert listed(sandbox, resourceName="hidden") == []
    assert hidden.user_id not in {i["resourceId"] for i in listed(sandbox)}
    assert sandbox.client("iam").get_user(UserName="hidden")["User"]["UserId"] == hidden.user_id


def test_a_deleted_user_is_listed_only_with_include_deleted_resources(sandbox: Sandbox) -> None:
    """Given a discovered user deleted an hour into the run, When Config is asked for it,
    Then it is listed no more, except with includeDeletedResources, where it carries the deletion time."""
    gone = sandbox.add_user(user("gone"))
    sandbox.clock.advance(3600)
    deleted_at = sandbox.clock.now()
    assert deleted_at >= START + timedelta(hours=1)
    delete_user("gone", sandbox.region)
    assert listed(sandbox, resourceIds=[gone.user_id]) == []
    [identifier] = listed(sandbox, resourceIds=[gone.user_id], includeDeletedResources=True)
    assert identifier == {
        "resourceType": IAM_USER,
        "resourceId": gone.user_id,
        "resourceName": "gone",
        "resourceDeletionTime": identifier["resourceDeletionTime"],
    }
    assert abs(identifier["resourceDeletionTime"] - deleted_at) < timedelta(milliseconds=1)


def test_the_listing_is_paged_as_config_pages_it(sandbox: Sandbox) -> None:
    """Given several discovered users, When asked one per page, Then nextToken walks them all once;
    a limit over 100, or ids and a name together, are refused as Config refuses them."""
    for name in ("page1", "page2", "page3"):
        sandbox.add_user(user(name))
    everyone = [i["resourceId"] for i in listed(sandbox)]
    config = sandbox.client("config")
    walked, token = [], None
    while True:
        page = config.list_discovered_resources(
            resourceType=IAM_USER, limit=1, **({"nextToken": token} if token else {})
        )
        walked += [i["resourceId"] for i in page["resourceIdentifiers"]]
        token = page.get("nextToken")
        if not token:
            break
    assert walked == everyone
    assert len(everyone) == len(set(everyone)) >= 3
    with pytest.raises(config.exceptions.InvalidLimitException):
        config.list_discovered_resources(resourceType=IAM_USER, limit=101)
    with pytest.raises(config.exceptions.ValidationException):
        config.list_discovered_resources(resourceType=IAM_USER, resourceIds=["x"], resourceName="x")
    with pytest.raises(config.exceptions.InvalidNextTokenException):
        config.list_discovered_resources(resourceType=IAM_USER, nextToken="not-a-token")


def test_the_sandbox_recorder_records_iam_users_and_runs_on_the_virtual_clock(sandbox: Sandbox) -> None:
    """Given the default sandbox, When its recorders are described, Then its one recorder ("default", in
    the sandbox's region) records all supported types including the global IAM ones, is recording since
    the sandbox started, and its last recording event succeeded."""
    config = sandbox.client("config")
    [recorder] = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["name"] == "default"
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is True
    [status] = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert (status["name"], status["recording"], status["lastStatus"]) == ("default", True, "Success")
    assert status["lastStartTime"] == START
    assert status["lastStatusChangeTime"] == START


def test_a_scenario_run_in_a_running_sandbox_sets_iam_recording_for_its_own_users(sandbox: Sandbox) -> None:
    """Given the running sandbox records IAM users, When a scenario without IAM recording runs in it,
    Then its users are not discovered, and the recorder records IAM users again afterwards."""
    run_scenario_in(sandbox, Scenario(config_records_iam_users=False, users=[user("visitor")]))
    visitor = sandbox.client("iam").get_user(UserName="visitor")["User"]["UserId"]
    assert listed(sandbox, resourceIds=[visitor]) == []
    [recorder] = sandbox.client("config").describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is True
    later = sandbox.add_user(user("later"))
    assert listed(sandbox, resourceIds=[later.user_id])[0]["resourceName"] == "later"
