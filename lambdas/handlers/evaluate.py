"""Lambda: compare the snapshots and decide outcome, owner message and audit items (step Evaluate)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.evaluation import EvaluateInput, evaluate
from lambdas.observability import METRICS_NAMESPACE, logger, tracer
from lambdas.settings import EvaluateSettings, load_settings

settings = load_settings(EvaluateSettings).to_evaluation_settings()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EvaluateInput)
def handler(event: EvaluateInput, context: LambdaContext) -> dict[str, Any]:
    evaluation = evaluate(event, settings)
    logger.info(
        "remediation evaluated",
        extra={
            "outcome": evaluation.outcome.value,
            "reason": evaluation.reason,
            "user_name": evaluation.user_name,
            "keys": {k.access_key_id: k.result.value for k in evaluation.keys},
            "password": evaluation.password.value,
            "notify_owner": evaluation.notify_owner,
        },
    )
    # A dimension per invocation needs its own metric object: the shared one keeps dimensions.
    with single_metric(
        name="Remediations", unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE
    ) as metric:
        metric.add_dimension(name="outcome", value=evaluation.outcome.value)
    return evaluation.model_dump(mode="json")
