"""One channel's forwarder: a function subscribed to the owners' topic, with its own DLQ.

The function runs the one forwarder handler with the channel's environment (CHANNEL=<name>),
its own role, its reserved concurrency and its severity filter policy, all from the settings.

SNS invokes the function asynchronously; Lambda retries a failed invocation twice, then sends
the event and the error to the forwarder's dead-letter queue (an on-failure destination, the
same the local sandbox configures with put_function_event_invoke_config).
"""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from infra.constructs.dead_letter_queue import dead_letter_queue
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.functions import FunctionPackage, keywarden_function
from notifications.channels import FORWARDER_HANDLER

RETRY_ATTEMPTS: Final = 2
"""Lambda's retries of a failed asynchronous invocation before the on-failure destination."""
TIMEOUT: Final = Duration.seconds(30)
"""A webhook channel: 4 tries of 5 s with back-off fit, and the handler keeps 2 s to report a failure."""


@jsii.implements(lambda_.IDestination)
class SendOnlyQueueDestination:
    """An SQS on-failure destination that grants the function sqs:SendMessage on the queue, only.

    (CDK's SqsDestination grants GetQueueAttributes and GetQueueUrl too; Lambda needs neither.)
    """

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self,
        scope: Construct,
        fn: lambda_.IFunction,
        *,
        type: lambda_.DestinationType | None = None,  # the keyword jsii calls bind with
    ) -> lambda_.DestinationConfig:
        fn.add_to_role_policy(
            iam.PolicyStatement(
                sid="SendFailedDeliveriesToTheDeadLetterQueue",
                actions=["sqs:SendMessage"],
                resources=[self.queue.queue_arn],
            )
        )
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


class Forwarder(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        channel: str,
        purpose: str,
        owners: sns.ITopic,
        package: FunctionPackage,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self,
            queue_name=names.forwarder_dead_letter_queue(channel),
            why_no_queue_behind=f"This queue is the on-failure destination of the {channel} forwarder's "
            "asynchronous invocations (its dead-letter queue); a queue behind it would only hold the "
            "same failures.",
        )
        self.function, self.role = keywarden_function(
            self,
            "Function",
            handler=FORWARDER_HANDLER,
            function_name=names.forwarder_function(channel),
            package=package,
            settings=settings,
            names=names,
            key=key,
            environment=settings.forwarder_environment(channel),
            timeout=TIMEOUT,
            purpose=purpose,
            reserved_concurrency=settings.forwarder_concurrency(channel) or None,
        )
        self.function.configure_async_invoke(
            retry_attempts=RETRY_ATTEMPTS, on_failure=SendOnlyQueueDestination(self.dead_letter_queue)
        )
        filter_policy = {
            attribute: sns.SubscriptionFilter.string_filter(allowlist=values)
            for attribute, values in settings.forwarder_filter_policy(channel).items()
        }
        # Also allows sns.amazonaws.com to invoke the function, for this topic only (SourceArn).
        owners.add_subscription(subscriptions.LambdaSubscription(self.function, filter_policy=filter_policy))
