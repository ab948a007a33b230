"""What AWSConfigRemediation-RevokeUnusedIAMUserCredentials does to a user, emulated.

Written from the runbook's published script, and kept deliberately apart from
lambdas/classification.py: the workflow's verdicts are checked against this emulation in the
end-to-end tests, so the two must not share code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError


class RunbookUserNotFoundError(Exception):
    """The runbook found no IAM user with the given resource id."""


@dataclass
class RunbookResult:
    user_name: str
    deactivated_keys: list[str] = field(default_factory=list)
    deleted_login_profile: bool = False


def _days_since(moment: datetime, now: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (now - aware).days  # the runbook compares whole days, like this


def _user_name_for(iam: Any, resource_id: str) -> str:
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            if user["UserId"] == resource_id:
                return str(user["UserName"])
    raise RunbookUserNotFoundError(f"no IAM user has the resource id {resource_id}")


def revoke_unused_credentials(
    iam: Any, resource_id: str, max_credential_usage_age: int, now: datetime
) -> RunbookResult:
    """Deactivate active keys and delete the console password unused for the usage age."""
    user_name = _user_name_for(iam, resource_id)
    result = RunbookResult(user_name=user_name)
    for key in iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]:
        if key["Status"] != "Active":
            continue
        last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        reference = last_used.get("LastUsedDate") or key["CreateDate"]
        if _days_since(reference, now) >= max_credential_usage_age:
            iam.update_access_key(UserName=user_name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
            result.deactivated_keys.append(key["AccessKeyId"])
    try:
        profile = iam.get_login_profile(UserName=user_name)["LoginProfile"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchEntity":
            raise
        return result
    password_last_used = iam.get_user(UserName=user_name)["User"].get("PasswordLastUsed")
    if _days_since(password_last_used or profile["CreateDate"], now) >= max_credential_usage_age:
        iam.delete_login_profile(UserName=user_name)
        result.deleted_login_profile = True
    return result
