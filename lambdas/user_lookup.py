"""Find the flagged user in AWS Config's inventory (as the runbook does), then read it from IAM.

IAM has no lookup by unique id, and paging ListUsers on every remediation is a throttling storm
in a 5,000-user account. Config's inventory answers by id, and it is what the runbook will ask:
asking first means an automation is started only when it can find the user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.config_inventory import deleted_user, gone_from_iam, not_in_config
from domain.config_rule import IAM_USER_RESOURCE_TYPE
from domain.credentials import SnapshotResult
from domain.preparation import UserLookup
from lambdas.iam_snapshot import take_snapshot

ConfigClient = Any  # a boto3 Config client
IAMClient = Any


def lookup_in_config(config: ConfigClient, user_id: str, region: str) -> UserLookup:
    """The user's name, or why Config cannot give it (deleted, not recorded, not yet discovered)."""
    identifiers = config.list_discovered_resources(
        resourceType=IAM_USER_RESOURCE_TYPE, resourceIds=[user_id], includeDeletedResources=True
    ).get("resourceIdentifiers", [])
    live = [i for i in identifiers if not i.get("resourceDeletionTime")]
    if live:
        return UserLookup(user_name=str(live[0]["resourceName"]), reason="found in AWS Config's inventory")
    if identifiers:
        deleted = identifiers[0].get("resourceDeletionTime")
        return deleted_user(user_id, deleted.isoformat() if isinstance(deleted, datetime) else deleted)
    recorders = config.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = config.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    return not_in_config(user_id, region, recorders, any(s.get("recording") for s in statuses))


def find_user(
    config: ConfigClient, iam: IAMClient, user_id: str, region: str, now: datetime
) -> tuple[UserLookup, SnapshotResult | None]:
    """The lookup, and the user's snapshot when Config and IAM both know it."""
    lookup = lookup_in_config(config, user_id, region)
    if lookup.user_name is None:
        return lookup, None
    snapshot = take_snapshot(iam, lookup.user_name, user_id, now)
    if not snapshot.found:
        return gone_from_iam(user_id, lookup.user_name), snapshot
    return lookup, snapshot
