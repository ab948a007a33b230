"""Owners hear about their keys, in Slack and by email, once per window: end to end in the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from moto.iam.models import AccessKeyLastUsed, iam_backends

from deployment.settings import DeploymentSettings
from keywarden.sandbox import Sandbox
from keywarden.sandbox.servers.webhook_server import ScriptedAnswer
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e

KEY_ID = "AKIABOB0000000000001"
BOB = UserSpec(
    name="bob",
    tags={"owner-email": "bob@example.com", "slack-channel": "payments-alerts"},  # IAM refuses "#"
    keys=[
        KeySpec(
            id=KEY_ID,
            created_days_ago=120,
            last_used_days_ago=0,
            last_used_service="s3",
            last_used_region="eu-west-1",
        )
    ],
)
UNUSED = UserSpec(
    name="carl",
    tags={"owner": "carl@example.com", "slack-channel": "platform"},
    keys=[KeySpec(id="AKIACARL000000000001", created_days_ago=200)],
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings(notification_window_hours=24)) as running:
        yield running


def remediate(sandbox: Sandbox, user_id: str) -> str:
    [execution] = sandbox.put_event(sandbox.compliance_change(user_id))
    return execution


def deadline(summary: dict[str, str]) -> str:
    return (datetime.fromisoformat(summary["recorded_at"]) + timedelta(days=14)).date().isoformat()


def test_bob_reads_about_his_key_in_his_channel_and_his_inbox(sandbox: Sandbox) -> None:
    # Given bob, tagged with his address and channel, whose 120-day-old key he used today
    user = sandbox.add_user(BOB)

    # When his event is handled
    execution = remediate(sandbox, user.user_id)
    summary = sandbox.audit_items(execution)[0]

    # Then his channel reads which key is still active, how old, its last use, and what to do by when
    slack, email = sorted(sandbox.deliveries(), key=lambda d: d.channel, reverse=True)
    assert (slack.channel, slack.recipient, slack.user_name) == ("slack", "#payments-alerts", "bob")
    assert slack.subject == f"Action needed: rotate access key {KEY_ID} of IAM user bob (120 days old)"
    assert f"Access key {KEY_ID}: STILL ACTIVE - action needed" in slack.text
    assert "Created: " in slack.text
    assert "(120 days ago)" in slack.text
    assert "(today), by s3 in eu-west-1" in slack.text
    assert f"What to do, before {deadline(summary)}" in slack.text
    # And his inbox gets the same from keywarden's address, in text and HTML
    assert (email.channel, email.recipient, email.cc, email.sender) == (
        "email",
        "bob@example.com",
        (),
        "keywarden@example.com",
    )
    assert email.subject == f"[keywarden] {slack.subject}"
    assert "  Created:   " in email.text
    assert "(today), by s3 in eu-west-1" in email.text
    assert f"before {deadline(summary)}" in email.text
    assert email.html is not None
    assert f"<code>{KEY_ID}</code>" in email.html
    # And each forwarder ran once and succeeded
    assert [(i.function_name, i.attempts, i.succeeded) for i in sandbox.sns_to_lambda.invocations] == [
        ("keywarden-slack-forwarder", 1, True),
        ("keywarden-email-forwarder", 1, True),
    ]


def test_forwarders_get_the_event_sns_sends(sandbox: Sandbox) -> None:
    # Given bob's event handled and his owners' notice published
    user = sandbox.add_user(BOB)
    execution = remediate(sandbox, user.user_id)
    message_id = sandbox.audit_items(execution)[0]["notification_message_id"]

    # When the email forwarder's invocation is read
    [invocation] = [i for i in sandbox.lambdas.invocations if i.function_name == "keywarden-email-forwarder"]

    # Then it got the SNS record from the owners' topic, with the routing attributes and the structured facts
    record = invocation.event["Records"][0]
    assert record["EventSubscriptionArn"].startswith(sandbox.stack.owners_topic_arn + ":")
    sns = record["Sns"]
    assert (sns["MessageId"], sns["TopicArn"]) == (message_id, sandbox.stack.owners_topic_arn)
    assert sns["MessageAttributes"]["owner_email"] == {"Type": "String", "Value": "bob@example.com"}
    assert sns["MessageAttributes"]["severity"] == {"Type": "String", "Value": "high"}
    facts = json.loads(sns["Message"])  # the `lambda` part of the message: structured facts
    assert facts["schema_id"] == "keywarden.owner-notification/1"
    assert facts["keys"][0]["access_key_id"] == KEY_ID


def test_a_repeated_event_within_the_window_is_not_notified_again_but_is_after_it(sandbox: Sandbox) -> None:
    # Given bob was told about his key left active
    user = sandbox.add_user(BOB)
    first = remediate(sandbox, user.user_id)

    # And he was told once: one notice, two deliveries
    assert len(sandbox.published("owners")) == 1
    assert len(sandbox.deliveries()) == 2

    # When the same event comes 23 hours later, within the 24-hour window
    sandbox.clock.advance(23 * 3600)
    repeat = remediate(sandbox, user.user_id)
    run = sandbox.execution(repeat)

    # Then it is recorded with why he was not told again, and nothing is published or delivered
    assert run.status == "SUCCEEDED"
    summary, key_item = sandbox.audit_items(repeat)
    assert summary["outcome"] == "KEYS_LEFT_ACTIVE"
    assert summary["notification_suppressed"] == (
        "not sent again: the owner was already told about the same result for every key "
        "within the last 24 hours (notification window)"
    )
    assert key_item["notification_suppressed"] == summary["notification_suppressed"]
    assert "notification_message_id" not in summary
    assert sandbox.published("owners") == []
    assert len(sandbox.deliveries()) == 2
    # And the notification state still says he was told once, by the first execution
    [state] = sandbox.notification_state(user.user_id)
    assert (state["sk"], state["result"], state["notification_count"]) == (
        f"KEY#{KEY_ID}",
        "SKIPPED_RECENTLY_USED",
        1,
    )
    assert state["last_execution"] == first.rsplit(":", 1)[-1]

    # When it comes again past the window
    sandbox.clock.advance(3600 + 60)
    later = remediate(sandbox, user.user_id)

    # Then he is told again, and the state counts two notices since the first
    assert sandbox.audit_items(later)[0]["notification_message_id"]
    assert len(sandbox.published("owners")) == 1
    assert [d.channel for d in sandbox.deliveries()] == ["slack", "email", "slack", "email"]
    [state_after] = sandbox.notification_state(user.user_id)
    assert state_after["notification_count"] == 2
    assert state_after["first_notified_at"] == state["first_notified_at"]
    assert state_after["last_notified_at"] > state["last_notified_at"]


def test_a_changed_result_within_the_window_is_news(sandbox: Sandbox) -> None:
    # Given bob was told his key is still active
    user = sandbox.add_user(BOB)
    remediate(sandbox, user.user_id)
    # And nobody used the key since: by the next event it is unused, and the runbook revokes it.
    key = iam_backends[sandbox.account_id]["aws"].get_user("bob").get_access_key_by_id(KEY_ID)
    key.last_used = AccessKeyLastUsed(
        timestamp=(sandbox.clock.now() - timedelta(days=100)).replace(tzinfo=None),
        service="s3",
        region="eu-west-1",
    )

    # When the next event comes within the window
    second = remediate(sandbox, user.user_id)

    # Then the changed result is news: he is told his key was deactivated
    assert sandbox.audit_items(second)[0]["keys"][0]["result"] == "DEACTIVATED"
    assert "notification_message_id" in sandbox.audit_items(second)[0]
    slack_messages = [d.text for d in sandbox.deliveries() if d.channel == "slack"]
    assert len(slack_messages) == 2
    assert f"Access key {KEY_ID}: DEACTIVATED" in slack_messages[1]


def test_a_failed_publish_gives_the_claim_back(sandbox: Sandbox) -> None:
    # Given the owners' topic is gone
    user = sandbox.add_user(BOB)
    sns = sandbox.client("sns")
    sns.delete_topic(TopicArn=sandbox.stack.owners_topic_arn)

    # When bob's event is handled
    failed = remediate(sandbox, user.user_id)

    # Then the execution fails on the notice, the record holds the error, and the claim is given back
    run = sandbox.execution(failed)
    assert run.status == "FAILED"
    assert run.error == "keywarden.OwnerNotificationFailed"
    assert sandbox.audit_items(failed)[0]["notification_error"].startswith("NotFoundException")
    [state] = sandbox.notification_state(user.user_id)
    assert state["suppress_until"] == 0

    # When the topic is back and the event comes again
    sns.create_topic(Name=sandbox.stack.owners_topic_arn.rsplit(":", 1)[-1])
    retried = remediate(sandbox, user.user_id)

    # Then it succeeds and he is told
    assert sandbox.execution(retried).status == "SUCCEEDED"
    assert sandbox.audit_items(retried)[0]["notification_message_id"]


def test_an_unknown_owner_reaches_the_security_contact_and_the_default_channel(sandbox: Sandbox) -> None:
    # Given bob's owner tag and channel tag are both malformed
    spec = BOB.model_copy(
        update={"tags": {"owner-email": "bob at example", "slack-channel": "Payments Alerts"}}
    )
    user = sandbox.add_user(spec)

    # When his event is handled
    execution = remediate(sandbox, user.user_id)

    # Then the record says the security contact and the default channel were used, and why
    assert sandbox.audit_items(execution)[0]["owner"] == {
        "email": "security@example.com",
        "source": "fallback: malformed address in tag owner-email",
        "slack_channel_source": "default channel: malformed channel in tag slack-channel",
    }
    # And the default channel's message and the security contact's email say why they got it
    slack, email = sorted(sandbox.deliveries(), key=lambda d: d.channel, reverse=True)
    assert slack.recipient == "#keywarden-alerts"
    assert (
        "Posted to the default channel (default channel: malformed channel in tag slack-channel)."
        in slack.text
    )
    assert email.recipient == "security@example.com"
    assert "keywarden found no owner for bob (fallback: malformed address in tag owner-email)" in " ".join(
        email.text.split()
    )


def test_filter_policies_choose_the_forwarders() -> None:
    # Given a deployment that posts to Slack only high severities
    with Sandbox(DeploymentSettings(slack_severities=("high",))) as sandbox:
        carl = sandbox.add_user(UNUSED)
        bob = sandbox.add_user(BOB)

        # When carl's key is deactivated (medium) and bob's is left active (high)
        remediate(sandbox, carl.user_id)  # a deactivated key: severity medium
        remediate(sandbox, bob.user_id)  # a key left active: severity high

        # Then carl hears by email only, bob in Slack and by email
        assert [(d.user_name, d.channel, d.recipient) for d in sandbox.deliveries()] == [
            ("carl", "email", "carl@example.com"),
            ("bob", "slack", "#payments-alerts"),
            ("bob", "email", "bob@example.com"),
        ]


def test_slack_rate_limiting_is_waited_out_on_the_forwarders_clock(sandbox: Sandbox) -> None:
    # Given Slack answering the first post 429 with Retry-After: 30
    user = sandbox.add_user(BOB)
    sandbox.webhooks["slack"].answer_next(ScriptedAnswer(429, "rate_limited", retry_after="30"))

    # When bob's event is handled
    execution = remediate(sandbox, user.user_id)

    # Then the forwarder waited 30 simulated seconds and posted again, and both deliveries arrived
    assert [p.status for p in sandbox.webhooks["slack"].posts] == [429, 200]
    assert [d.channel for d in sandbox.deliveries()] == ["slack", "email"]
    assert sandbox.forwarder_clock.elapsed_seconds == 30
    # The workflow does not wait for its subscribers: only the 30 s runbook run counts.
    assert sandbox.execution(execution).simulated_seconds == pytest.approx(30, abs=1)


def test_slack_down_ends_in_the_dead_letter_queue_and_never_leaks_the_webhook(sandbox: Sandbox) -> None:
    # Given Slack answering 500 to every post
    user = sandbox.add_user(BOB)
    sandbox.webhooks["slack"].answer_next(*[ScriptedAnswer(500, "internal_error")] * 12)

    # When bob's event is handled
    execution = remediate(sandbox, user.user_id)

    # Then the workflow still succeeds and only the email arrives
    assert sandbox.execution(execution).status == "SUCCEEDED"
    assert [d.channel for d in sandbox.deliveries()] == ["email"]
    assert len(sandbox.webhooks["slack"].posts) == 12  # 4 tries in each of Lambda's 3 attempts
    # And the Slack event ends in the dead-letter queue after Lambda's 3 attempts, saying why, with the SNS
    # message
    [record] = sandbox.forwarder_failures("slack")
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "WebhookDeliveryError"
    assert record["responsePayload"]["errorMessage"] == (
        "Slack answered 500 internal_error; gave up after 4 attempts"
    )
    notified = sandbox.audit_items(execution)[0]["notification_message_id"]
    assert record["requestPayload"]["Records"][0]["Sns"]["MessageId"] == notified
    # And the email did not fail, and no log nor dead-letter record holds a webhook URL
    assert sandbox.forwarder_failures("email") == []
    secret_urls = [
        sandbox.webhooks["slack"].url("default"),
        sandbox.webhooks["slack"].url("#payments-alerts"),
    ]
    logs = "".join(i.logs for i in sandbox.lambdas.invocations) + json.dumps(record)
    assert "Slack answered 500" in logs
    assert not [url for url in secret_urls if url in logs]
    assert "/services/" not in logs


def test_an_email_ses_refuses_ends_in_the_dead_letter_queue(sandbox: Sandbox) -> None:
    # Given SES does not allow keywarden's sender address
    sandbox.client("sesv2").delete_email_identity(EmailIdentity="keywarden@example.com")
    user = sandbox.add_user(BOB)

    # When bob's event is handled
    remediate(sandbox, user.user_id)

    # Then only Slack delivers, and the email event ends in its dead-letter queue with SES's refusal
    assert [d.channel for d in sandbox.deliveries()] == ["slack"]
    [record] = sandbox.forwarder_failures("email")
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "MessageRejected"
    assert (
        "Did not have authority to send from email keywarden@example.com"
        in record["responsePayload"]["errorMessage"]
    )
