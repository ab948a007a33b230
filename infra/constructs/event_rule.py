"""The EventBridge rule: Config's NON_COMPLIANT IAM-user events start the workflow.

The pattern is domain.config_rule.compliance_change_event_pattern, the same the sandbox uses.
Deliveries that still fail after the retries land in an encrypted SQS dead-letter queue.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from domain.config_rule import compliance_change_event_pattern
from infra.nag import acknowledge

MAX_DELIVERY_ATTEMPTS: Final = 10
MAX_EVENT_AGE: Final = Duration.hours(24)
DEAD_LETTER_RETENTION: Final = Duration.days(14)


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
        # SQS-managed encryption: EventBridge can always write to it. A customer managed key would
        # make the last-resort queue depend on a key policy, and a failed write loses the event.
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=queue_name,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the EventBridge target; a queue behind it would "
            "only move the same undeliverable events once more.",
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
