"""Lambda: read the event, find and snapshot the user, decide what to do (workflow step Prepare)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.aws_clients import PATIENT, client, throttling_surfaced
from lambdas.coordination import DynamoDBCoordination
from lambdas.observability import logger, metrics, tracer
from lambdas.preparation import PreparePorts, PrepareRequest, prepare_remediation
from lambdas.settings import PrepareSettings


@cache
def _configured() -> tuple[PrepareSettings, PreparePorts]:
    """Settings and clients, made at the first invocation (not at import: tests import freely)."""
    settings = PrepareSettings.from_environment()
    ports = PreparePorts(
        config=client("config"),
        iam=client("iam"),
        exemptions=boto3.resource("dynamodb").Table(settings.exemption_table_name),
        coordination=DynamoDBCoordination(
            boto3.resource("dynamodb", config=PATIENT).Table(settings.coordination_table_name)
        ),
    )
    return settings, ports


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=PrepareRequest)
def handler(event: PrepareRequest, context: LambdaContext) -> dict[str, Any]:
    settings, ports = _configured()
    with throttling_surfaced():
        preparation = prepare_remediation(event, settings, ports)
    logger.info(
        "remediation prepared",
        extra={
            "action": preparation.action.value,
            "user_id": preparation.request.user_id,
            "user_name": preparation.lookup.user_name if preparation.lookup else None,
            "reason": preparation.lookup.reason if preparation.lookup else preparation.request.reason,
        },
    )
    metrics.add_metric(
        name=f"Prepared{preparation.action.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    return preparation.model_dump(mode="json")
