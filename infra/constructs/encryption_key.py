"""The customer managed KMS key of keywarden's data: tables, topics, the webhook secrets, log groups.

One key with automatic rotation, kept when the stack is deleted (the audit table it protects
is kept too). Every service that uses it on keywarden's behalf gets a key-policy statement
limited by an encryption context or a source condition; roles get key use through their own
policies, limited to the service they call (kms:ViaService).
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

RETENTION: Final = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
}
"""Days (as validated by DeploymentSettings.log_retention_days) -> CDK's retention."""


def through(service: str) -> dict[str, dict[str, str]]:
    """The condition limiting a role's key use to calls `service` makes for it (kms:ViaService)."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}}


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, alias: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias,
            description="keywarden: tables, SNS topics, webhook secrets and log groups",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def publishing(self, sid: str) -> iam.PolicyStatement:
        """Publish to a topic encrypted with this key: SNS uses the publisher's permissions on it."""
        return iam.PolicyStatement(
            sid=sid,
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=[self.key.key_arn],
            conditions=through("sns"),
        )

    def table_items(self, sid: str) -> iam.PolicyStatement:
        """Read and write items of a table encrypted with this key: what the DynamoDB-managed key
        grants a table's users, minus CreateGrant."""
        return iam.PolicyStatement(
            sid=sid,
            actions=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[self.key.key_arn],
            conditions=through("dynamodb"),
        )

    def log_group(self, scope: Construct, construct_id: str, name: str, retention_days: int) -> logs.LogGroup:
        """A log group encrypted with this key; CloudWatch Logs may use the key for it alone."""
        arn = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{name}"
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                # Actions from the CloudWatch Logs guide "Encrypt log data using AWS KMS".
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                resources=["*"],
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arn}},
            )
        )
        return logs.LogGroup(
            scope,
            construct_id,
            log_group_name=name,
            encryption_key=self.key,
            retention=RETENTION[retention_days],
            removal_policy=RemovalPolicy.RETAIN,
        )
