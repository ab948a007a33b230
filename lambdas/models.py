"""What the workflow's functions return to it (the shapes the ASL reads)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from domain.credentials import KeyOutcome
from domain.frozen import FrozenModel
from domain.messages import OperatorAlert, OwnerNotification
from domain.results import PasswordResult, RemediationOutcome
from lambdas.notification_state import NotificationClaim


class Evaluation(FrozenModel):
    """What the Evaluate step returns to the workflow."""

    outcome: RemediationOutcome
    reason: str
    user_name: str | None
    keys: tuple[KeyOutcome, ...]
    password: PasswordResult
    password_deleted: bool
    notify_owner: bool
    notification: OwnerNotification | None
    notification_claims: list[NotificationClaim] = Field(default_factory=list)
    """One per notified credential; empty when nobody is notified."""
    duplicate_notice: str | None = None
    """Recorded in the audit items when every claim fails: why the owner was not told again."""
    operator_alert: OperatorAlert | None
    record_items: list[dict[str, Any]]
    """Audit items in DynamoDB attribute-value form, ready for dynamodb:putItem."""

    @field_validator("record_items")
    @classmethod
    def _non_empty(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not items:
            raise ValueError("an evaluation always records at least one item")
        return items
