"""The emulated runbook, driven through SSM as the workflow drives it: it finds users through Config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from keywarden.sandbox import Sandbox
from keywarden.sandbox.fixtures.iam_users import delete_user
from keywarden.sandbox.ssm.automation import NO_OUTPUT_YET, RUNBOOK_OUTPUT
from keywarden.scenario import AutomationSpec, KeySpec, PasswordSpec, UserSpec
from tests.e2e.runbook_runs import INDEX_ERROR, run_runbook

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def stale(name: str, key_id: str, **spec: Any) -> UserSpec:
    return UserSpec(name=name, keys=[KeySpec(id=key_id, created_days_ago=120)], **spec)


def test_a_user_config_knows_has_its_stale_key_deactivated(sandbox: Sandbox) -> None:
    """Given a discovered user with a 120-day-old unused key, When the runbook runs,
    Then it succeeds and IAM shows the key Inactive (the contrast for the failures below)."""
    ana = sandbox.add_user(stale("ana", "AKIAANA0000000000001"))
    automation = run_runbook(sandbox, ana.user_id)
    assert automation["AutomationExecutionStatus"] == "Success"
    assert "FailureMessage" not in automation
    assert sandbox.access_keys("ana") == {"AKIAANA0000000000001": "Inactive"}


def test_a_user_config_has_not_discovered_fails_the_runbook_with_its_index_error(sandbox: Sandbox) -> None:
    """Given a user IAM has but Config has not discovered, When the runbook runs, Then its script
    indexes an empty list: the automation ends Failed with the IndexError, and the key is left Active."""
    ben = sandbox.add_user(stale("ben", "AKIABEN0000000000001", discovered_by_config=False))
    automation = run_runbook(sandbox, ben.user_id)
    assert automation["AutomationExecutionStatus"] == "Failed"
    assert automation["FailureMessage"] == INDEX_ERROR
    assert automation["StepExecutions"][0]["StepStatus"] == "Failed"
    assert automation["Outputs"] == {RUNBOOK_OUTPUT: [NO_OUTPUT_YET]}
    assert sandbox.access_keys("ben") == {"AKIABEN0000000000001": "Active"}


def test_a_deleted_user_fails_the_runbook_the_same_way(sandbox: Sandbox) -> None:
    """Given a discovered user deleted before the runbook runs, When it runs, Then Config lists the user
    only as a deleted resource, which the script does not ask for: the automation fails with the
    IndexError."""
    cleo = sandbox.add_user(stale("cleo", "AKIACLEO000000000001"))
    delete_user("cleo", sandbox.region)
    automation = run_runbook(sandbox, cleo.user_id)
    assert (automation["AutomationExecutionStatus"], automation["FailureMessage"]) == ("Failed", INDEX_ERROR)


def test_a_verification_that_reads_too_soon_fails_although_the_key_is_inactive(sandbox: Sandbox) -> None:
    """Given verification_fails, When the runbook runs, Then it deactivates the stale key, its
    verification still reads it Active: the automation ends Failed with VERIFICATION FAILED, while IAM
    shows it Inactive."""
    dan = sandbox.add_user(
        stale("dan", "AKIADAN0000000000001", automation=AutomationSpec(verification_fails=True))
    )
    automation = run_runbook(sandbox, dan.user_id)
    assert automation["AutomationExecutionStatus"] == "Failed"
    assert automation["FailureMessage"] == (
        "Step fails when it is Executing. Traceback (most recent call last):\n"
        '  File "customer_script.py", in verify_expired_credentials_revoked\n'
        "Exception: VERIFICATION FAILED. ACCESS KEY AKIADAN0000000000001 NOT DEACTIVATED\n\n"
        "Exception - VERIFICATION FAILED. ACCESS KEY AKIADAN0000000000001 NOT DEACTIVATED"
    )
    assert automation["Outputs"] == {RUNBOOK_OUTPUT: [NO_OUTPUT_YET]}
    assert sandbox.access_keys("dan") == {"AKIADAN0000000000001": "Inactive"}


def test_a_verification_failure_on_a_deleted_password(sandbox: Sandbox) -> None:
    """Given verification_fails and a user whose only stale credential is a 200-day-unused password,
    When the runbook runs, Then the password is deleted and the verification fails on the login profile."""
    eve = sandbox.add_user(
        UserSpec(
            name="eve",
            keys=[KeySpec(id="AKIAEVE0000000000001", created_days_ago=120, last_used_days_ago=1)],
            password=PasswordSpec(created_days_ago=300, last_used_days_ago=200),
            automation=AutomationSpec(verification_fails=True),
        )
    )
    automation = run_runbook(sandbox, eve.user_id)
    assert automation["AutomationExecutionStatus"] == "Failed"
    assert automation["FailureMessage"].endswith(
        "Exception - VERIFICATION FAILED. IAM USER eve LOGIN PROFILE NOT DELETED"
    )
    iam = sandbox.client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="eve")
    assert sandbox.access_keys("eve") == {"AKIAEVE0000000000001": "Active"}
