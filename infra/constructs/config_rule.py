"""AWS Config: the managed rule ACCESS_KEYS_ROTATED and, optionally, a recorder for IAM users.

Most accounts already have a configuration recorder (one per region is allowed), so creating
one is off by default; when on, it records only IAM users, which is all the rule evaluates.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from domain.config_rule import IAM_USER_RESOURCE_TYPE
from infra.nag import acknowledge


class AccessKeysRotatedRule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rule_name: str,
        max_access_key_age: int,
        create_recorder: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = config.AccessKeysRotated(
            self,
            "Rule",
            config_rule_name=rule_name,
            max_age=Duration.days(max_access_key_age),
            description="keywarden: an IAM user has an active access key older than maxAccessKeyAge days",
        )
        if create_recorder:
            # The rule evaluates once the recorder records, which needs the delivery channel.
            self.rule.node.add_dependency(*self._recorder())

    def _recorder(self) -> tuple[config.CfnConfigurationRecorder, config.CfnDeliveryChannel]:
        recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            # The Config service-linked role (see README: create it once per account).
            role_arn=f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/"
            "config.amazonaws.com/AWSServiceRoleForConfig",
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=False,
                include_global_resource_types=False,
                resource_types=[IAM_USER_RESOURCE_TYPE],
                recording_strategy=config.CfnConfigurationRecorder.RecordingStrategyProperty(
                    use_only="INCLUSION_BY_RESOURCE_TYPES"
                ),
            ),
        )
        bucket = s3.Bucket(
            self,
            "DeliveryBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigChecksTheBucket",
                principals=[iam.ServicePrincipal("config.amazonaws.com")],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigDeliversSnapshots",
                principals=[iam.ServicePrincipal("config.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"AWSLogs/{Aws.ACCOUNT_ID}/Config/*")],
                conditions={
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": Aws.ACCOUNT_ID,
                    }
                },
            )
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "Written only by AWS Config (configuration history of IAM users) under a bucket policy "
            "limited to this account; an access-log bucket would itself be an unlogged bucket.",
        )
        channel = config.CfnDeliveryChannel(self, "DeliveryChannel", s3_bucket_name=bucket.bucket_name)
        channel.add_dependency(recorder)
        # Config checks that it may write to the bucket when the channel is created.
        if bucket.policy is not None:
            channel.node.add_dependency(bucket.policy)
        return recorder, channel
