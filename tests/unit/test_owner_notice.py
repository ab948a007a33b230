"""Telling the owner once (Conclude with lambdas.owner_notice): claim, publish, release on failure.

The notification-state table is a fake that evaluates keywarden's conditional updates as DynamoDB
does (tests/unit/fakes.py), behind the real DynamoDBNotificationClaims.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from domain.evaluation import WorkflowState
from domain.messages import OwnerNotification
from domain.notification_claims import duplicate_notice
from domain.tables import NotificationStateTable as State
from lambdas.conclusion import Conclusion, conclude
from lambdas.owner_notice import SnsOwnerTopic
from tests.factories import (
    EXECUTION_ARN,
    NOW,
    USER_ID,
    audit_items,
    automation,
    conclude_request,
    conclude_settings,
    deactivated,
    iam_user,
    key,
    login_profile,
    prepared,
    without_password,
)
from tests.unit.fakes import FakeNotificationStateTable, FakeOwnerTopic, conclude_ports, offline_client

SETTINGS = conclude_settings()
UNUSED = "AKIAUNUSED0000000001"
IN_USE = "AKIAINUSE00000000001"
BOB = iam_user([key(UNUSED, created_days_ago=120)], tags={"owner-email": "bob@example.com"})
BOB_AFTER = deactivated(BOB, UNUSED)


class World:
    """One notification-state table and one owners' topic, shared by successive Conclude runs."""

    def __init__(self) -> None:
        self.table = FakeNotificationStateTable()
        self.topic = FakeOwnerTopic()

    def conclude(
        self,
        before: Any = BOB,
        after: Any = BOB_AFTER,
        *,
        execution: str = "run-1",
        at: datetime = NOW,
    ) -> Conclusion:
        """Conclude a successful runbook run of `before` that left `after` in IAM."""
        state = WorkflowState(prepared=prepared(before), automation=automation("Success"))
        ports = conclude_ports(after, table=self.table, topic=self.topic)
        return conclude(conclude_request(state, execution_name=execution, at=at), SETTINGS, ports)

    def claim(self, sort_key: str = State.key_sk(UNUSED)) -> dict[str, Any]:
        item = self.table.item(USER_ID, sort_key)
        assert item is not None
        return item


def summary(conclusion: Conclusion) -> dict[str, Any]:
    return audit_items(conclusion)[0]


def attribute(notification: OwnerNotification, name: str) -> str:
    return notification.attributes[name]["StringValue"]


@pytest.fixture
def world() -> World:
    return World()


class TestFirstNotice:
    def test_a_claimed_notice_is_published_and_its_message_id_recorded(self, world: World) -> None:
        """Given the owner was never told about the key,
        When the runbook deactivates it,
        Then the owner's notice is published once, and both the audit record and the claim keep its id."""
        conclusion = world.conclude()
        [notice] = world.topic.published
        assert conclusion.notified
        assert (attribute(notice, "owner_email"), attribute(notice, "severity")) == (
            "bob@example.com",
            "medium",
        )
        record = summary(conclusion)
        assert (record["notification_message_id"], record["notification_subject"]) == (
            "msg-1",
            notice.subject,
        )
        claim = world.claim()
        assert (claim["result"], claim["last_execution"], claim["last_message_id"]) == (
            "DEACTIVATED",
            "run-1",
            "msg-1",
        )
        assert claim["suppress_until"] == int((NOW + timedelta(hours=168)).timestamp())
        assert claim["notification_count"] == 1

    def test_a_skipped_key_warns_the_fallback_contact_with_high_severity(self, world: World) -> None:
        """Given a stale key still in use and no owner tag,
        When the runbook leaves it active,
        Then the security contact is warned with high severity."""
        user = iam_user([key(IN_USE, created_days_ago=120, last_used_days_ago=0)])
        world.conclude(user, user)
        [notice] = world.topic.published
        assert (attribute(notice, "owner_email"), attribute(notice, "severity")) == (
            "security@example.com",
            "high",
        )
        assert notice.subject.startswith(
            f"[keywarden] Action needed: rotate access key {IN_USE} of IAM user bob"
        )

    def test_a_deleted_console_password_is_told(self, world: World) -> None:
        """Given an unused console password, When the runbook deletes it, Then the owner reads that it was."""
        user = iam_user([key(created_days_ago=10)], profile=login_profile(200, 120))
        world.conclude(user, without_password(user))
        [notice] = world.topic.published
        assert "Console password: DELETED" in notice.text
        assert world.claim(State.PASSWORD_SK)["result"] == "DELETED"

    def test_nothing_to_tell_publishes_and_claims_nothing(self, world: World) -> None:
        """Given only a young key, When nothing changes, Then nobody is told and nothing is claimed."""
        user = iam_user([key(created_days_ago=10, last_used_days_ago=1)])
        conclusion = world.conclude(user, user)
        assert (conclusion.outcome.value, conclusion.notified) == ("NO_CHANGE", False)
        assert (world.topic.published, world.table.updates) == ([], 0)
        assert "notification_subject" not in summary(conclusion)

    def test_the_subject_fits_sns(self, world: World) -> None:
        """Given a key 12,000 days old still in use, When its owner is warned, Then the subject fits SNS."""
        user = iam_user([key(IN_USE, created_days_ago=12000, last_used_days_ago=0)], user_name="b" * 64)
        world.conclude(user, user)
        assert len(world.topic.published[0].subject) <= 100


