"""CloudWatch alarms to the operators' topic: executions failed, timed out or throttled, a DLQ not empty.

The daily sweep has its own: its executions failed or timed out (one a day: throttling is not its
risk), and its schedule's dead-letter queue not empty (a day's sweep never started).

Failed executions already alert the operators from the workflow itself; the alarms are the net
for what the workflow cannot report (timeouts, throttling, events that never started it, owner
notifications a forwarder could not deliver).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from deployment.names import ResourceNames
from infra.constructs.encryption_key import EncryptionKey


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: ResourceNames,
        state_machine: sfn.StateMachine,
        sweep: sfn.StateMachine,
        dead_letter_queues: Mapping[str, sqs.IQueue],
        operators: sns.ITopic,
        key: EncryptionKey,
    ) -> None:
        super().__init__(scope, construct_id)
        five_minutes = Duration.minutes(5)
        metrics = {
            "executions-failed": state_machine.metric_failed(period=five_minutes, statistic="Sum"),
            "executions-timed-out": state_machine.metric_timed_out(period=five_minutes, statistic="Sum"),
            "executions-throttled": state_machine.metric_throttled(period=five_minutes, statistic="Sum"),
            "sweep-executions-failed": sweep.metric_failed(period=five_minutes, statistic="Sum"),
            "sweep-executions-timed-out": sweep.metric_timed_out(period=five_minutes, statistic="Sum"),
            **{
                f"{what}-not-empty": queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                )
                for what, queue in dead_letter_queues.items()
            },
        }
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for what, metric in metrics.items():
            alarm = metric.create_alarm(
                self,
                what,
                alarm_name=names.alarm(what),
                alarm_description=f"keywarden: {what.replace('-', ' ')}",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(operators))
            self.alarms[what] = alarm
        # CloudWatch publishes as its service principal, for keywarden's alarms only: to the topic
        # (whose policy is not the default one) and with the key (the topic is encrypted).
        only_our_alarms = {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {
                "aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                f"alarm:{names.alarm('*')}"
            },
        }
        cloudwatch_service = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        operators.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                actions=["sns:Publish"],
                principals=[cloudwatch_service],
                resources=[operators.topic_arn],
                conditions=only_our_alarms,
            )
        )
        key.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[cloudwatch_service],
                resources=["*"],
                conditions=only_our_alarms,
            )
        )
