"""In-memory stand-ins for what the functions talk to, faithful where keywarden relies on them.

boto3-like IAM and Config clients answering from a few users, the exemption table, the
notification-state table (its conditional updates evaluated as DynamoDB evaluates them), and the
owners' topic. No AWS, no moto: these also run where only Lambda's packages are installed.
"""

# boto3's parameter names (UserName, Key ...) are the fakes' parameter names.
# ruff: noqa: N803

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from domain.coordination import Claim
from domain.credentials import UserSnapshot
from domain.exemptions import Exemption, exemption_to_item
from domain.messages import OwnerNotification
from domain.tables import CoordinationTable
from domain.tables import NotificationStateTable as State
from lambdas.conclusion import Ports
from lambdas.owner_notice import DynamoDBNotificationClaims
from tests.factories import NOW


def client_error(code: str, operation: str, message: str | None = None) -> ClientError:
    """The error botocore raises for an AWS error answer."""
    return ClientError({"Error": {"Code": code, "Message": message or code}}, operation)


class LambdaContext:
    """What Powertools reads of a Lambda context."""

    function_name = "keywarden-test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:keywarden-test"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- IAM and Config -----------------------------------------------------------------------


class _OnePage:
    def __init__(self, operation: Callable[..., dict[str, Any]]) -> None:
        self.operation = operation

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        return [self.operation(**kwargs)]


class FakeIAM:
    """A boto3 IAM client that knows the given users by name, and answers NoSuchEntity for others."""

    def __init__(self, *users: UserSnapshot, error: str | None = None) -> None:
        self.users = {user.user_name: user for user in users}
        self.calls: list[str] = []
        self.error = error
        """An IAM error code (Throttling, AccessDenied ...) every call raises, or None."""

    def _user(self, name: str, operation: str) -> UserSnapshot:
        self.calls.append(operation)
        if self.error:
            raise client_error(self.error, operation)
        if name not in self.users:
            raise client_error("NoSuchEntity", operation, f"The user with name {name} cannot be found.")
        return self.users[name]

    def get_user(self, *, UserName: str) -> dict[str, Any]:
        user = self._user(UserName, "GetUser")
        answer: dict[str, Any] = {
            "Path": "/",
            "UserName": user.user_name,
            "UserId": user.user_id,
            "Arn": user.arn,
            "CreateDate": NOW - timedelta(days=400),
        }
        if user.login_profile and user.login_profile.password_last_used_at:
            answer["PasswordLastUsed"] = user.login_profile.password_last_used_at
        return {"User": answer}

    def list_user_tags(self, *, UserName: str) -> dict[str, Any]:
        user = self._user(UserName, "ListUserTags")
        return {"Tags": [{"Key": k, "Value": v} for k, v in user.tags.items()], "IsTruncated": False}

    def list_access_keys(self, *, UserName: str) -> dict[str, Any]:
        user = self._user(UserName, "ListAccessKeys")
        metadata = [
            {
                "UserName": UserName,
                "AccessKeyId": k.access_key_id,
                "Status": k.status.value,
                "CreateDate": k.created_at,
            }
            for k in user.access_keys
        ]
        return {"AccessKeyMetadata": metadata, "IsTruncated": False}

    def get_access_key_last_used(self, *, AccessKeyId: str) -> dict[str, Any]:
        self.calls.append("GetAccessKeyLastUsed")
        for user in self.users.values():
            key = user.key(AccessKeyId)
            if key is None:
                continue
            if key.last_used_at is None:  # IAM's answer for a key never used
                return {
                    "UserName": user.user_name,
                    "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
                }
            used = {
                "LastUsedDate": key.last_used_at,
                "ServiceName": key.last_used_service,
                "Region": key.last_used_region,
            }
            return {"UserName": user.user_name, "AccessKeyLastUsed": used}
        raise client_error("NoSuchEntity", "GetAccessKeyLastUsed")

    def get_login_profile(self, *, UserName: str) -> dict[str, Any]:
        user = self._user(UserName, "GetLoginProfile")
        if user.login_profile is None:
            raise client_error(
                "NoSuchEntity", "GetLoginProfile", f"Login Profile for User {UserName} cannot be found."
            )
        profile = {
            "UserName": UserName,
            "CreateDate": user.login_profile.created_at,
            "PasswordResetRequired": False,
        }
        return {"LoginProfile": profile}

    def get_paginator(self, operation_name: str) -> _OnePage:
        return _OnePage(getattr(self, operation_name))


RECORDS_IAM_USERS: dict[str, Any] = {
    "allSupported": True,
    "includeGlobalResourceTypes": True,
    "resourceTypes": [],
    "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
}


