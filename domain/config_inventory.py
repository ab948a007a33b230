"""Finding a flagged user the way the runbook does: in AWS Config's inventory, by its unique id.

The runbook's script takes `config:ListDiscoveredResources(resourceType='AWS::IAM::User',
resourceIds=[id])["resourceIdentifiers"][0]`: where Config does not record IAM users in the
region, or has not discovered the user yet, the automation fails. keywarden asks first, and
when Config cannot name the user it starts nothing and records why, with the remedy. Pure:
the answers of Config and IAM go in, a `UserLookup` comes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.config_rule import IAM_USER_RESOURCE_TYPE
from domain.preparation import UserLookup
from domain.results import RemediationOutcome
from domain.runbook import RUNBOOK_NAME


def records_iam_users(recorder: Mapping[str, Any]) -> bool:
    """Whether a configuration recorder (DescribeConfigurationRecorders) records AWS::IAM::User.

    AWS Config's recording group: all supported types (IAM's global types only with
    includeGlobalResourceTypes), an inclusion list, or all types but an exclusion list.
    """
    group = recorder.get("recordingGroup", {})
    strategy = group.get("recordingStrategy", {}).get("useOnly")
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return IAM_USER_RESOURCE_TYPE not in group.get("exclusionByResourceTypes", {}).get(
            "resourceTypes", []
        )
    if strategy == "INCLUSION_BY_RESOURCE_TYPES" or not group.get("allSupported", False):
        return IAM_USER_RESOURCE_TYPE in group.get("resourceTypes", [])
    return bool(group.get("includeGlobalResourceTypes", False))


def not_in_config(
    user_id: str, region: str, recorders: Sequence[Mapping[str, Any]], recording: bool
) -> UserLookup:
    """FAILED, with the remedy: record IAM users in this region, start the recorder, or wait."""
    runbook = f"the runbook {RUNBOOK_NAME} finds users in AWS Config's inventory and would fail"
    if not any(records_iam_users(recorder) for recorder in recorders):
        remedy = (
            f"AWS Config does not record {IAM_USER_RESOURCE_TYPE} in {region}: {runbook}. Remedy: record "
            f"{IAM_USER_RESOURCE_TYPE} in the configuration recorder of {region} (IAM is global: include "
            "global resource types, or name the type in the recording group)"
        )
    elif not recording:
        remedy = f"AWS Config's recorder in {region} is stopped: {runbook}. Remedy: start the recorder"
    else:
        remedy = (
            f"AWS Config has not discovered IAM user {user_id} in {region} yet: {runbook}. Remedy: wait for "
            "Config to discover it (the next sweep retries)"
        )
    return UserLookup(outcome=RemediationOutcome.FAILED, reason=remedy)


def deleted_user(user_id: str, deleted_at: str | None) -> UserLookup:
    when = f" on {deleted_at}" if deleted_at else ""
    return UserLookup(
        outcome=RemediationOutcome.USER_NOT_FOUND,
        reason=f"IAM user {user_id} was deleted{when} (AWS Config's inventory); nothing to remediate",
    )


def gone_from_iam(user_id: str, user_name: str) -> UserLookup:
    return UserLookup(
        outcome=RemediationOutcome.USER_NOT_FOUND,
        reason=(
            f"AWS Config knows IAM user {user_id} as {user_name!r}, but IAM has no such user with that id "
            "any more: it was deleted (or its name was reused by another user)"
        ),
    )