class TestRepeatedEvents:
    def test_the_same_result_within_the_window_is_not_published_again(self, world: World) -> None:
        """Given the owner was told 23 hours ago that the key was deactivated,
        When another execution concludes the same result,
        Then nothing is published, the record says why, and nobody is alerted."""
        world.conclude()
        repeat = world.conclude(execution="run-2", at=NOW + timedelta(hours=23))
        assert len(world.topic.published) == 1
        record = summary(repeat)
        assert record["notification_suppressed"] == duplicate_notice(168)
        assert "notification_message_id" not in record
        assert (repeat.notified, repeat.operator_alert) == (False, None)
        assert (world.claim()["last_execution"], world.claim()["notification_count"]) == ("run-1", 1)

    def test_a_changed_result_within_the_window_is_news(self, world: World) -> None:
        """Given the owner was warned that a key was left active,
        When an hour later the key is deactivated,
        Then the owner is told again."""
        in_use = iam_user([key(IN_USE, created_days_ago=120, last_used_days_ago=89)])
        world.conclude(in_use, in_use)
        world.conclude(in_use, deactivated(in_use, IN_USE), execution="run-2", at=NOW + timedelta(hours=1))
        assert len(world.topic.published) == 2
        assert world.claim(State.key_sk(IN_USE))["result"] == "DEACTIVATED"

    def test_after_the_window_the_owner_is_told_again(self, world: World) -> None:
        """Given the owner was told a week and an hour ago,
        When the same result is concluded again,
        Then it is published, counted, and the first notification time is kept."""
        world.conclude()
        first = dict(world.claim())
        later = world.conclude(execution="run-2", at=NOW + timedelta(hours=169))
        assert (later.notified, len(world.topic.published)) == (True, 2)
        claim = world.claim()
        assert (claim["notification_count"], claim["first_notified_at"]) == (2, first["first_notified_at"])
        assert claim["last_message_id"] == "msg-2"


