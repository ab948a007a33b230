"""Lambda: deliver an owner notification to one channel (subscribed to the owners' topic).

Every channel's forwarder runs this handler; its CHANNEL variable names the channel in
notifications/channels/, whose entry says how to deliver. A failure after the channel's own
retries raises: Lambda retries the asynchronous invocation, then sends it to the function's
on-failure destination (an SQS dead-letter queue).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.notification_facts import NotificationFacts
from lambdas.forwarding import Deliver, start_forwarder
from lambdas.observability import logger, metrics, tracer
from notifications.channels import Channel, channel_named
from notifications.settings import ForwarderChannel

SAFETY_MARGIN_SECONDS = 2.0  # leave time to report the failure before Lambda stops the function


@cache
def _configured() -> tuple[Channel, Deliver]:
    """The channel and its delivery, made at the first invocation (not at import: tests import freely).
    An unknown CHANNEL or a bad channel setting fails that invocation, naming what is wrong."""
    channel = channel_named(ForwarderChannel.from_environment().channel)
    return channel, start_forwarder(channel)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    channel, deliver = _configured()
    metrics.add_dimension(name="channel", value=channel.name)
    delivered = []
    for record in event.Records:
        facts = NotificationFacts.model_validate_json(str(record.Sns.Message))
        budget = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
        receipt = deliver(facts, budget)
        logger.info(
            "owner notification delivered",
            extra={
                "channel": channel.name,
                "user_name": facts.user_name,
                "sns_message_id": record.Sns.MessageId,
                "attempts": receipt.attempts,
                **receipt.details,
            },
        )
        metrics.add_metric(name="OwnerNotificationsDelivered", unit=MetricUnit.Count, value=1)
        delivered.append({"attempts": receipt.attempts, **receipt.details})
    return {"channel": channel.name, "delivered": delivered}
