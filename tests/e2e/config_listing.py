"""Config's listing of IAM users in a sandbox, and scenario users to fill it, for the Config tests."""

from __future__ import annotations

from typing import Any

from keywarden.sandbox import Sandbox
from keywarden.scenario import KeySpec, UserSpec

IAM_USER = "AWS::IAM::User"


def user(name: str, discovered_by_config: bool = True) -> UserSpec:
    return UserSpec(
        name=name,
        keys=[KeySpec(created_days_ago=120)],
        discovered_by_config=discovered_by_config,
    )


def listed(sandbox: Sandbox, **request: Any) -> list[dict[str, Any]]:
    answer = sandbox.client("config").list_discovered_resources(resourceType=IAM_USER, **request)
    return list(answer["resourceIdentifiers"])
