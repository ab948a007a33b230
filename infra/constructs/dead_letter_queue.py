"""A dead-letter queue: where what still fails after its retries is kept, 14 days, for operators.

SQS-managed encryption: the service that writes to it can always do so. A customer managed key
would make the last resort depend on a key policy, and a failed write would lose the very events
or notifications the queue is there to keep.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

DEAD_LETTER_RETENTION: Final = Duration.days(14)


def dead_letter_queue(scope: Construct, *, queue_name: str, why_no_queue_behind: str) -> sqs.Queue:
    """The queue `DeadLetterQueue` of `scope`; `why_no_queue_behind` answers cdk-nag's SQS3."""
    queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        queue_name=queue_name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
    )
    acknowledge(queue, "AwsSolutions-SQS3", why_no_queue_behind)
    return queue
