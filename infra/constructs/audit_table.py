"""The DynamoDB audit table: append-only remediation history, queryable through its indexes."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from domain.tables import AuditTable as Layout
from infra.constructs.durable_table import durable_table


class AuditTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = durable_table(
            self,
            table_name=table_name,
            key=key,
            partition_key=Layout.PARTITION_KEY,
            sort_key=Layout.SORT_KEY,
            time_to_live_attribute=Layout.EXPIRES_AT,
            indexes=Layout.indexes(),
        )