class TestFailures:
    def test_an_unreachable_claims_table_does_not_silence_the_owner(self, world: World) -> None:
        """Given the notification-state table cannot be reached,
        When the key is deactivated,
        Then the owner is told anyway and the message id recorded."""
        world.table.unreachable = True
        conclusion = world.conclude()
        assert len(world.topic.published) == 1
        assert summary(conclusion)["notification_message_id"] == "msg-1"
        assert conclusion.operator_alert is None

    def test_a_failed_publish_releases_the_claims_records_the_error_and_alerts(self, world: World) -> None:
        """Given the owners' topic refuses to publish,
        When the key is deactivated,
        Then the outcome is still REMEDIATED, the record keeps the error, the operators are alerted, and
        the claim is released so that the next event tells the owner."""
        world.topic.failing = "AuthorizationError"
        conclusion = world.conclude()
        error = (
            "ClientError: An error occurred (AuthorizationError) when calling the Publish operation: "
            "User is not authorized to perform SNS:Publish"
        )
        record = summary(conclusion)
        assert (record["outcome"], record["notification_error"]) == ("REMEDIATED", error)
        assert record["reason"] == f"revoked: {UNUSED}"
        assert "notification_message_id" not in record
        assert conclusion.reason == f"revoked: {UNUSED}; the owner could not be notified: {error}"
        alert = conclusion.operator_alert
        assert alert is not None
        assert (alert.subject, alert.error) == (
            "[keywarden] Owner notification failed",
            "keywarden.OwnerNotificationFailed",
        )
        assert alert.message.startswith(
            f"The outcome REMEDIATED was recorded, but the owner could not be notified: {error}"
        )
        assert f"Execution: {EXECUTION_ARN}\n" in alert.message

        world.topic.failing = None
        assert world.conclude(execution="run-2", at=NOW + timedelta(minutes=5)).notified
        assert len(world.topic.published) == 1

    def test_a_retry_after_a_failed_publish_publishes(self, world: World) -> None:
        """Given Conclude's publish failed,
        When the same execution runs Conclude again and the topic works,
        Then the owner is told, once."""
        world.topic.failing = "InternalError"
        world.conclude()
        world.topic.failing = None
        retry = world.conclude()
        assert (retry.notified, len(world.topic.published)) == (True, 1)
        assert summary(retry)["notification_message_id"] == "msg-1"

    def test_a_retry_after_a_failed_publish_is_not_mistaken_for_an_earlier_notice(self, world: World) -> None:
        """Given the owner was told a week ago (msg-1), and a later execution's publish failed,
        When that later execution runs Conclude again,
        Then it publishes: the earlier notice's message id is not taken for its own."""
        world.conclude()
        world.topic.failing = "InternalError"
        world.conclude(execution="run-2", at=NOW + timedelta(hours=169))
        world.topic.failing = None
        retry = world.conclude(execution="run-2", at=NOW + timedelta(hours=169))
        assert (retry.notified, len(world.topic.published)) == (True, 2)
        assert summary(retry)["notification_message_id"] == "msg-2"


class TestConcludeRunTwice:
    def test_the_owner_is_told_once(self, world: World) -> None:
        """Given Conclude published the owner's notice,
        When Step Functions runs Conclude again for the same execution (a Lambda retry),
        Then nothing is published again, and both answers carry the first message id."""
        first = world.conclude()
        again = world.conclude()
        assert len(world.topic.published) == 1
        assert (
            summary(first)["notification_message_id"] == summary(again)["notification_message_id"] == "msg-1"
        )
        assert again.notified
        assert world.claim()["last_message_id"] == "msg-1"

    def test_the_notice_is_counted_once(self, world: World) -> None:
        """Given Conclude published the owner's notice,
        When it runs again for the same execution,
        Then the claim still counts one notification."""
        world.conclude()
        world.conclude()
        assert world.claim()["notification_count"] == 1


def test_the_sns_topic_publishes_each_protocol_its_own_body() -> None:
    """Given the owners' topic on SNS,
    When a notice is published,
    Then it goes with MessageStructure json, its subject and its attributes, and SNS's id is returned."""
    sns = offline_client("sns")
    notice = OwnerNotification(
        subject="[keywarden] Access key AKIAUNUSED0000000001 of IAM user bob was deactivated",
        text="Hello,",
        message='{"default": "Hello,", "email": "Hello,", "lambda": "{}"}',
        attributes={"severity": {"DataType": "String", "StringValue": "medium"}},
    )
    topic_arn = "arn:aws:sns:eu-west-1:111122223333:keywarden-owners"
    with Stubber(sns) as stub:
        stub.add_response(
            "publish",
            {"MessageId": "5f1d5a3e-8f6b-5c1e-9a7d-3b2c1d0e9f8a"},
            {
                "TopicArn": topic_arn,
                "Subject": notice.subject,
                "MessageStructure": "json",
                "Message": notice.message,
                "MessageAttributes": notice.attributes,
            },
        )
        assert SnsOwnerTopic(sns, topic_arn).publish(notice) == "5f1d5a3e-8f6b-5c1e-9a7d-3b2c1d0e9f8a"
        stub.assert_no_pending_responses()
