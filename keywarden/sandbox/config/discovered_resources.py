"""ListDiscoveredResources for AWS::IAM::User, answered from the sandbox's Config inventory.

Follows https://docs.aws.amazon.com/config/latest/APIReference/API_ListDiscoveredResources.html:
resourceType is required; resourceIds (1 to 20) or resourceName, not both; limit at most 100 (0
or absent: 100) with nextToken paging; deleted resources only with includeDeletedResources, then
with resourceDeletionTime. Each ResourceIdentifier has resourceType, resourceId (the user's unique
id) and resourceName (the user name). moto answers an empty list for AWS::IAM::User whatever
exists in IAM; other resource types stay moto's.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.config.exceptions import (
    InvalidLimitException,
    InvalidNextTokenException,
    InvalidResourceParameters,
    TooManyResourceIds,
)
from moto.config.models import config_backends
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError

from domain.config_rule import IAM_USER_RESOURCE_TYPE
from keywarden.sandbox.config.inventory import ConfigInventory, DiscoveredUser

PAGE_SIZE = 100
MAX_RESOURCE_IDS = 20


class NoAvailableConfigurationRecorderError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "NoAvailableConfigurationRecorderException",
            "There are no customer managed configuration recorders available to record your "
            "resources. Use the PutConfigurationRecorder operation to create the customer managed "
            "configuration recorder.",
        )


def _identifier(user: DiscoveredUser) -> dict[str, Any]:
    identifier: dict[str, Any] = {
        "resourceType": IAM_USER_RESOURCE_TYPE,
        "resourceId": user.resource_id,
        "resourceName": user.resource_name,
    }
    if user.deleted_at is not None:
        identifier["resourceDeletionTime"] = user.deleted_at.timestamp()  # JSON protocol: epoch seconds
    return identifier


def list_discovered_iam_users(
    inventory: ConfigInventory,
    resource_ids: list[str] | None = None,
    resource_name: str | None = None,
    limit: int | None = None,
    include_deleted: bool = False,
    next_token: str | None = None,
) -> dict[str, Any]:
    """The ListDiscoveredResources answer for AWS::IAM::User."""
    if not config_backends[inventory.account_id][inventory.region].recorders:
        raise NoAvailableConfigurationRecorderError()
    page_size = limit or PAGE_SIZE
    if page_size > PAGE_SIZE:
        raise InvalidLimitException(page_size)
    if resource_ids and resource_name:
        raise InvalidResourceParameters()
    if resource_ids and len(resource_ids) > MAX_RESOURCE_IDS:
        raise TooManyResourceIds()
    users = [
        user
        for user in inventory.users(include_deleted)
        if (not resource_ids or user.resource_id in resource_ids)
        and (resource_name is None or user.resource_name == resource_name)
    ]
    start = 0
    if next_token:
        # The token names the first resource of the next page.
        start = next((i for i, user in enumerate(users) if user.resource_id == next_token), -1)
        if start < 0:
            raise InvalidNextTokenException()
    page = users[start : start + page_size]
    answer: dict[str, Any] = {"resourceIdentifiers": [_identifier(user) for user in page]}
    if start + page_size < len(users):
        answer["nextToken"] = users[start + page_size].resource_id
    return answer


@contextlib.contextmanager
def discovered_iam_users_api(inventory: ConfigInventory) -> Iterator[None]:
    """ListDiscoveredResources answers AWS::IAM::User from `inventory` while the context is open."""
    original = ConfigResponse.list_discovered_resources

    def list_discovered_resources(self: ConfigResponse) -> str:
        if self._get_param("resourceType") != IAM_USER_RESOURCE_TYPE or (
            self.current_account,
            self.region,
        ) != (inventory.account_id, inventory.region):
            return str(original(self))
        return json.dumps(
            list_discovered_iam_users(
                inventory,
                resource_ids=self._get_param("resourceIds"),
                resource_name=self._get_param("resourceName"),
                limit=self._get_param("limit"),
                include_deleted=bool(self._get_param("includeDeletedResources")),
                next_token=self._get_param("nextToken"),
            )
        )

    with mock.patch.object(ConfigResponse, "list_discovered_resources", list_discovered_resources):
        yield