class FakeConfig:
    """A boto3 Config client: an inventory of IAM users (unique id -> name) and one recorder."""

    def __init__(
        self,
        users: dict[str, str],
        *,
        deleted: dict[str, datetime] | None = None,
        recording_group: dict[str, Any] | None = None,
        recording: bool = True,
    ) -> None:
        self.users, self.deleted = users, deleted or {}
        self.recording_group = RECORDS_IAM_USERS if recording_group is None else recording_group
        self.recording = recording

    def list_discovered_resources(
        self,
        *,
        resourceType: str,
        resourceIds: list[str],
        includeDeletedResources: bool = False,
    ) -> dict[str, Any]:
        found: list[dict[str, Any]] = [
            {"resourceType": resourceType, "resourceId": i, "resourceName": self.users[i]}
            for i in resourceIds
            if i in self.users
        ]
        if includeDeletedResources:
            found += [
                {"resourceType": resourceType, "resourceId": i, "resourceDeletionTime": at}
                for i, at in self.deleted.items()
                if i in resourceIds
            ]
        return {"resourceIdentifiers": found}

    def describe_configuration_recorders(self) -> dict[str, Any]:
        return {"ConfigurationRecorders": [{"name": "default", "recordingGroup": self.recording_group}]}

    def describe_configuration_recorder_status(self) -> dict[str, Any]:
        return {"ConfigurationRecordersStatus": [{"name": "default", "recording": self.recording}]}


class FakeExemptionTable:
    """The exemption table (a boto3 Table resource's scan)."""

    def __init__(self, exemptions: Iterable[Exemption] = ()) -> None:
        self.exemptions = list(exemptions)

    def scan(self, **_: Any) -> dict[str, Any]:
        return {"Items": [exemption_to_item(e) for e in self.exemptions]}


# --- the notification-state table -----------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_COMPARISON = re.compile(r"(#?\w+) (=|<>|<=|>=|<|>) (:\w+)")
_NOT_EXISTS = re.compile(r"attribute_not_exists\((#?\w+)\)")
_IF_NOT_EXISTS = re.compile(r"if_not_exists\((#?\w+),\s*(:\w+)\)")
_SECTION = re.compile(r"\b(SET|ADD|REMOVE)\s")
_OUTSIDE_PARENTHESES = re.compile(r",\s*(?![^()]*\))")


class FakeNotificationStateTable:
    """A boto3 Table resource's update_item, over items in memory, evaluated as DynamoDB does.

    It understands the expression forms keywarden writes (OR-ed comparisons and
    attribute_not_exists; SET with if_not_exists, ADD, REMOVE), refuses anything else, and,
    like DynamoDB, refuses unused or undefined placeholders. A comparison with a missing
    attribute is false; every right-hand side is read from the item before the update.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.unreachable = False
        self.updates = 0

    def item(self, user_id: str, sort_key: str) -> dict[str, Any] | None:
        return self.items.get((State.user_pk(user_id), sort_key))

    def update_item(
        self,
        *,
        Key: dict[str, str],
        UpdateExpression: str,
        ConditionExpression: str | None = None,
        ExpressionAttributeNames: dict[str, str] | None = None,
        ExpressionAttributeValues: dict[str, Any] | None = None,
        ReturnValues: str = "NONE",
    ) -> dict[str, Any]:
        if self.unreachable:
            raise client_error("ResourceNotFoundException", "UpdateItem", "Requested resource not found")
        names, values = ExpressionAttributeNames or {}, ExpressionAttributeValues or {}
        expressions = f"{UpdateExpression} {ConditionExpression or ''}"
        _check_placeholders(set(re.findall(r":\w+", expressions)), set(values), "values")
        _check_placeholders(set(re.findall(r"#\w+", expressions)), set(names), "names")
        self.updates += 1
        key = (Key[State.PARTITION_KEY], Key[State.SORT_KEY])
        old = self.items.get(key)
        if ConditionExpression and not _holds(ConditionExpression, old, names, values):
            raise client_error(
                "ConditionalCheckFailedException", "UpdateItem", "The conditional request failed"
            )
        self.items[key] = _updated(UpdateExpression, old or dict(Key), names, values)
        return {"Attributes": dict(old)} if old and ReturnValues == "ALL_OLD" else {}


def _check_placeholders(used: set[str], given: set[str], kind: str) -> None:
    if given - used:
        raise client_error(
            "ValidationException",
            "UpdateItem",
            f"Value provided in ExpressionAttribute{kind.title()} "
            f"unused in expressions: keys: {sorted(given - used)}",
        )
    if used - given:
        raise client_error(
            "ValidationException",
            "UpdateItem",
            f"An expression attribute {kind[:-1]} used in expression is not defined: {sorted(used - given)}",
        )


def _attribute(token: str, names: dict[str, str]) -> str:
    return names[token] if token.startswith("#") else token


def _top_level_split(expression: str, keyword: str) -> list[str]:
    """`expression` split on ` AND ` / ` OR ` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(expression):
        if expression[i] == "(":
            depth += 1
        elif expression[i] == ")":
            depth -= 1
        elif depth == 0 and expression.startswith(f" {keyword} ", i):
            parts.append(expression[start:i])
            i += len(keyword) + 2
            start = i
            continue
        i += 1
    parts.append(expression[start:])
    return [part.strip() for part in parts]


