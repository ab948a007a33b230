"""Lambda: one page of the users Config flags: re-drive, or open findings (sweep step FollowFlaggedUsers)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.aws_clients import PATIENT, client, throttling_surfaced
from lambdas.findings_store import DynamoDBFindings
from lambdas.flagged_users import FollowFlaggedPorts, follow_flagged_users
from lambdas.observability import logger, metrics, tracer
from lambdas.owner_notice import SnsOwnerTopic
from lambdas.settings import FollowFlaggedSettings
from lambdas.sweep_pages import FollowFlaggedRequest


@cache
def _configured() -> tuple[FollowFlaggedSettings, FollowFlaggedPorts]:
    """Settings and clients, made at the first invocation (not at import: tests import freely)."""
    settings = FollowFlaggedSettings.from_environment()
    dynamodb = boto3.resource("dynamodb", config=PATIENT)
    ports = FollowFlaggedPorts(
        config=client("config"),
        iam=client("iam"),
        stepfunctions=client("stepfunctions"),
        audit=dynamodb.Table(settings.audit_table_name),
        notification_state=dynamodb.Table(settings.notification_state_table_name),
        exemption_table=dynamodb.Table(settings.exemption_table_name),
        findings=DynamoDBFindings(dynamodb.Table(settings.findings_table_name)),
        owner_topic=SnsOwnerTopic(client("sns"), settings.owners_topic_arn),
    )
    return settings, ports


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FollowFlaggedRequest)
def handler(event: FollowFlaggedRequest, context: LambdaContext) -> dict[str, Any]:
    settings, ports = _configured()
    with throttling_surfaced():
        page = follow_flagged_users(event, settings, ports)
    logger.info(
        "flagged users followed",
        extra={
            "sweep": event.sweep_name,
            "users": page.users,
            "redriven": page.redriven,
            "opened": page.opened,
        },
    )
    metrics.add_metric(name="SweepRedriven", unit=MetricUnit.Count, value=page.redriven)
    metrics.add_metric(name="FindingsOpened", unit=MetricUnit.Count, value=page.opened)
    return page.model_dump(mode="json")
