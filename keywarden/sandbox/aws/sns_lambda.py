"""SNS to Lambda delivery as AWS does it: the real event, asynchronous retries, on-failure destination.

moto 5.2.5 delivers to a `lambda` subscription with a canned event (MessageId, TopicArn and
Timestamp are placeholders, the message attributes are replaced by "Test" values), invokes
once and drops any error. `Subscription.publish` is wrapped for lambda subscriptions: the
filter policy and MessageStructure=json are applied as before, then the function gets the
event AWS would send, is retried as an asynchronous invocation (MaximumRetryAttempts of its
event invoke config, 2 by default), and a failure that survives the retries goes to its
OnFailure destination (an SQS queue) as an invocation record.

Lambda waits a minute or two between asynchronous retries; the sandbox retries at once and
does not move the workflow's clock: in AWS the workflow does not wait for its subscribers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction
from moto.awslambda.utils import get_backend as lambda_backend
from moto.sns.models import Subscription
from moto.sqs.models import sqs_backends
from moto.utilities.arns import parse_arn

from keywarden.sandbox.aws.lambda_runtime import InProcessLambda
from keywarden.sandbox.clock import VirtualClock

DEFAULT_ASYNC_RETRIES = 2  # Lambda's default MaximumRetryAttempts


@dataclass(frozen=True)
class AsyncInvocation:
    function_name: str
    sns_message_id: str
    attempts: int
    succeeded: bool
    error: Any


@dataclass
class SnsToLambda:
    runtime: InProcessLambda
    clock: VirtualClock
    invocations: list[AsyncInvocation] = field(default_factory=list)
    observers: list[Callable[[dict[str, Any]], AbstractContextManager[None]]] = field(default_factory=list)
    """Each wraps the delivery of one event (the sandbox attributes Slack posts and emails)."""

    def event(
        self, subscription: Subscription, message: str, message_id: str, subject: str | None, attributes: Any
    ) -> dict[str, Any]:
        """The event AWS gives a Lambda subscriber (one record per invocation)."""
        region = parse_arn(subscription.topic_arn).region
        endpoint = f"https://sns.{region}.amazonaws.com"
        unsubscribe = f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription.arn}"
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": subscription.arn,
                    "Sns": {
                        "Type": "Notification",
                        "MessageId": message_id,
                        "TopicArn": subscription.topic_arn,
                        "Subject": subject,
                        "Message": message,
                        "Timestamp": self.clock.now()
                        .isoformat(timespec="milliseconds")
                        .replace("+00:00", "Z"),
                        "SignatureVersion": "2",
                        "Signature": "c2FuZGJveA==",
                        "SigningCertUrl": f"{endpoint}/SimpleNotificationService-sandbox.pem",
                        "UnsubscribeUrl": unsubscribe,
                        "MessageAttributes": attributes or {},
                    },
                }
            ]
        }

    def deliver(self, subscription: Subscription, event: dict[str, Any]) -> None:
        arn = parse_arn(subscription.endpoint)
        function: LambdaFunction = lambda_backend(arn.account, arn.region).get_function(subscription.endpoint)
        config = function.event_invoke_config[0].config if function.event_invoke_config else {}
        attempts = 1 + int(config.get("MaximumRetryAttempts", DEFAULT_ASYNC_RETRIES))
        message_id = event["Records"][0]["Sns"]["MessageId"]
        result: Any = None
        with ExitStack() as observed:
            for observer in self.observers:
                observed.enter_context(observer(event))
            for attempt in range(1, attempts + 1):
                payload, errored, _logs = self.runtime.invoke(function, event)
                result = json.loads(payload)
                if not errored:
                    self.invocations.append(
                        AsyncInvocation(function.function_name, message_id, attempt, True, None)
                    )
                    return
        self.invocations.append(AsyncInvocation(function.function_name, message_id, attempts, False, result))
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination:
            self._on_failure(destination, function, event, result, attempts)

    def _on_failure(
        self, destination: str, function: LambdaFunction, event: dict[str, Any], error: Any, attempts: int
    ) -> None:
        """Lambda's invocation record, sent to the SQS on-failure destination."""
        queue = parse_arn(destination)
        record = {
            "version": "1.0",
            "timestamp": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{function.function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": error,
        }
        sqs_backends[queue.account][queue.region].send_message(queue.resource_id, json.dumps(record))


@contextmanager
def sns_lambda_delivery(delivery: SnsToLambda) -> Iterator[SnsToLambda]:
    """Deliver to lambda subscriptions as AWS does while the context is open."""
    original = Subscription.publish

    def publish(
        subscription: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if subscription.protocol != "lambda":
            original(
                subscription,
                message,
                message_id,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
            return
        matcher = subscription._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return
        if message_structure == "json":
            message = subscription._parse_message_structure(message, subscription.protocol)
        delivery.deliver(
            subscription, delivery.event(subscription, message, message_id, subject, message_attributes)
        )

    with mock.patch.object(Subscription, "publish", publish):
        yield delivery


def drain_queue(sqs: Any, url: str) -> list[Any]:
    """Every message body (JSON) waiting in an SQS queue, removed as read."""
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies
