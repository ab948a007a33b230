"""The two workflow functions as Lambda runs them: settings from the environment, JSON in, JSON out.

Clients are made by each handler's cached `_configured()`; the tests replace it with in-memory ports
(tests/unit/fakes.py) and clear its cache, so no test sees another's settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from lambdas.aws_clients import AwsThrottled
from lambdas.conclusion import Ports
from lambdas.handlers import conclude as conclude_handler
from lambdas.handlers import forward_owner_notification
from lambdas.handlers import prepare as prepare_handler
from lambdas.preparation import PreparePorts
from lambdas.settings import ConcludeSettings, PrepareSettings
from notifications.channels import UnknownChannelError
from tests.factories import ACCOUNT_ID, EXECUTION_ARN, USER_ID, compliance_event, deactivated, iam_user, key
from tests.unit.fakes import (
    FakeConfig,
    FakeCoordination,
    FakeExemptionTable,
    FakeIAM,
    LambdaContext,
    conclude_ports,
)

PREPARE_ENV = {
    "CONFIG_RULE_NAME": "keywarden-access-keys-rotated",
    "DRY_RUN": "false",
    "EXEMPTION_TABLE_NAME": "keywarden-exemptions",
    "MAX_EXEMPTION_DAYS": "90",
    "COORDINATION_TABLE_NAME": "keywarden-coordination",
}
CONCLUDE_ENV = {
    "CONFIG_RULE_NAME": "keywarden-access-keys-rotated",
    "MAX_ACCESS_KEY_AGE_DAYS": "90",
    "MAX_CREDENTIAL_USAGE_AGE_DAYS": "90",
    "SECURITY_CONTACT_EMAIL": "security@example.com",
    "AUDIT_TABLE_NAME": "keywarden-audit",
    "NOTIFICATION_STATE_TABLE_NAME": "keywarden-notification-state",
    "OWNERS_TOPIC_ARN": f"arn:aws:sns:eu-west-1:{ACCOUNT_ID}:keywarden-owners",
    "COORDINATION_TABLE_NAME": "keywarden-coordination",
}
BOB = iam_user([key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120)], tags={"owner-email": "bob@example.com"})
EVENT = compliance_event()
STARTED = "2026-11-28T12:00:02Z"
"""Step Functions' timestamps, as the workflow's context object gives them."""


CONFIGURED = (prepare_handler._configured, conclude_handler._configured)
"""The handlers' own cached `_configured()`, kept before any test replaces it."""


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only the variables a test sets, and handlers configured afresh."""
    for name in {*PREPARE_ENV, *CONCLUDE_ENV}:
        monkeypatch.delenv(name, raising=False)
    for configured in CONFIGURED:
        configured.cache_clear()
    yield
    for configured in CONFIGURED:
        configured.cache_clear()


@pytest.fixture
def no_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any boto3 client or resource made fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a boto3 client was made: {args}")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3, "resource", refuse)


def set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def use_prepare_ports(monkeypatch: pytest.MonkeyPatch, ports: PreparePorts) -> None:
    """Prepare reads its settings from the environment, as deployed, and talks to `ports`."""
    monkeypatch.setattr(prepare_handler, "_configured", lambda: (PrepareSettings.from_environment(), ports))


def use_conclude_ports(monkeypatch: pytest.MonkeyPatch, ports: Ports) -> None:
    monkeypatch.setattr(conclude_handler, "_configured", lambda: (ConcludeSettings.from_environment(), ports))


def prepare(monkeypatch: pytest.MonkeyPatch, event: Any = EVENT, **env: str) -> dict[str, Any]:
    """Prepare's answer to the workflow for `event`, with Config and IAM knowing bob."""
    set_environment(monkeypatch, PREPARE_ENV | env)
    use_prepare_ports(
        monkeypatch,
        PreparePorts(FakeConfig({USER_ID: "bob"}), FakeIAM(BOB), FakeExemptionTable(), FakeCoordination()),
    )
    payload = {"event": event, "execution_name": "run-1", "prepared_at": "2026-11-28T12:00:00.123Z"}
    answer: dict[str, Any] = prepare_handler.handler(payload, LambdaContext())
    return answer


def conclude(monkeypatch: pytest.MonkeyPatch, state: dict[str, Any], *after: Any) -> dict[str, Any]:
    """Conclude's answer for the workflow `state` ($ as the ASL passes it), IAM holding `after`."""
    set_environment(monkeypatch, CONCLUDE_ENV)
    use_conclude_ports(monkeypatch, conclude_ports(*after))
    payload = {
        "state": state,
        "execution_arn": EXECUTION_ARN,
        "execution_name": "run-1",
        "execution_input": EVENT,
        "concluded_at": "2026-11-28T12:01:40.456Z",
    }
    answer: dict[str, Any] = conclude_handler.handler(payload, LambdaContext())
    return answer


