"""Telling the owner, once: claim each notified credential in DynamoDB, publish, release on failure.

The claims make a repeated event within the notification window a recorded duplicate instead
of a second message. If the notification-state table cannot be reached, keywarden notifies
anyway: a duplicate is better than silence. A Conclude run again for the same execution (a
Lambda retry) finds its own claims and its message id, and publishes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from domain.messages import OwnerNotification
from domain.notification_claims import (
    HELD_BY_EXECUTION,
    NOT_YET_SENT_BY_EXECUTION,
    RELEASE_EXPRESSION,
    SENT_EXPRESSION,
    NotificationClaim,
    duplicate_notice,
)
from domain.tables import NotificationStateTable as State
from lambdas.aws_clients import condition_failed
from lambdas.observability import logger

AWS_ERRORS = (BotoCoreError, ClientError)


@dataclass(frozen=True)
class ClaimAnswer:
    taken: bool
    """This execution holds the claim now."""
    sent_message_id: str | None = None
    """This execution already published for this claim (a Conclude run again)."""


class NotificationClaims(Protocol):
    def claim(self, claim: NotificationClaim, execution: str) -> ClaimAnswer: ...
    def release(self, claim: NotificationClaim, execution: str) -> None: ...
    def mark_sent(self, claim: NotificationClaim, execution: str, message_id: str) -> None: ...


class OwnerTopic(Protocol):
    def publish(self, notification: OwnerNotification) -> str: ...


@dataclass(frozen=True)
class NoticeDelivery:
    """What became of the owner's notification; exactly one field is set."""

    message_id: str | None = None
    suppressed: str | None = None
    """Why it was not sent again (every credential already notified within the window)."""
    error: str | None = None
    """Why it could not be sent (the claims were released, so the next event notifies)."""


class DynamoDBNotificationClaims:
    """The notification-state table (a boto3 Table resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def claim(self, claim: NotificationClaim, execution: str) -> ClaimAnswer:
        try:
            answer = self.table.update_item(
                Key=claim.key,
                UpdateExpression=claim.update_expression,
                ConditionExpression=claim.condition_expression,
                ExpressionAttributeNames=claim.attribute_names,
                ExpressionAttributeValues=claim.attribute_values,
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if condition_failed(error):
                return ClaimAnswer(taken=False)
            raise
        old = answer.get("Attributes", {})
        sent_by_me = old.get(State.SENT_BY) == execution
        return ClaimAnswer(taken=True, sent_message_id=old.get(State.LAST_MESSAGE_ID) if sent_by_me else None)

    def _held_update(
        self,
        claim: NotificationClaim,
        execution: str,
        expression: str,
        values: dict[str, Any],
        condition: str,
    ) -> None:
        try:
            self.table.update_item(
                Key=claim.key,
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues={":execution": execution, **values},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise  # claimed by a later execution since: leave it

    def release(self, claim: NotificationClaim, execution: str) -> None:
        self._held_update(claim, execution, RELEASE_EXPRESSION, {":released": 0}, HELD_BY_EXECUTION)

    def mark_sent(self, claim: NotificationClaim, execution: str, message_id: str) -> None:
        self._held_update(
            claim,
            execution,
            SENT_EXPRESSION,
            {":message_id": message_id, ":one": 1},
            NOT_YET_SENT_BY_EXECUTION,
        )


class SnsOwnerTopic:
    """The owners' topic: MessageStructure json, so each subscriber protocol gets its own part."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self.sns, self.topic_arn = sns, topic_arn

    def publish(self, notification: OwnerNotification) -> str:
        answer = self.sns.publish(
            TopicArn=self.topic_arn,
            Subject=notification.subject,
            MessageStructure="json",
            Message=notification.message,
            MessageAttributes=notification.attributes,
        )
        return str(answer["MessageId"])


def _claim_all(
    claims: list[NotificationClaim], store: NotificationClaims, execution: str
) -> list[ClaimAnswer] | None:
    """Every claim's answer; None when the table cannot be reached (then notify anyway)."""
    try:
        return [store.claim(claim, execution) for claim in claims]
    except AWS_ERRORS as error:
        logger.warning("notification state unreachable: notifying anyway", extra={"error": str(error)})
        return None


def _best_effort(action: str, calls: list[tuple[NotificationClaim, Any]]) -> None:
    for claim, call in calls:
        try:
            call()
        except AWS_ERRORS as error:
            logger.warning(
                f"could not {action} a notification claim", extra={"key": claim.key, "error": str(error)}
            )


def deliver_owner_notice(
    notification: OwnerNotification,
    claims: list[NotificationClaim],
    store: NotificationClaims,
    topic: OwnerTopic,
    execution: str,
    window_hours: int,
) -> NoticeDelivery:
    """Publish the notification unless every credential in it was already notified in the window."""
    answers = _claim_all(claims, store, execution) if claims else None
    held = [claim for claim, answer in zip(claims, answers or [], strict=False) if answer.taken]
    if answers is not None:
        sent = next((a.sent_message_id for a in answers if a.sent_message_id), None)
        if sent:  # this execution published already (Conclude run again): publish nothing twice
            return NoticeDelivery(message_id=sent)
        if not held:
            return NoticeDelivery(suppressed=duplicate_notice(window_hours))
    try:
        message_id = topic.publish(notification)
    except AWS_ERRORS as error:
        _best_effort("release", [(c, lambda c=c: store.release(c, execution)) for c in held])
        return NoticeDelivery(error=f"{type(error).__name__}: {error}")
    _best_effort("mark", [(c, lambda c=c: store.mark_sent(c, execution, message_id)) for c in held])
    return NoticeDelivery(message_id=message_id)
