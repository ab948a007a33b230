"""What owners do to their keys as simulated days pass: use them, rotate them, deactivate them.

IAM's API cannot set a key's last use nor back-date a new key (moto dates it by the host's
clock), so those dates are set on moto's objects (naive UTC, as moto keeps them), on the virtual
clock; rotating and deactivating go through IAM's API as an owner's would.
"""

from __future__ import annotations

from datetime import datetime

import boto3
from moto.iam.models import AccessKey, AccessKeyLastUsed, iam_backends

from keywarden.sandbox.iam_users import naive_utc


def _moto_key(account_id: str, user_name: str, access_key_id: str) -> AccessKey:
    user = iam_backends[account_id]["aws"].get_user(user_name)
    key: AccessKey = user.get_access_key_by_id(access_key_id)
    return key


def key_used(
    account_id: str, user_name: str, access_key_id: str, at: datetime, service: str, region: str
) -> bool:
    """An Active key is used at `at` (its last-used date moves there); False if it is not Active."""
    key = _moto_key(account_id, user_name, access_key_id)
    if key.status != "Active":
        return False
    key.last_used = AccessKeyLastUsed(timestamp=naive_utc(at), service=service, region=region)
    return True


def key_rotated(account_id: str, region: str, user_name: str, access_key_id: str, at: datetime) -> str:
    """The owner deletes the key and creates a new one at `at` (delete first: IAM allows 2 keys).
    Returns the new key's id; a key in use is used again at once, through the new key."""
    iam = boto3.client("iam", region_name=region)
    old = _moto_key(account_id, user_name, access_key_id)
    last_used = old.last_used
    iam.delete_access_key(UserName=user_name, AccessKeyId=access_key_id)
    created = iam.create_access_key(UserName=user_name)["AccessKey"]["AccessKeyId"]
    new = _moto_key(account_id, user_name, created)
    new.create_date = naive_utc(at)
    if last_used is not None and old.status == "Active":
        new.last_used = AccessKeyLastUsed(
            timestamp=naive_utc(at), service=last_used.service, region=last_used.region
        )
    return str(created)


def key_deactivated(region: str, user_name: str, access_key_id: str) -> None:
    """The owner makes the key Inactive."""
    iam = boto3.client("iam", region_name=region)
    iam.update_access_key(UserName=user_name, AccessKeyId=access_key_id, Status="Inactive")
