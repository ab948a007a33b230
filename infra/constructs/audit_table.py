"""The DynamoDB audit table: append-only remediation history, queryable through its indexes."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from lambdas.contract import AuditTable as Layout


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class AuditTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=_string(Layout.PARTITION_KEY),
            sort_key=_string(Layout.SORT_KEY),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            # An audit trail outlives the stack: deleting the stack keeps the table.
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=Layout.EXPIRES_AT,
        )
        for index_name, (partition, sort) in Layout.indexes().items():
            self.table.add_global_secondary_index(
                index_name=index_name,
                partition_key=_string(partition),
                sort_key=_string(sort),
                projection_type=dynamodb.ProjectionType.ALL,
            )