def polled(status: str) -> dict[str, Any]:
    """$.automation after StartAutomation and two polls, shaped by the ASL's ResultSelectors."""
    execution = {
        "AutomationExecutionId": "auto-1",
        "AutomationExecutionStatus": status,
        "ExecutionStartTime": STARTED,
    }
    return {
        "execution_id": "auto-1",
        "poll": {"number": 2, "max": 40, "interval_seconds": 15},
        "last_poll": {"status": status, "execution": execution},
    }


class TestPrepare:
    def test_answers_the_branch_and_the_user_id_the_workflow_reads(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given a NON_COMPLIANT event for bob, whom Config and IAM know,
        When Prepare runs,
        Then its JSON answer has the action IsRemediationAllowed reads and the id StartAutomation passes."""
        answer = prepare(monkeypatch)
        assert answer["action"] == "REMEDIATE"
        assert answer["request"]["user_id"] == USER_ID
        assert answer["before"]["user"]["user_name"] == "bob"
        assert json.loads(json.dumps(answer)) == answer

    def test_the_dry_run_setting_comes_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Given DRY_RUN=true, When Prepare runs for bob, Then the action is DRY_RUN."""
        assert prepare(monkeypatch, DRY_RUN="true")["action"] == "DRY_RUN"

    def test_a_rejected_event_is_answered_record_only(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Given an event of another rule, When Prepare runs, Then it answers RECORD_ONLY with the reason."""
        answer = prepare(monkeypatch, compliance_event(rule_name="my-own-rule"))
        assert answer["action"] == "RECORD_ONLY"
        assert "rule 'my-own-rule' is not keywarden's rule" in answer["request"]["reason"]

    def test_a_throttled_read_fails_with_the_error_the_workflow_retries(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given IAM answering Throttling to every call (past the client's own retries),
        When Prepare runs, Then it fails with AwsThrottled, which the ASL's Retry waits out."""
        set_environment(monkeypatch, PREPARE_ENV)
        use_prepare_ports(
            monkeypatch,
            PreparePorts(
                FakeConfig({USER_ID: "bob"}),
                FakeIAM(BOB, error="Throttling"),
                FakeExemptionTable(),
                FakeCoordination(),
            ),
        )
        payload = {"event": EVENT, "execution_name": "run-1", "prepared_at": STARTED}
        with pytest.raises(AwsThrottled, match=r"GetUser throttled \(Throttling\)"):
            prepare_handler.handler(payload, LambdaContext())

    @pytest.mark.parametrize(
        ("env", "named"),
        [
            ({"DRY_RUN": "maybe"}, "DRY_RUN"),
            ({"MAX_EXEMPTION_DAYS": "0"}, "MAX_EXEMPTION_DAYS"),
            ({"EXEMPTION_TABLE_NAME": ""}, "EXEMPTION_TABLE_NAME"),
        ],
    )
    def test_a_bad_setting_fails_the_function_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, no_clients: None, env: dict[str, str], named: str
    ) -> None:
        """Given a bad environment variable, When the function first runs,
        Then it fails before making any client, and the error names the variable."""
        set_environment(monkeypatch, PREPARE_ENV | env)
        with pytest.raises(ValidationError, match=named):
            prepare_handler.handler(
                {"event": EVENT, "execution_name": "run-1", "prepared_at": STARTED}, LambdaContext()
            )

    def test_a_missing_dry_run_setting_is_never_defaulted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Given no DRY_RUN variable, When the function first runs, Then it fails naming DRY_RUN."""
        set_environment(monkeypatch, {k: v for k, v in PREPARE_ENV.items() if k != "DRY_RUN"})
        with pytest.raises(ValidationError, match="DRY_RUN"):
            prepare_handler.handler(
                {"event": EVENT, "execution_name": "run-1", "prepared_at": STARTED}, LambdaContext()
            )


class TestConclude:
    def test_answers_the_alert_reason_and_items_the_workflow_writes(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given Prepare's JSON answer and two polls ending Success, merged into the state as the ASL does,
        When Conclude runs and IAM shows the key deactivated,
        Then its JSON answer has no alert, the reason, the transaction's Puts and the summary item's key."""
        state = {**EVENT, "prepared": prepare(monkeypatch), "automation": polled("Success")}
        answer = conclude(monkeypatch, state, deactivated(BOB, "AKIAAAAAAAAAAAAAAAA1"))
        assert (answer["outcome"], answer["operator_alert"]) == ("REMEDIATED", None)
        assert answer["reason"] == "revoked: AKIAAAAAAAAAAAAAAAA1"
        assert [put["Put"]["TableName"] for put in answer["transact_items"]] == ["keywarden-audit"] * 2
        assert answer["transact_items"][0]["Put"]["Item"]["recorded_at"] == {"S": "2026-11-28T12:01:40.456Z"}
        assert answer["summary_key"] == {"pk": {"S": "REMEDIATION#run-1"}, "sk": {"S": "REMEDIATION"}}
        assert json.loads(json.dumps(answer)) == answer

    def test_a_caught_failure_answers_the_alert_the_fail_state_reads(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given Prepare failed and its Catch put the error in $.failure,
        When Conclude runs,
        Then its answer carries the alert's subject, message and error, and a FAILED record to write."""
        state = {
            **EVENT,
            "failure": {"Error": "Lambda.Unknown", "Cause": "Task timed out after 30.00 seconds"},
        }
        answer = conclude(monkeypatch, state)
        alert = answer["operator_alert"]
        assert alert["subject"] == "[keywarden] Remediation FAILED"
        assert alert["error"] == "Lambda.Unknown"
        assert f"User: {USER_ID}\n" in alert["message"]
        assert answer["reason"] == "Prepare failed: Lambda.Unknown: Task timed out after 30.00 seconds"
        assert answer["transact_items"][0]["Put"]["Item"]["outcome"] == {"S": "FAILED"}

    def test_a_throttled_after_snapshot_fails_with_the_error_the_workflow_retries(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given IAM throttling every read after the runbook, When Conclude runs,
        Then it fails with AwsThrottled (retried by the ASL), never records a guess."""
        state = {**EVENT, "prepared": prepare(monkeypatch), "automation": polled("Success")}
        set_environment(monkeypatch, CONCLUDE_ENV)
        ports = conclude_ports()
        use_conclude_ports(monkeypatch, replace(ports, iam=FakeIAM(BOB, error="ThrottlingException")))
        payload = {
            "state": state,
            "execution_arn": EXECUTION_ARN,
            "execution_name": "run-1",
            "execution_input": EVENT,
            "concluded_at": STARTED,
        }
        with pytest.raises(AwsThrottled, match=r"throttled \(ThrottlingException\)"):
            conclude_handler.handler(payload, LambdaContext())

    @pytest.mark.parametrize(
        ("env", "named"),
        [
            ({"MAX_ACCESS_KEY_AGE_DAYS": "0"}, "MAX_ACCESS_KEY_AGE_DAYS"),
            ({"MAX_CREDENTIAL_USAGE_AGE_DAYS": "ninety"}, "MAX_CREDENTIAL_USAGE_AGE_DAYS"),
            ({"SECURITY_CONTACT_EMAIL": "security"}, "SECURITY_CONTACT_EMAIL"),
            ({"NOTIFICATION_WINDOW_HOURS": "-1"}, "NOTIFICATION_WINDOW_HOURS"),
            ({"OWNERS_TOPIC_ARN": ""}, "OWNERS_TOPIC_ARN"),
        ],
    )
    def test_a_bad_setting_fails_the_function_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, no_clients: None, env: dict[str, str], named: str
    ) -> None:
        """Given a bad environment variable,
        When the function first runs,
        Then it fails before making any client, and the error names the variable."""
        set_environment(monkeypatch, CONCLUDE_ENV | env)
        payload = {
            "state": {**EVENT, "failure": {"Error": "Lambda.Unknown"}},
            "execution_arn": EXECUTION_ARN,
            "execution_name": "run-1",
            "execution_input": EVENT,
            "concluded_at": STARTED,
        }
        with pytest.raises(ValidationError, match=named):
            conclude_handler.handler(payload, LambdaContext())

    def test_a_missing_setting_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Given no AUDIT_TABLE_NAME, When Conclude's settings are read, Then the error names it."""
        environ = {k: v for k, v in CONCLUDE_ENV.items() if k != "AUDIT_TABLE_NAME"}
        with pytest.raises(ValidationError, match="AUDIT_TABLE_NAME"):
            ConcludeSettings.from_environment(environ)


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"CHANNEL": "pager"}, "unknown notification channel 'pager' (keywarden has: email, slack, teams)"),
        ({"CHANNEL": "teams"}, "WEBHOOK_SECRET_NAME"),
        ({"CHANNEL": "email", "SENDER_EMAIL": "nobody"}, "SENDER_EMAIL"),
    ],
)
def test_a_forwarder_with_an_unknown_channel_or_bad_settings_does_not_start(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], problem: str
) -> None:
    """Given a forwarder function whose environment names no channel, or misses the channel's settings,
    When it is first invoked, Then it fails at once, saying what is wrong."""
    for name in ("CHANNEL", "WEBHOOK_SECRET_NAME", "SENDER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    forward_owner_notification._configured.cache_clear()
    with pytest.raises((UnknownChannelError, ValidationError), match=re.escape(problem)):
        forward_owner_notification._configured()
    forward_owner_notification._configured.cache_clear()
