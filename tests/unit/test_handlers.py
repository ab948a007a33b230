"""The Lambda handlers: thin, validated settings, typed input, JSON output."""

from __future__ import annotations

import importlib
import json
import re
import sys
from types import ModuleType
from typing import Any

import pytest
from pydantic import ValidationError

from lambdas.settings import EvaluateSettings, load_settings
from notifications.channels import UnknownChannelError
from tests.factories import NOW, compliance_event

EVALUATE_ENV = {
    "MAX_ACCESS_KEY_AGE_DAYS": "90",
    "MAX_CREDENTIAL_USAGE_AGE_DAYS": "90",
    "SECURITY_CONTACT_EMAIL": "security@example.com",
}


class Context:
    function_name = "keywarden-test"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:keywarden-test"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def load(module: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(importlib.import_module(module))


def test_parse_event_accepts_a_non_compliant_user(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = load(
        "lambdas.handlers.parse_event", monkeypatch, {"CONFIG_RULE_NAME": "keywarden-access-keys-rotated"}
    )
    answer = handler.handler({"event": compliance_event()}, Context())
    assert answer["accepted"] is True
    assert answer["user_id"] == "AIDAEXAMPLEUSERID0001"
    json.dumps(answer)  # the workflow receives JSON


def test_parse_event_rejects_another_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = load("lambdas.handlers.parse_event", monkeypatch, {"CONFIG_RULE_NAME": "my-own-rule"})
    answer = handler.handler({"event": compliance_event()}, Context())
    assert answer["accepted"] is False
    assert "not keywarden's rule 'my-own-rule'" in answer["reason"]


def test_evaluate_returns_json_the_workflow_can_use(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = load("lambdas.handlers.evaluate", monkeypatch, EVALUATE_ENV)
    event: dict[str, Any] = {
        "state": {
            "request": {"accepted": True, "user_id": "AIDAEXAMPLEUSERID0001", "account_id": "111122223333"},
            "before": {"found": False, "taken_at": NOW.isoformat()},
        },
        "execution_arn": "arn:aws:states:eu-west-1:111122223333:execution:sm:run-9",
        "execution_name": "run-9",
        "evaluated_at": NOW.isoformat(),
    }
    answer = handler.handler(event, Context())
    assert answer["outcome"] == "USER_NOT_FOUND"
    assert answer["notify_owner"] is False
    assert answer["operator_alert"] is None
    assert answer["record_items"][0]["pk"] == {"S": "REMEDIATION#run-9"}
    json.dumps(answer)


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"MAX_ACCESS_KEY_AGE_DAYS": "0"}, "MAX_ACCESS_KEY_AGE_DAYS"),
        ({"MAX_CREDENTIAL_USAGE_AGE_DAYS": "ninety"}, "MAX_CREDENTIAL_USAGE_AGE_DAYS"),
        ({"SECURITY_CONTACT_EMAIL": "security"}, "SECURITY_CONTACT_EMAIL"),
    ],
)
def test_a_bad_setting_stops_the_function_and_names_the_variable(
    override: dict[str, str], setting: str
) -> None:
    with pytest.raises(ValidationError, match=setting):
        load_settings(EvaluateSettings, EVALUATE_ENV | override)


def test_a_missing_setting_is_named() -> None:
    with pytest.raises(ValidationError, match="SECURITY_CONTACT_EMAIL"):
        load_settings(
            EvaluateSettings, {k: v for k, v in EVALUATE_ENV.items() if k != "SECURITY_CONTACT_EMAIL"}
        )


FORWARDER = "lambdas.handlers.forward_owner_notification"


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
    # Given a forwarder function whose environment names no channel, or misses the channel's settings
    for name in ("CHANNEL", "WEBHOOK_SECRET_NAME", "SENDER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, FORWARDER, raising=False)
    # When Lambda starts it, then it fails at once, saying what is wrong
    with pytest.raises((UnknownChannelError, ValidationError), match=re.escape(problem)):
        importlib.import_module(FORWARDER)
