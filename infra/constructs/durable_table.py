"""keywarden's DynamoDB tables are evidence: each is protected the same way."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct


def string_attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def durable_table(
    scope: Construct,
    *,
    table_name: str,
    key: kms.IKey,
    partition_key: str,
    sort_key: str | None = None,
    time_to_live_attribute: str | None = None,
    indexes: Mapping[str, tuple[str, str]] | None = None,
) -> dynamodb.Table:
    """On-demand, encrypted with the stack's key, point-in-time recovery, deletion protection, and
    kept when the stack is deleted (a history outlives its deployment). `indexes`: global secondary
    indexes, name -> (partition key, sort key), strings, projecting every attribute."""
    table = dynamodb.Table(
        scope,
        "Table",
        table_name=table_name,
        partition_key=string_attribute(partition_key),
        sort_key=string_attribute(sort_key) if sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        time_to_live_attribute=time_to_live_attribute,
    )
    for index_name, (partition, sort) in (indexes or {}).items():
        table.add_global_secondary_index(
            index_name=index_name,
            partition_key=string_attribute(partition),
            sort_key=string_attribute(sort),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table
