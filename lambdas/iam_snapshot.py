"""Read a user's credentials from IAM into a `SnapshotResult` (before and after the runbook)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from domain.credentials import AccessKeySnapshot, LoginProfileSnapshot, SnapshotResult, UserSnapshot

IAMClient = Any  # a boto3 IAM client


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "NoSuchEntity"


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _access_key(iam: IAMClient, metadata: Any) -> AccessKeySnapshot:
    last_used = iam.get_access_key_last_used(AccessKeyId=metadata["AccessKeyId"])["AccessKeyLastUsed"]
    used_at = _aware(last_used.get("LastUsedDate"))
    return AccessKeySnapshot(
        access_key_id=metadata["AccessKeyId"],
        status=metadata["Status"],
        created_at=_aware(metadata["CreateDate"]),
        last_used_at=used_at,
        # IAM answers "N/A" for a key that was never used.
        last_used_service=last_used.get("ServiceName") if used_at else None,
        last_used_region=last_used.get("Region") if used_at else None,
    )


def _login_profile(
    iam: IAMClient, user_name: str, password_last_used: datetime | None
) -> LoginProfileSnapshot | None:
    try:
        profile = iam.get_login_profile(UserName=user_name)["LoginProfile"]
    except ClientError as error:
        if _is_missing(error):
            return None
        raise
    return LoginProfileSnapshot(
        created_at=_aware(profile["CreateDate"]), password_last_used_at=_aware(password_last_used)
    )


def take_snapshot(iam: IAMClient, user_name: str, user_id: str, now: datetime) -> SnapshotResult:
    """The user's tags, keys (with last use) and console password, read by name.

    found=False when IAM has no user of that name, or the name now belongs to another user
    (a different unique id): the flagged user is gone either way.
    """
    try:
        user = iam.get_user(UserName=user_name)["User"]
        if user["UserId"] != user_id:
            return SnapshotResult(found=False, taken_at=now)
        tags = {
            tag["Key"]: tag["Value"]
            for page in iam.get_paginator("list_user_tags").paginate(UserName=user_name)
            for tag in page["Tags"]
        }
        keys = tuple(
            _access_key(iam, metadata)
            for page in iam.get_paginator("list_access_keys").paginate(UserName=user_name)
            for metadata in page["AccessKeyMetadata"]
        )
        profile = _login_profile(iam, user_name, user.get("PasswordLastUsed"))
    except ClientError as error:
        if _is_missing(error):  # deleted while we were reading it
            return SnapshotResult(found=False, taken_at=now)
        raise
    return SnapshotResult(
        found=True,
        taken_at=now,
        user=UserSnapshot(
            user_id=user["UserId"],
            user_name=user_name,
            arn=user["Arn"],
            tags=tags,
            access_keys=keys,
            login_profile=profile,
        ),
    )
