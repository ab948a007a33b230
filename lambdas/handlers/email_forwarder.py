"""Lambda: email an owner notification through SES (subscribed to the owners' topic).

An SES error raises: Lambda retries the asynchronous invocation, then sends it to the
function's on-failure destination (an SQS dead-letter queue).
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.notification_facts import NotificationFacts
from lambdas.observability import logger, metrics, tracer
from notifications.email_message import render_owner_email, to_mime
from notifications.settings import EmailForwarderSettings, load_forwarder_settings

settings = load_forwarder_settings(EmailForwarderSettings)
ses = boto3.client("sesv2")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    sent = []
    for record in event.Records:
        facts = NotificationFacts.model_validate_json(str(record.Sns.Message))
        email = render_owner_email(facts)
        destination = {"ToAddresses": list(email.to), "CcAddresses": list(email.cc)}
        options = {"ConfigurationSetName": settings.configuration_set} if settings.configuration_set else {}
        answer = ses.send_email(
            FromEmailAddress=settings.sender,
            Destination=destination,
            Content={"Raw": {"Data": to_mime(email, settings.sender)}},
            **options,
        )
        logger.info(
            "owner email sent",
            extra={
                "user_name": facts.user_name,
                "sns_message_id": record.Sns.MessageId,
                "ses_message_id": answer["MessageId"],
                "owner_known": not facts.owner.email_is_fallback,
                "recipients": len(email.to) + len(email.cc),
            },
        )
        metrics.add_metric(name="OwnerEmailsSent", unit=MetricUnit.Count, value=1)
        sent.append(answer["MessageId"])
    return {"sent": sent}
