"""Lambda: judge the remediation, tell the owner, build the audit items (workflow step Conclude)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.aws_clients import PATIENT, client, throttling_surfaced
from lambdas.conclusion import ConcludeRequest, Ports, conclude
from lambdas.coordination import DynamoDBCoordination
from lambdas.observability import METRICS_NAMESPACE, logger, tracer
from lambdas.owner_notice import DynamoDBNotificationClaims, SnsOwnerTopic
from lambdas.settings import ConcludeSettings


@cache
def _configured() -> tuple[ConcludeSettings, Ports]:
    """Settings and clients, made at the first invocation (not at import: tests import freely)."""
    settings = ConcludeSettings.from_environment()
    ports = Ports(
        iam=client("iam"),
        claims=DynamoDBNotificationClaims(
            boto3.resource("dynamodb").Table(settings.notification_state_table_name)
        ),
        owner_topic=SnsOwnerTopic(boto3.client("sns"), settings.owners_topic_arn),
        coordination=DynamoDBCoordination(
            boto3.resource("dynamodb", config=PATIENT).Table(settings.coordination_table_name)
        ),
    )
    return settings, ports


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ConcludeRequest)
def handler(event: ConcludeRequest, context: LambdaContext) -> dict[str, Any]:
    settings, ports = _configured()
    with throttling_surfaced():
        conclusion = conclude(event, settings, ports)
    logger.info(
        "remediation concluded",
        extra={
            "outcome": conclusion.outcome.value,
            "reason": conclusion.reason,
            "user_name": conclusion.user_name,
            "keys": {k.access_key_id: k.result.value for k in conclusion.keys},
            "password": conclusion.password.value,
            "notified": conclusion.notified,
            "operators_alerted": conclusion.operator_alert is not None,
        },
    )
    # A dimension per invocation needs its own metric object: the shared one keeps dimensions.
    with single_metric(
        name="Remediations", unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE
    ) as metric:
        metric.add_dimension(name="outcome", value=conclusion.outcome.value)
    return conclusion.model_dump(mode="json")
