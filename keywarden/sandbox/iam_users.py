"""Scenario users in the sandbox's IAM, with key and password dates in the past.

IAM's API cannot back-date anything, so creation and last-use dates are set on moto's
backend objects (naive UTC, as moto keeps them). moto reports a login profile's CreateDate
as the user's; the sandbox serves the back-dated one instead.
"""

from __future__ import annotations

import contextlib
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from moto.core.responses import ActionResult
from moto.iam.models import AccessKeyLastUsed, iam_backends
from moto.iam.responses import IamResponse

from domain.credentials import UserSnapshot
from keywarden.scenario import UserSpec

_PASSWORD_CREATED = "_keywarden_login_profile_created"  # noqa: S105 (an attribute name)


@dataclass(frozen=True)
class CreatedUser:
    name: str
    user_id: str
    access_key_ids: tuple[str, ...]


def naive_utc(moment: datetime) -> datetime:
    """moto's form (naive UTC), to the second as IAM reports dates: rounded down, so a key made
    "90 days ago" is 90 days old from the first instant of the simulation, not a moment later."""
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return naive.replace(microsecond=0)


def _unique_id(prefix: str) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(17))


def create_user(spec: UserSpec, now: datetime, account_id: str, region: str) -> CreatedUser:
    """Create the user, its keys (with the given ids, if any) and its console password."""
    iam = boto3.client("iam", region_name=region)
    iam.create_user(
        UserName=spec.name, Path=spec.path, Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()]
    )
    backend = iam_backends[account_id]["aws"]
    moto_user = backend.get_user(spec.name)
    moto_user.id = _unique_id("AIDA")  # moto's ids are random lowercase; IAM's are not
    key_ids = []
    for key_spec in spec.keys:
        created = iam.create_access_key(UserName=spec.name)["AccessKey"]["AccessKeyId"]
        key = moto_user.get_access_key_by_id(created)
        if key_spec.id:
            backend.access_keys.pop(key.physical_resource_id, None)
            key.access_key_id = key_spec.id
            backend.access_keys[key.physical_resource_id] = key
        key.create_date = naive_utc(now - timedelta(days=key_spec.created_days_ago))
        if key_spec.last_used_days_ago is not None:
            key.last_used = AccessKeyLastUsed(
                timestamp=naive_utc(now - timedelta(days=key_spec.last_used_days_ago)),
                service=key_spec.last_used_service,
                region=key_spec.last_used_region,
            )
        key.status = key_spec.status
        key_ids.append(key.access_key_id)
    if spec.password:
        iam.create_login_profile(UserName=spec.name, Password=secrets.token_urlsafe(24) + "aA1!")
        setattr(moto_user, _PASSWORD_CREATED, naive_utc(now - timedelta(days=spec.password.created_days_ago)))
        if spec.password.last_used_days_ago is not None:
            moto_user.password_last_used = naive_utc(now - timedelta(days=spec.password.last_used_days_ago))
    return CreatedUser(name=spec.name, user_id=moto_user.id, access_key_ids=tuple(key_ids))


def recreate_user(user: UserSnapshot, account_id: str, region: str) -> None:
    """Create the user a snapshot describes, exactly: its unique id, path, tags, key ids, dates.

    So that a snapshot can be taken again by the real function (see mocked_payloads.py).
    """
    iam = boto3.client("iam", region_name=region)
    _, _, resource = user.arn.partition(":user/")
    path = "/" + resource.rpartition("/")[0] + "/" if "/" in resource else "/"
    iam.create_user(
        UserName=user.user_name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in user.tags.items()]
    )
    backend = iam_backends[account_id]["aws"]
    moto_user = backend.get_user(user.user_name)
    moto_user.id = user.user_id
    for snapshot in user.access_keys:
        created = iam.create_access_key(UserName=user.user_name)["AccessKey"]["AccessKeyId"]
        key = moto_user.get_access_key_by_id(created)
        backend.access_keys.pop(key.physical_resource_id, None)
        key.access_key_id = snapshot.access_key_id
        backend.access_keys[key.physical_resource_id] = key
        key.create_date = naive_utc(snapshot.created_at)
        if snapshot.last_used_at is not None:
            key.last_used = AccessKeyLastUsed(
                timestamp=naive_utc(snapshot.last_used_at),
                service=snapshot.last_used_service or "N/A",
                region=snapshot.last_used_region or "N/A",
            )
        key.status = snapshot.status.value
    if user.login_profile is not None:
        iam.create_login_profile(UserName=user.user_name, Password=secrets.token_urlsafe(24) + "aA1!")
        setattr(moto_user, _PASSWORD_CREATED, naive_utc(user.login_profile.created_at))
        if user.login_profile.password_last_used_at is not None:
            moto_user.password_last_used = naive_utc(user.login_profile.password_last_used_at)


def delete_user(name: str, region: str) -> None:
    """Delete a user and everything IAM requires to be deleted first."""
    iam = boto3.client("iam", region_name=region)
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with contextlib.suppress(iam.exceptions.NoSuchEntityException):
        iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


@contextlib.contextmanager
def back_dated_login_profiles() -> Iterator[None]:
    """GetLoginProfile answers the login profile's own (back-dated) CreateDate."""
    original = IamResponse.get_login_profile

    def get_login_profile(self: IamResponse) -> ActionResult:
        result: Any = original(self).result
        user = self.backend.get_user(self._get_param("UserName"))
        created = getattr(user, _PASSWORD_CREATED, None)
        if created is not None:
            result["LoginProfile"]["CreateDate"] = created
        return ActionResult(result)

    with mock.patch.object(IamResponse, "get_login_profile", get_login_profile):
        yield