def _unwrapped(clause: str) -> str:
    """`(a OR b)` -> `a OR b` when the parentheses enclose the whole clause."""
    while clause.startswith("(") and clause.endswith(")") and len(_top_level_split(clause[1:-1], "OR")) >= 1:
        inner, depth = clause[1:-1], 0
        if any((depth := depth + (c == "(") - (c == ")")) < 0 for c in inner):
            break
        clause = inner.strip()
    return clause


def _holds(
    condition: str, item: dict[str, Any] | None, names: dict[str, str], values: dict[str, Any]
) -> bool:
    """OR of ANDs of comparisons and attribute_not_exists, parentheses allowed (as keywarden writes them)."""
    condition = _unwrapped(condition.strip())
    alternatives = _top_level_split(condition, "OR")
    if len(alternatives) > 1:
        return any(_holds(part, item, names, values) for part in alternatives)
    conjuncts = _top_level_split(condition, "AND")
    if len(conjuncts) > 1:
        return all(_holds(part, item, names, values) for part in conjuncts)
    if match := _NOT_EXISTS.fullmatch(condition):
        return item is None or _attribute(match[1], names) not in item
    if match := _COMPARISON.fullmatch(condition):
        attribute = _attribute(match[1], names)
        return (
            item is not None and attribute in item and _COMPARE[match[2]](item[attribute], values[match[3]])
        )
    raise NotImplementedError(f"the fake table does not understand the condition {condition!r}")


