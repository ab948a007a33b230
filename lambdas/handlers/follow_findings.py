"""Lambda: one page of open findings: remind, escalate, enforce or close each (sweep step FollowFindings)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.aws_clients import PATIENT, client, throttling_surfaced
from lambdas.finding_followups import FollowFindingsPorts, follow_findings
from lambdas.findings_store import DynamoDBFindings
from lambdas.observability import logger, metrics, tracer
from lambdas.owner_notice import SnsOwnerTopic
from lambdas.settings import FollowFindingsSettings
from lambdas.sweep_pages import FollowFindingsRequest


@cache
def _configured() -> tuple[FollowFindingsSettings, FollowFindingsPorts]:
    """Settings and clients, made at the first invocation (not at import: tests import freely)."""
    settings = FollowFindingsSettings.from_environment()
    dynamodb = boto3.resource("dynamodb", config=PATIENT)
    ports = FollowFindingsPorts(
        findings=DynamoDBFindings(dynamodb.Table(settings.findings_table_name)),
        iam=client("iam"),
        exemption_table=dynamodb.Table(settings.exemption_table_name),
        owner_topic=SnsOwnerTopic(client("sns"), settings.owners_topic_arn),
    )
    return settings, ports


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FollowFindingsRequest)
def handler(event: FollowFindingsRequest, context: LambdaContext) -> dict[str, Any]:
    settings, ports = _configured()
    with throttling_surfaced():
        page = follow_findings(event, settings, ports)
    logger.info(
        "open findings followed", extra={"sweep": event.sweep_name, **page.model_dump(exclude={"next_key"})}
    )
    for name, value in (
        ("FindingReminders", page.reminders),
        ("FindingEscalations", page.escalations),
        ("FindingsEnforced", page.enforced),
        ("FindingsClosed", page.closed),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    return page.model_dump(mode="json")
