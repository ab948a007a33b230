"""The DynamoDB notification-state table: what each owner was told, so a repeat within the window is not sent.

The workflow claims a key with a conditional UpdateItem (states ClaimKey, ReleaseClaim); items
are updated, unlike the append-only audit table, and expire through TTL. A later reminder job
builds on them, so they are protected like the audit table.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from lambdas.contract import NotificationStateTable as Layout


class NotificationStateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=dynamodb.Attribute(name=Layout.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=Layout.SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # The audit table's key: items carry owners' addresses and Slack channels.
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            # Losing it would notify every owner again; deleting the stack keeps it.
            removal_policy=RemovalPolicy.RETAIN,
            time_to_live_attribute=Layout.EXPIRES_AT,
        )
