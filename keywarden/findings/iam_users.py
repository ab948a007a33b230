"""From the user name a person types to the unique id (AIDA...) keywarden's records and events use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from keywarden.audit.queries import IAM_USER_ID
from keywarden.aws_connection import aws_errors
from keywarden.cli_errors import CommandError, InputError
from keywarden.iam_names import check_user_name


@dataclass(frozen=True)
class IamUser:
    user_name: str
    user_id: str
    account_id: str


def checked_user_name(value: str) -> str:
    """--user as IAM would accept it; InputError (exit 2) before any AWS call otherwise."""
    try:
        return check_user_name(value.strip())
    except ValueError as error:
        raise InputError(f"--user: {error}") from error


def is_user_id(value: str) -> bool:
    return bool(IAM_USER_ID.match(value.strip()))


def find_user(iam: Any, user_name: str) -> IamUser | None:
    """The user's unique id and account, from IAM GetUser; None when IAM has no such user."""
    with aws_errors(f"reading IAM user {user_name}"):
        try:
            user = iam.get_user(UserName=user_name)["User"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "NoSuchEntity":
                return None
            if code in {"AccessDenied", "AccessDeniedException"}:
                raise CommandError(
                    f"access denied reading IAM user {user_name}: finding a user's unique id needs "
                    "iam:GetUser"
                ) from error
            raise
    # arn:aws:iam::<account>:user/<path><name>
    return IamUser(user_name=user["UserName"], user_id=user["UserId"], account_id=user["Arn"].split(":")[4])
