"""The DynamoDB notification-state table: what each owner was told, so a repeat within the window is not sent.

The workflow claims a key with a conditional UpdateItem (states ClaimKey, ReleaseClaim); items
are updated, unlike the append-only audit table, and expire through TTL. A later reminder job
builds on them, so they are protected like the audit table.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from domain.tables import NotificationStateTable as Layout
from infra.constructs.durable_table import durable_table


class NotificationStateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        # Items carry owners' addresses and Slack channels; losing them would notify every owner again.
        self.table = durable_table(
            self,
            table_name=table_name,
            key=key,
            partition_key=Layout.PARTITION_KEY,
            sort_key=Layout.SORT_KEY,
            time_to_live_attribute=Layout.EXPIRES_AT,
        )
