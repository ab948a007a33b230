"""The DynamoDB findings table: one finding per stale key, its append-only history, the re-drives.

Layout: domain/tables.py `FindingsTable`. Its items are evidence ("were stale keys rotated within
14 days of notice?"), so it is protected like the audit table, and nothing in it expires.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from domain.tables import FindingsTable as Layout
from infra.constructs.durable_table import durable_table


class FindingsTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = durable_table(
            self,
            table_name=table_name,
            key=key,
            partition_key=Layout.PARTITION_KEY,
            sort_key=Layout.SORT_KEY,
            indexes=Layout.indexes(),
        )