def _updated(
    expression: str, old: dict[str, Any], names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    new = dict(old)
    _, *parts = _SECTION.split(expression)
    for keyword, body in zip(parts[::2], parts[1::2], strict=True):
        for action in _OUTSIDE_PARENTHESES.split(body.strip()):
            if keyword == "SET":
                target, value = (side.strip() for side in action.split("=", 1))
                if match := _IF_NOT_EXISTS.fullmatch(value):
                    existing = _attribute(match[1], names)
                    new[_attribute(target, names)] = old.get(existing, values[match[2]])
                elif value.startswith(":"):
                    new[_attribute(target, names)] = values[value]
                else:
                    raise NotImplementedError(f"the fake table does not understand SET {action!r}")
            elif keyword == "ADD":
                target, value = action.split()
                new[_attribute(target, names)] = old.get(_attribute(target, names), 0) + values[value]
            else:
                new.pop(_attribute(action, names), None)
    return new


# --- the owners' topic --------------------------------------------------------------------


class FakeOwnerTopic:
    """The owners' topic: records what is published; `failing` makes the next publish fail."""

    def __init__(self, failing: str | None = None) -> None:
        self.published: list[OwnerNotification] = []
        self.failing = failing
        """An SNS error code (AuthorizationError ...) every publish raises, or None."""

    def publish(self, notification: OwnerNotification) -> str:
        if self.failing:
            raise client_error(self.failing, "Publish", "User is not authorized to perform SNS:Publish")
        self.published.append(notification)
        return f"msg-{len(self.published)}"


def conclude_ports(
    *users: UserSnapshot,
    table: FakeNotificationStateTable | None = None,
    topic: FakeOwnerTopic | None = None,
    coordination: FakeCoordination | None = None,
) -> Ports:
    """Conclude's ports over IAM holding `users` (the after-snapshot), the state table and the topic."""
    return Ports(
        iam=FakeIAM(*users),
        claims=DynamoDBNotificationClaims(table or FakeNotificationStateTable()),
        owner_topic=topic or FakeOwnerTopic(),
        coordination=coordination or FakeCoordination(),
    )


# --- the coordination table ---------------------------------------------------------------


class FakeCoordination:
    """The coordination table's items in memory, with the conditions lambdas/coordination.py writes."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def claim(self, pk: str, sk: str, execution: str, now: datetime, lease_until: datetime) -> Claim | None:
        item = self.items.get((pk, sk))
        lease = item.get("lease_until") if item else None
        if item is None or item["holder"] == execution or (lease is not None and lease < now):
            self.items[(pk, sk)] = {"holder": execution, "lease_until": lease_until}
            return None
        return Claim(holder=item["holder"], outcome=item.get("outcome"), lease_until=lease)

    def record_outcome(self, pk: str, execution: str, outcome: str) -> None:
        item = self.items.get((pk, CoordinationTable.EVENT_SK))
        if item is not None and item["holder"] == execution:
            item.update(outcome=outcome, lease_until=None)

    def release(self, pk: str, sk: str, execution: str) -> None:
        if self.items.get((pk, sk), {}).get("holder") == execution:
            del self.items[(pk, sk)]

    def slot_holders(self, pk: str) -> set[str]:
        return set(self.items.get((pk, CoordinationTable.SLOTS_SK), {}).get("holders", set()))

    def release_slots(self, pk: str, members: set[str]) -> int:
        item = self.items.setdefault((pk, CoordinationTable.SLOTS_SK), {"holders": set()})
        item["holders"] = set(item.get("holders", set())) - members
        return len(item["holders"])

    def count_deferral(self, pk: str, now: datetime) -> tuple[int, int]:
        item = self.items.setdefault((pk, CoordinationTable.DEFERRED_SK), {"waiting": 0, "total": 0})
        item["waiting"] += 1
        item["total"] += 1
        return item["waiting"], item["total"]

    def claim_deferral_alert(self, pk: str, now: datetime) -> bool:
        item = self.items[(pk, CoordinationTable.DEFERRED_SK)]
        last = item.get("last_alert_at")
        if last is not None and last + timedelta(hours=1) > now:
            return False
        item.update(last_alert_at=now, waiting=0)
        return True


# --- real boto3 clients, for botocore's Stubber -------------------------------------------


OFFLINE: dict[str, Any] = {
    "region_name": "eu-west-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
"""Fixed region and credentials: nothing is read from the machine, and nothing is ever sent."""


def offline_client(service: Literal["config", "iam", "sns"]) -> Any:
    """A real boto3 client, for botocore's Stubber to answer."""
    return boto3.client(service, **OFFLINE)


def offline_table(name: str) -> Any:
    """A real boto3 DynamoDB Table resource, for a Stubber on `table.meta.client`."""
    return boto3.resource("dynamodb", **OFFLINE).Table(name)


def stub_config_inventory(stub: Stubber, user_id: str, identifiers: list[dict[str, Any]]) -> None:
    """Config's answer to the lookup of `user_id` (deleted resources included, as the runbook sees them)."""
    stub.add_response(
        "list_discovered_resources",
        {"resourceIdentifiers": identifiers},
        {"resourceType": "AWS::IAM::User", "resourceIds": [user_id], "includeDeletedResources": True},
    )


def stub_iam_user(stub: Stubber, user: UserSnapshot) -> None:
    """IAM's answers to a snapshot of `user` by name, in the order take_snapshot asks."""
    by_name = {"UserName": user.user_name}
    profile = user.login_profile
    described: dict[str, Any] = {
        "Path": "/",
        "UserName": user.user_name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": NOW - timedelta(days=400),
    }
    if profile and profile.password_last_used_at:
        described["PasswordLastUsed"] = profile.password_last_used_at
    stub.add_response("get_user", {"User": described}, by_name)
    tags = [{"Key": k, "Value": v} for k, v in user.tags.items()]
    stub.add_response("list_user_tags", {"Tags": tags, "IsTruncated": False}, by_name)
    metadata = [
        {
            "UserName": user.user_name,
            "AccessKeyId": k.access_key_id,
            "Status": k.status.value,
            "CreateDate": k.created_at,
        }
        for k in user.access_keys
    ]
    stub.add_response("list_access_keys", {"AccessKeyMetadata": metadata, "IsTruncated": False}, by_name)
    for k in user.access_keys:
        used: dict[str, Any] = {"ServiceName": "N/A", "Region": "N/A"}
        if k.last_used_at:
            used = {
                "LastUsedDate": k.last_used_at,
                "ServiceName": k.last_used_service,
                "Region": k.last_used_region,
            }
        stub.add_response(
            "get_access_key_last_used",
            {"UserName": user.user_name, "AccessKeyLastUsed": used},
            {"AccessKeyId": k.access_key_id},
        )
    if profile is None:
        stub.add_client_error(
            "get_login_profile", "NoSuchEntity", http_status_code=404, expected_params=by_name
        )
    else:
        stub.add_response(
            "get_login_profile",
            {"LoginProfile": {"UserName": user.user_name, "CreateDate": profile.created_at}},
            by_name,
        )
