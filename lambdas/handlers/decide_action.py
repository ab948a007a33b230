"""Lambda: remediate, dry-run or exempt the flagged user (workflow step DecideAction)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel

from domain.action_decision import decide_action
from domain.exemptions import check_exemptions
from lambdas.exemption_store import load_exemptions
from lambdas.observability import logger, tracer
from lambdas.settings import DecideSettings, load_settings

settings = load_settings(DecideSettings)
exemptions_table = boto3.resource("dynamodb").Table(settings.exemption_table_name)


class DecideRequest(BaseModel):
    user_name: str
    user_arn: str
    decided_at: AwareDatetime


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=DecideRequest)
def handler(event: DecideRequest, context: LambdaContext) -> dict[str, Any]:
    check = check_exemptions(
        load_exemptions(exemptions_table),
        event.user_name,
        event.user_arn,
        event.decided_at,
        settings.max_exemption_days,
    )
    decision = decide_action(check, settings.dry_run, settings.max_exemption_days)
    logger.info(
        "action decided",
        extra={"user_name": event.user_name, "action": decision.action.value, "reason": decision.reason},
    )
    return decision.model_dump(mode="json")
