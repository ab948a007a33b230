"""Lambda: snapshot an IAM user's credentials (workflow steps SnapshotBefore and SnapshotAfter)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel

from lambdas.iam_snapshot import take_snapshot
from lambdas.observability import logger, tracer

iam = boto3.client("iam")


class SnapshotRequest(BaseModel):
    user_id: str
    taken_at: AwareDatetime


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=SnapshotRequest)
def handler(event: SnapshotRequest, context: LambdaContext) -> dict[str, Any]:
    snapshot = take_snapshot(iam, event.user_id, event.taken_at)
    logger.info(
        "user snapshot taken",
        extra={
            "user_id": event.user_id,
            "found": snapshot.found,
            "keys": [
                {"id": k.access_key_id, "status": k.status.value}
                for k in (snapshot.user.access_keys if snapshot.user else ())
            ],
        },
    )
    return snapshot.model_dump(mode="json")
