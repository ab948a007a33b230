"""Lambda: read the workflow's input and accept or reject it (workflow step ParseEvent)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from domain.compliance_event import read_compliance_event
from lambdas.observability import logger, metrics, tracer
from lambdas.settings import IntakeSettings, load_settings

settings = load_settings(IntakeSettings)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = read_compliance_event(event.get("event"), settings.config_rule_name)
    logger.info(
        "event read",
        extra={"accepted": request.accepted, "reason": request.reason, "user_id": request.user_id},
    )
    metrics.add_metric(
        name="EventsAccepted" if request.accepted else "EventsRejected", unit=MetricUnit.Count, value=1
    )
    return request.model_dump(mode="json")
