"""Synthetic audit history for the sandbox: many remediations, written straight into moto.

The items are built by the workflow's own `build_record_items`, so they have exactly the shape
(and the index attributes) of real records. They are put into moto's DynamoDB backend
directly rather than through the API: 20,000 remediations take seconds, not minutes. Same
`seed`, same history, so tests and benchmarks can compute the expected answers.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.dynamodb.models import dynamodb_backends

from domain.audit_record import RemediationFacts, build_record_items
from domain.compliance_event import RemediationRequest
from domain.credentials import KeyOutcome, KeyStatus
from domain.owners import OwnerContact
from domain.results import KeyResult, PasswordResult, RemediationOutcome
from domain.runbook import AutomationProgress, PollProgress
from lambdas.attribute_values import to_attribute_values

SEED_ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444", "555555555555")
_OUTCOME_WEIGHTS = {
    RemediationOutcome.REMEDIATED: 50,
    RemediationOutcome.KEYS_LEFT_ACTIVE: 25,
    RemediationOutcome.NO_CHANGE: 8,
    RemediationOutcome.USER_NOT_FOUND: 5,
    RemediationOutcome.FAILED: 7,
    RemediationOutcome.TIMED_OUT: 3,
    RemediationOutcome.REJECTED: 2,
}
_KEY_RESULT = {
    RemediationOutcome.REMEDIATED: KeyResult.DEACTIVATED,
    RemediationOutcome.KEYS_LEFT_ACTIVE: KeyResult.SKIPPED_RECENTLY_USED,
    RemediationOutcome.NO_CHANGE: KeyResult.ALREADY_INACTIVE,
    RemediationOutcome.FAILED: KeyResult.NOT_REVOKED,
    RemediationOutcome.TIMED_OUT: KeyResult.NOT_REVOKED,
}


@dataclass(frozen=True)
class SeedUser:
    name: str
    user_id: str
    account_id: str
    key_ids: tuple[str, ...]


def _code(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def seed_users(count: int, rng: random.Random, accounts: Sequence[str] = SEED_ACCOUNTS) -> list[SeedUser]:
    """Users with stable ids and one or two keys, each living in one account (the first
    accounts are the biggest)."""
    weights = [len(accounts) - n for n in range(len(accounts))]
    return [
        SeedUser(
            name=f"user-{n:05d}",
            user_id="AIDA" + _code(rng, 17),
            account_id=rng.choices(accounts, weights)[0],
            key_ids=tuple("AKIA" + _code(rng, 16) for _ in range(rng.choice((1, 1, 2)))),
        )
        for n in range(count)
    ]


def _facts(n: int, user: SeedUser, outcome: RemediationOutcome, at: datetime) -> RemediationFacts:
    name = f"seed-{n:06d}"
    result = _KEY_RESULT.get(outcome)
    keys = tuple(
        KeyOutcome(
            access_key_id=key_id,
            result=result,
            status_before=KeyStatus.ACTIVE,
            status_after=KeyStatus.ACTIVE if result is not KeyResult.DEACTIVATED else KeyStatus.INACTIVE,
            created_at=at - timedelta(days=120),
            age_days=120,
            last_used_at=at - timedelta(days=2) if result is KeyResult.SKIPPED_RECENTLY_USED else None,
        )
        for key_id in user.key_ids
        if result is not None
    )
    return RemediationFacts(
        execution_arn=f"arn:aws:states:us-east-1:{user.account_id}:execution:keywarden-remediation:{name}",
        execution_name=name,
        recorded_at=at,
        request=RemediationRequest(
            accepted=outcome is not RemediationOutcome.REJECTED,
            reason="seeded",
            user_id=user.user_id,
            account_id=user.account_id,
            region="us-east-1",
            rule_name="keywarden-access-keys-rotated",
            event_id=f"event-{n}",
            event_time=at - timedelta(seconds=40),
        ),
        user_id=user.user_id,
        user_name=None if outcome is RemediationOutcome.REJECTED else user.name,
        outcome=outcome,
        reason=f"seeded {outcome.value.lower()}",
        keys=keys,
        password=PasswordResult.NO_PASSWORD,
        automation=AutomationProgress(
            execution_id=f"automation-{n}", poll=PollProgress(number=2, max=40, interval_seconds=15)
        ),
        owner=OwnerContact(email=f"{user.name}@example.com", source="tag:owner-email") if keys else None,
        notification_subject=None,
        max_access_key_age_days=90,
        max_credential_usage_age_days=90,
        retention_days=0,
    )


def synthetic_history(
    items: int,
    *,
    seed: int = 7,
    users: int = 2000,
    accounts: Sequence[str] = SEED_ACCOUNTS,
    now: datetime | None = None,
    days: int = 365,
) -> list[dict[str, Any]]:
    """At least `items` audit items (plain values): whole remediations, each a summary item and
    its key items, at random moments (whole milliseconds) of the `days` days before `now`."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    people = seed_users(users, rng, accounts)
    end = (now or datetime(2026, 11, 28, 12, 0, tzinfo=UTC)).astimezone(UTC)
    outcomes, weights = list(_OUTCOME_WEIGHTS), list(_OUTCOME_WEIGHTS.values())
    history: list[dict[str, Any]] = []
    while len(history) < items:
        at = end - timedelta(milliseconds=rng.randrange(days * 86_400_000))
        outcome = rng.choices(outcomes, weights)[0]
        history.extend(build_record_items(_facts(len(history), rng.choice(people), outcome, at)))
    return history


def seed_audit_table(table_name: str, region: str, account_id: str, items: list[dict[str, Any]]) -> None:
    """Put the items into the sandbox's table through moto's backend (the sandbox must be running)."""
    backend = dynamodb_backends[account_id][region]
    for item in items:
        backend.put_item(table_name, to_attribute_values(item))
