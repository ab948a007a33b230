"""AWS Config's inventory of IAM users in the sandbox: what Config has discovered, and deletions.

moto's Config backend has no IAM users (AWS::IAM::User is not among its resource types), so
Config's view of IAM is kept here. Config discovers a user when IAM creates it, if the region's
recorder records AWS::IAM::User at that moment (config_recorder.py); once discovered, a user stays
listed even if the recorder stops recording IAM users ("the results consist of resources that
Config has discovered, including those that Config is not currently recording":
https://docs.aws.amazon.com/config/latest/APIReference/API_ListDiscoveredResources.html). When
IAM deletes a discovered user, Config keeps it as a deleted resource with its deletion time
(ResourceIdentifier.resourceDeletionTime:
https://docs.aws.amazon.com/config/latest/APIReference/API_ResourceIdentifier.html).

The creation and deletion are caught in moto's IAM backend, so every way of creating a user
counts: the scenario's users, `recreate_user`, and IAM calls to a running `keywarden sandbox`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from unittest import mock

from moto.iam.models import IAMBackend, User

from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.config.recorder import recorder_records_iam_users


@dataclass(frozen=True)
class DiscoveredUser:
    """One IAM user as Config lists it."""

    resource_id: str
    """The user's unique id (AIDA...): Config's resourceId, the runbook's IAMResourceId."""
    resource_name: str
    """The user name."""
    deleted_at: datetime | None = None


class ConfigInventory:
    """The IAM users Config has discovered in one account and region."""

    def __init__(self, account_id: str, region: str, clock: VirtualClock) -> None:
        self.account_id = account_id
        self.region = region
        self.clock = clock
        # moto's own objects: the sandbox gives a user its AIDA... id after IAM created it, and
        # Config's item follows the user as it changes, so id and name are read when listed.
        self._live: list[User] = []
        self._deleted: dict[str, DiscoveredUser] = {}
        self._lock = threading.Lock()

    def user_created(self, user: User) -> None:
        """IAM created `user`: Config discovers it if the recorder records IAM users."""
        if recorder_records_iam_users(self.account_id, self.region):
            with self._lock:
                self._live.append(user)

    def user_deleted(self, user: User) -> None:
        """IAM deleted `user`: if Config knew it, it becomes a deleted resource."""
        with self._lock:
            if any(known is user for known in self._live):
                self._live = [known for known in self._live if known is not user]
                self._deleted[user.id] = DiscoveredUser(user.id, user.name, self.clock.now())

    def forget(self, resource_id: str) -> None:
        """Config has not discovered this user (a scenario's `discovered_by_config: false`)."""
        with self._lock:
            self._live = [known for known in self._live if known.id != resource_id]
            self._deleted.pop(resource_id, None)

    def recorded_users(self) -> list[User]:
        """moto's objects of the live users Config has discovered (what a rule evaluates), in order."""
        with self._lock:
            return list(self._live)

    def users(self, include_deleted: bool = False) -> list[DiscoveredUser]:
        """Discovered users, in the order Config discovered them; then the deleted ones."""
        with self._lock:
            live = [DiscoveredUser(user.id, user.name) for user in self._live]
            live_ids = {user.resource_id for user in live}
            # A user recreated with its old id (mocked_payloads.py does) exists again.
            deleted = [d for d in self._deleted.values() if d.resource_id not in live_ids]
        return live + deleted if include_deleted else live


@contextlib.contextmanager
def iam_users_discovered(inventory: ConfigInventory) -> Iterator[ConfigInventory]:
    """Tell `inventory` about every IAM user moto creates or deletes in its account."""
    original_create = IAMBackend.create_user
    original_delete = IAMBackend.delete_user

    def create_user(self: IAMBackend, *args: Any, **kwargs: Any) -> User:
        user = original_create(self, *args, **kwargs)
        if self.account_id == inventory.account_id:
            inventory.user_created(user)
        return user

    def delete_user(self: IAMBackend, user_name: str) -> None:
        user = self.get_user(user_name)
        original_delete(self, user_name)
        if self.account_id == inventory.account_id:
            inventory.user_deleted(user)

    with (
        mock.patch.object(IAMBackend, "create_user", create_user),
        mock.patch.object(IAMBackend, "delete_user", delete_user),
    ):
        yield inventory
