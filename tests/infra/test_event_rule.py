"""The EventBridge rule: the shared pattern, evaluated on real Config events; its target and DLQ."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from domain.config_rule import compliance_change_event_pattern
from tests.factories import compliance_event
from tests.infra.conftest import Synthesized
from tests.infra.template import arn_of, only, queue_policy, ref, remediation_state_machine, statements

RULE = "keywarden-access-keys-rotated"


def deployed_pattern(stack: Synthesized) -> dict[str, Any]:
    return dict(only(stack.resources, "AWS::Events::Rule")[1]["Properties"]["EventPattern"])


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))


def test_the_rule_uses_the_shared_pattern(default_stack: Synthesized) -> None:
    """Given the default stack, When its rule's pattern is read, Then it is domain's shared pattern."""
    assert deployed_pattern(default_stack) == compliance_change_event_pattern(RULE)


def test_a_non_compliant_iam_user_of_this_rule_matches(default_stack: Synthesized) -> None:
    """Given the deployed pattern, When a NON_COMPLIANT IAM user event of this rule arrives,
    Then it matches."""
    assert matches(deployed_pattern(default_stack), compliance_event(rule_name=RULE))


@pytest.mark.parametrize(
    "event",
    [
        compliance_event(rule_name=RULE, compliance_type="COMPLIANT"),
        compliance_event(rule_name=RULE, compliance_type="NOT_APPLICABLE"),
        compliance_event(rule_name="another-teams-rule"),
        compliance_event(rule_name=RULE, resource_type="AWS::IAM::Role"),
    ],
    ids=["compliant", "not-applicable", "another-rule", "a-role"],
)
def test_other_events_do_not_match(default_stack: Synthesized, event: dict[str, Any]) -> None:
    """Given the deployed pattern, When a compliant, not-applicable, other rule's or role's event arrives,
    Then it does not match."""
    assert not matches(deployed_pattern(default_stack), event)


def test_another_rule_name_moves_the_pattern(custom_stack: Synthesized) -> None:
    """Given a stack with another Config rule name, When events arrive,
    Then that rule's events match and the default rule's do not."""
    pattern = deployed_pattern(custom_stack)
    assert matches(pattern, compliance_event(rule_name="org-access-keys-rotated"))
    assert not matches(pattern, compliance_event(rule_name=RULE))


def test_the_target_is_the_workflow_with_retries_and_a_dead_letter_queue(default_stack: Synthesized) -> None:
    """Given the default stack, When the rule's target is read,
    Then it starts the workflow with the whole event, retries for a day, and dead-letters to a queue
    only this rule may send to."""
    resources = default_stack.resources
    rule_id, rule = only(resources, "AWS::Events::Rule", Name="keywarden-noncompliant-user")
    queue_id, _ = only(resources, "AWS::SQS::Queue", QueueName="keywarden-events-dlq")
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == ref(remediation_state_machine(resources)[0])
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"] == {"Arn": arn_of(queue_id)}
    # The workflow reads the whole event: no Input, InputPath or InputTransformer.
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    policy = queue_policy(resources, queue_id)
    (send,) = [s for s in statements(policy["PolicyDocument"]) if s["Effect"] == "Allow"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": arn_of(rule_id)}}
