"""The DynamoDB coordination table: event claims, user locks, automation slots, deferral counts.

Prepare claims the event and locks the user, the workflow's ReserveAutomationSlot reserves one of
the account's automation slots, Conclude gives both back (domain/tables.py: CoordinationTable).
Items are short-lived and expire through TTL; the table is protected like the others, since losing
it would let a replayed event remediate twice.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from domain.tables import CoordinationTable as Layout
from infra.constructs.durable_table import durable_table


class CoordinationTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = durable_table(
            self,
            table_name=table_name,
            key=key,
            partition_key=Layout.PARTITION_KEY,
            sort_key=Layout.SORT_KEY,
            time_to_live_attribute=Layout.EXPIRES_AT,
        )
