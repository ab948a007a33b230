"""Lambda: post an owner notification to Slack (subscribed to the owners' topic).

A failure after the retries raises: Lambda retries the asynchronous invocation, then sends
it to the function's on-failure destination (an SQS dead-letter queue).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.notification_facts import NotificationFacts
from lambdas.observability import logger, metrics, tracer
from notifications.settings import SlackForwarderSettings, load_forwarder_settings
from notifications.slack_webhook import RetryPolicy, deliver_to_slack, parse_webhooks

settings = load_forwarder_settings(SlackForwarderSettings)
policy = RetryPolicy(max_attempts=settings.max_attempts, timeout_seconds=settings.timeout_seconds)
secrets = SecretsProvider()
SAFETY_MARGIN_SECONDS = 2.0  # leave time to report the failure before Lambda stops the function


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    webhooks = parse_webhooks(
        str(secrets.get(settings.webhook_secret_name, max_age=settings.secret_max_age_seconds))
    )
    posted = []
    for record in event.Records:
        facts = NotificationFacts.model_validate_json(str(record.Sns.Message))
        budget = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
        delivery = deliver_to_slack(facts, webhooks, policy, budget)
        logger.info(
            "slack message posted",
            extra={
                "user_name": facts.user_name,
                "sns_message_id": record.Sns.MessageId,
                "channel": delivery.channel,
                "attempts": delivery.attempts,
                "note": delivery.note,
            },
        )
        metrics.add_metric(name="SlackMessagesPosted", unit=MetricUnit.Count, value=1)
        posted.append({"channel": delivery.channel, "attempts": delivery.attempts})
    return {"posted": posted}
