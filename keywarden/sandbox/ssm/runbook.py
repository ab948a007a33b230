"""What AWSConfigRemediation-RevokeUnusedIAMUserCredentials does to a user, emulated.

Written from the runbook's published script (its one aws:executeScript step,
RevokeUnusedIAMUserCredentialsAndVerify; `aws ssm get-document --name
AWSConfigRemediation-RevokeUnusedIAMUserCredentials` shows the current version, and
aws-solutions/automated-security-response-on-aws keeps a copy of it in
source/remediation_runbooks/RevokeUnusedIAMUserCredentials.yaml). Kept deliberately apart from
lambdas/classification.py: the workflow's verdicts are checked against this emulation in the
end-to-end tests, so the two must not share code.

The script finds the user through AWS Config, not IAM:

    list_discovered_resources(resourceType='AWS::IAM::User', resourceIds=[resource_id])
    resource_name = list_discovered_resources_response.get("resourceIdentifiers")[0].get("resourceName")

so a user Config has not discovered (the recorder does not record global IAM resources, or has
not seen the user yet, or the user was deleted) fails the step with an IndexError. Its last step,
verify_expired_credentials_revoked, reads IAM again right after the changes and raises
"VERIFICATION FAILED. ACCESS KEY {id} NOT DEACTIVATED" if a key still shows Active; IAM is
eventually consistent, so that can happen although the key was deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from domain.config_rule import IAM_USER_RESOURCE_TYPE


@dataclass
class RunbookResult:
    user_name: str
    deactivated_keys: list[str] = field(default_factory=list)
    deleted_login_profile: bool = False


class RunbookScriptError(Exception):
    """The runbook's script raised `error_type` in `function`: its step, and the automation, fail."""

    def __init__(
        self, function: str, error_type: str, message: str, result: RunbookResult | None = None
    ) -> None:
        super().__init__(message)
        self.function = function
        self.error_type = error_type
        self.result = result
        """What the script had changed before it raised, if anything."""


def _days_since(moment: datetime, now: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (now - aware).days  # the runbook compares whole days, like this


def _user_name_for(config: Any, resource_id: str) -> str:
    identifiers = config.list_discovered_resources(
        resourceType=IAM_USER_RESOURCE_TYPE, resourceIds=[resource_id]
    )["resourceIdentifiers"]
    try:
        return str(identifiers[0]["resourceName"])
    except IndexError as error:  # the script indexes the list as it comes
        raise RunbookScriptError("get_user_name", "IndexError", str(error)) from error


def _revoke(iam: Any, user_name: str, max_credential_usage_age: int, now: datetime) -> RunbookResult:
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


def _verify(iam: Any, result: RunbookResult, reads_too_soon: bool) -> None:
    """The script's verification; `reads_too_soon`: IAM still answers what it was before the changes."""
    statuses = {
        k["AccessKeyId"]: k["Status"]
        for k in iam.list_access_keys(UserName=result.user_name)["AccessKeyMetadata"]
    }
    for key_id in result.deactivated_keys:
        if reads_too_soon or statuses.get(key_id) != "Inactive":
            raise RunbookScriptError(
                "verify_expired_credentials_revoked",
                "Exception",
                f"VERIFICATION FAILED. ACCESS KEY {key_id} NOT DEACTIVATED",
                result,
            )
    if result.deleted_login_profile and reads_too_soon:
        raise RunbookScriptError(
            "verify_expired_credentials_revoked",
            "Exception",
            f"VERIFICATION FAILED. IAM USER {result.user_name} LOGIN PROFILE NOT DELETED",
            result,
        )


def revoke_unused_credentials(
    iam: Any,
    config: Any,
    resource_id: str,
    max_credential_usage_age: int,
    now: datetime,
    verification_reads_too_soon: bool = False,
) -> RunbookResult:
    """Deactivate active keys and delete the console password unused for the usage age, then verify.

    RunbookScriptError when the script would raise (user unknown to Config, verification failed).
    """
    user_name = _user_name_for(config, resource_id)
    result = _revoke(iam, user_name, max_credential_usage_age, now)
    _verify(iam, result, verification_reads_too_soon)
    return result
