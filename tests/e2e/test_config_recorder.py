"""A Config recorder that does not record global IAM resources (Config's default), in the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keywarden.sandbox import Sandbox
from tests.e2e.config_listing import listed, user
from tests.e2e.runbook_runs import INDEX_ERROR, run_runbook

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def not_recording_iam() -> Iterator[Sandbox]:
    with Sandbox(config_records_iam_users=False) as running:
        yield running


def test_a_recorder_without_global_iam_types_discovers_no_user(not_recording_iam: Sandbox) -> None:
    """Given the account's recorder does not record global IAM resources (Config's default),
    When a user is created, Then DescribeConfigurationRecorders shows it, and Config lists no IAM user
    at all."""
    config = not_recording_iam.client("config")
    [recorder] = config.describe_configuration_recorders()["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["allSupported"] is True
    assert recorder["recordingGroup"]["includeGlobalResourceTypes"] is False
    [status] = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    assert status["recording"] is True
    bob = not_recording_iam.add_user(user("bob"))
    assert listed(not_recording_iam, resourceIds=[bob.user_id]) == []
    assert listed(not_recording_iam, includeDeletedResources=True) == []


def test_the_runbook_fails_for_every_user_when_iam_users_are_not_recorded(not_recording_iam: Sandbox) -> None:
    """Given Config does not record IAM users (ASR issue #55's cause), When the runbook runs for a user
    IAM has, Then it fails with the IndexError and leaves the user's key Active."""
    frank = not_recording_iam.add_user(user("frank"))
    automation = run_runbook(not_recording_iam, frank.user_id)
    assert (automation["AutomationExecutionStatus"], automation["FailureMessage"]) == ("Failed", INDEX_ERROR)
    assert list(not_recording_iam.access_keys("frank").values()) == ["Active"]


def test_switching_iam_recording_on_then_off_keeps_what_config_discovered(not_recording_iam: Sandbox) -> None:
    """Given a recorder that starts recording IAM users, When it stops again, Then users created while
    it recorded are discovered and stay listed after it stops (Config lists what it discovered,
    recording or not); users created while it did not record are not."""
    before = not_recording_iam.add_user(user("before"))
    not_recording_iam.record_iam_users(True)
    during = not_recording_iam.add_user(user("during"))
    not_recording_iam.record_iam_users(False)
    after = not_recording_iam.add_user(user("after"))
    ids = [i["resourceId"] for i in listed(not_recording_iam)]
    assert during.user_id in ids
    assert before.user_id not in ids
    assert after.user_id not in ids
