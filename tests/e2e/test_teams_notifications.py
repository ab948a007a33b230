"""Owners told in Microsoft Teams, end to end in the sandbox: the card, throttling, an outage."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from deployment.settings import DeploymentSettings
from keywarden.sandbox import Sandbox
from keywarden.sandbox.servers.webhook_server import ScriptedAnswer
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e

KEY_ID = "AKIABOB0000000000001"
BOB = UserSpec(
    name="bob",
    tags={"owner-email": "bob@example.com"},
    keys=[KeySpec(id=KEY_ID, created_days_ago=120, last_used_days_ago=0, last_used_region="eu-west-1")],
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(DeploymentSettings(notification_channels=("email", "teams"))) as running:
        yield running


def remediate(sandbox: Sandbox, spec: UserSpec = BOB) -> str:
    user = sandbox.add_user(spec)
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    return execution


def test_bob_reads_about_his_key_in_teams_and_by_email(sandbox: Sandbox) -> None:
    # Given a deployment that tells owners by email and Teams, and bob's stale key he used today
    # When his event is handled
    remediate(sandbox)

    # Then he reads in Teams, in the keywarden alerts channel, that his key is still active and what to do
    email, teams = sandbox.deliveries()
    assert (teams.channel, teams.recipient, teams.user_name) == (
        "teams",
        "Security > keywarden alerts",
        "bob",
    )
    assert teams.subject == f"Action needed: rotate access key {KEY_ID} of IAM user bob (120 days old)"
    assert f"Access key {KEY_ID}: STILL ACTIVE - action needed" in teams.text
    assert "(today), by s3 in eu-west-1" in teams.text
    # And he is told by email too
    assert email.channel == "email"
    # And the stand-in took the card as Teams' Workflows webhook does, and no Slack forwarder exists.
    assert [p.status for p in sandbox.webhooks["teams"].posts] == [202]
    assert set(sandbox.webhooks) == {"teams"}
    assert [i.function_name for i in sandbox.sns_to_lambda.invocations] == [
        "keywarden-email-forwarder",
        "keywarden-teams-forwarder",
    ]


def test_teams_throttling_is_waited_out_on_the_forwarders_clock(sandbox: Sandbox) -> None:
    # Given Teams answering the first post 429 with Retry-After: 45
    sandbox.webhooks["teams"].answer_next(ScriptedAnswer(429, "Rate limit is exceeded", retry_after="45"))

    # When bob's notification goes out
    execution = remediate(sandbox)

    # Then the forwarder waited 45 simulated seconds and posted again, and the card arrived
    assert [p.status for p in sandbox.webhooks["teams"].posts] == [429, 202]
    assert [d.channel for d in sandbox.deliveries()] == ["email", "teams"]
    assert sandbox.forwarder_clock.elapsed_seconds == 45
    # The workflow does not wait for its subscribers: only the 30 s runbook run counts.
    assert sandbox.execution(execution).simulated_seconds == pytest.approx(30, abs=1)


def test_teams_down_ends_in_its_dead_letter_queue_and_never_leaks_the_webhook(sandbox: Sandbox) -> None:
    # Given Teams answering 503 to every post
    sandbox.webhooks["teams"].answer_next(*[ScriptedAnswer(503, "Service Unavailable")] * 12)

    # When bob's event is handled
    execution = remediate(sandbox)

    # Then the workflow still succeeds and only the email arrives
    assert sandbox.execution(execution).status == "SUCCEEDED"
    assert [d.channel for d in sandbox.deliveries()] == ["email"]
    assert len(sandbox.webhooks["teams"].posts) == 12  # 4 tries in each of Lambda's 3 attempts
    # And the Teams event ends in its dead-letter queue after Lambda's 3 attempts, saying why
    [record] = sandbox.forwarder_failures("teams")
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "WebhookDeliveryError"
    assert record["responsePayload"]["errorMessage"] == (
        "Teams answered 503 Service Unavailable; gave up after 4 attempts"
    )
    # And the email did not fail, and no log nor dead-letter record holds the webhook URL
    assert sandbox.forwarder_failures("email") == []
    logs = "".join(i.logs for i in sandbox.lambdas.invocations) + json.dumps(record)
    assert "Teams answered 503" in logs
    assert sandbox.webhooks["teams"].url("default") not in logs
    assert "/services/" not in logs
