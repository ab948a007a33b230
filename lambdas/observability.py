"""One Logger, Tracer and Metrics for every handler (configured by POWERTOOLS_* variables)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "keywarden"
METRICS_NAMESPACE = "keywarden"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
