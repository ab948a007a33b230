"""The ASL file: valid, every reference resolvable, and in step with the Python contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.runbook import AUTOMATION_TERMINAL, RUNBOOK_NAME, AutomationStatus
from domain.tables import AuditTable
from statemachine import FUNCTION_HANDLERS, SUBSTITUTIONS, definition_text, placeholders, render_definition

VALUES = {name: f"value-of-{name}" for name in SUBSTITUTIONS} | {
    "MaxPollAttempts": "40",
    "PollIntervalSeconds": "15",
}


def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(definition["States"])
    for state in definition["States"].values():
        if state["Type"] == "Map":
            found |= states(state["ItemProcessor"])
        for branch in state.get("Branches", []):
            found |= states(branch)
    return found


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(render_definition(VALUES))


def test_every_placeholder_is_a_declared_substitution() -> None:
    assert placeholders(definition_text()) == set(SUBSTITUTIONS)


def test_rendering_refuses_missing_or_unknown_values() -> None:
    with pytest.raises(ValueError, match="AuditTableName"):
        render_definition({k: v for k, v in VALUES.items() if k != "AuditTableName"})
    with pytest.raises(ValueError, match="Typo"):
        render_definition(VALUES | {"Typo": "x"})


def test_every_transition_names_an_existing_state(definition: dict[str, Any]) -> None:
    def targets(scope: dict[str, Any]) -> list[str]:
        names = []
        for state in scope["States"].values():
            names += [state[k] for k in ("Next", "Default") if k in state]
            names += [c["Next"] for c in state.get("Choices", [])]
            names += [c["Next"] for c in state.get("Catch", [])]
        return names

    assert set(targets(definition)) <= set(definition["States"])
    for state in definition["States"].values():
        if state["Type"] == "Map":
            assert set(targets(state["ItemProcessor"])) <= set(state["ItemProcessor"]["States"])


def test_the_poll_loop_ends_on_exactly_the_terminal_statuses(definition: dict[str, Any]) -> None:
    rules = definition["States"]["IsAutomationFinished"]["Choices"][0]["Or"]
    statuses = {r["StringEquals"] for r in rules if "StringEquals" in r}
    assert statuses == {s.value for s in AUTOMATION_TERMINAL}
    assert not statuses & {AutomationStatus.IN_PROGRESS.value, AutomationStatus.PENDING.value}
    bound = [r for r in rules if "NumericGreaterThanEqualsPath" in r]
    assert bound == [
        {"Variable": "$.automation.poll.count", "NumericGreaterThanEqualsPath": "$.automation.poll.max"}
    ]


def test_the_runbook_is_started_with_string_list_parameters(definition: dict[str, Any]) -> None:
    start = definition["States"]["StartAutomation"]
    assert start["Resource"] == "arn:aws:states:::aws-sdk:ssm:startAutomationExecution"
    assert start["Parameters"]["DocumentName"] == "value-of-RunbookName"
    assert start["Parameters"]["Parameters"] == {
        "AutomationAssumeRole": ["value-of-AutomationRoleArn"],
        "IAMResourceId.$": "States.Array($.request.user_id)",
        "MaxCredentialUsageAge": ["value-of-MaxCredentialUsageAge"],
    }
    retried = {e for r in start["Retry"] for e in r["ErrorEquals"]}
    assert {"Ssm.AutomationExecutionLimitExceededException", "Ssm.ThrottlingException"} <= retried
    assert all(r["BackoffRate"] > 1 and r.get("JitterStrategy") == "FULL" for r in start["Retry"])
    assert RUNBOOK_NAME == "AWSConfigRemediation-RevokeUnusedIAMUserCredentials"


def test_every_task_that_can_fail_is_caught(definition: dict[str, Any]) -> None:
    for name, state in definition["States"].items():
        if state["Type"] in {"Task", "Map"}:
            assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), name


def test_lambda_tasks_use_the_declared_functions(definition: dict[str, Any]) -> None:
    lambda_resources = {
        s["Resource"] for s in states(definition).values() if s.get("Resource", "").startswith("value-of-")
    }
    assert lambda_resources == {f"value-of-{name}" for name in FUNCTION_HANDLERS}


def test_audit_items_are_written_once(definition: dict[str, Any]) -> None:
    puts = [
        s for s in states(definition).values() if s.get("Resource") == "arn:aws:states:::dynamodb:putItem"
    ]
    assert puts
    assert all(s["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk)" for s in puts)


def test_the_owner_message_is_published_with_per_protocol_bodies(definition: dict[str, Any]) -> None:
    notify = definition["States"]["NotifyOwner"]
    assert notify["Parameters"] == {
        "TopicArn": "value-of-OwnersTopicArn",
        "Subject.$": "$.evaluation.notification.subject",
        "MessageStructure": "json",
        "Message.$": "$.evaluation.notification.message",
        "MessageAttributes.$": "$.evaluation.notification.attributes",
    }


def test_the_owner_is_notified_only_after_a_claim_succeeds(definition: dict[str, Any]) -> None:
    top = definition["States"]
    assert top["ShouldNotifyOwner"]["Choices"][0]["Next"] == "ClaimOwnerNotification"
    claim_map = top["ClaimOwnerNotification"]
    assert claim_map["ItemsPath"] == "$.evaluation.notification_claims"
    claim = claim_map["ItemProcessor"]["States"]["ClaimKey"]
    assert claim["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert claim["Parameters"]["TableName"] == "value-of-NotificationStateTableName"
    assert claim["Parameters"]["ConditionExpression.$"] == "$.condition_expression"
    assert claim["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "ResultPath": None,
            "Next": "AlreadyNotified",
        }
    ]
    assert top["CountNewClaims"]["Parameters"] == {"any_new.$": "States.ArrayContains($.claims, 'CLAIMED')"}
    assert top["IsNewNotification"]["Choices"][0]["Next"] == "NotifyOwner"
    assert top["IsNewNotification"]["Default"] == "OwnerNotificationSuppressed"
    # A state table that cannot be reached must not silence the owner.
    assert claim_map["Catch"][0]["Next"] == "NotifyOwner"


def test_a_suppressed_notification_is_recorded_and_a_failed_one_gives_back_its_claims(
    definition: dict[str, Any],
) -> None:
    top = definition["States"]
    suppressed = top["OwnerNotificationSuppressed"]
    assert suppressed["Parameters"] == {"notification_suppressed": {"S.$": "$.evaluation.duplicate_notice"}}
    assert (suppressed["ResultPath"], suppressed["Next"]) == ("$.notification_fields", "RecordRemediation")
    assert top["OwnerNotificationFailed"]["Next"] == "ReleaseOwnerNotificationClaims"
    release = top["ReleaseOwnerNotificationClaims"]["ItemProcessor"]["States"]["ReleaseClaim"]
    assert release["Parameters"]["UpdateExpression.$"] == "$.release_expression"
    assert top["ReleaseOwnerNotificationClaims"]["Next"] == "RecordRemediation"


def test_the_failure_record_is_indexed_like_every_other_record(definition: dict[str, Any]) -> None:
    described = states(definition)["DescribeFailure"]["Parameters"]
    last_shard = AuditTable.INDEX_SHARDS - 1
    random_shard = f"States.MathRandom(0, {last_shard})"
    assert described["outcome_shard"]["S.$"] == f"States.Format('FAILED#{{}}', {random_shard})"
    assert described["account_shard"]["S.$"].endswith(f"States.MathRandom(0, {last_shard}))")
    assert described["recorded_at"] == {"S.$": "$$.State.EnteredTime"}  # the audit_timestamp format
    record = definition["States"]["RecordFailure"]
    assert record["Type"] == "Parallel"  # a failure while recording is caught, and still alerts
    assert record["Catch"][0]["Next"] == "AlertOperatorsOfError"
