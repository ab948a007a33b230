"""The EventBridge rule: Config's NON_COMPLIANT IAM-user events start the workflow.

The pattern is domain.config_rule.compliance_change_event_pattern, the same the sandbox uses.
Deliveries that still fail after the retries land in an encrypted SQS dead-letter queue.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from domain.config_rule import compliance_change_event_pattern
from infra.constructs.dead_letter_queue import dead_letter_queue

MAX_DELIVERY_ATTEMPTS: Final = 10
MAX_EVENT_AGE: Final = Duration.hours(24)


class ComplianceEventRule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rule_name: str,
        config_rule_name: str,
        queue_name: str,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self,
            queue_name=queue_name,
            why_no_queue_behind="This queue is the dead-letter queue of the EventBridge target; a queue "
            "behind it would only move the same undeliverable events once more.",
        )
        pattern = compliance_change_event_pattern(config_rule_name)
        self.rule = events.Rule(
            self,
            "Rule",
            rule_name=rule_name,
            description=f"keywarden: NON_COMPLIANT IAM users of Config rule {config_rule_name}",
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
        )
        self.rule.add_target(
            targets.SfnStateMachine(
                state_machine,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=MAX_DELIVERY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
            )
        )
