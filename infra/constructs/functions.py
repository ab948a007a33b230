"""keywarden's Lambda functions: python3.13 on arm64, the Powertools layer, a role each.

The workflow's functions are made here; the notification forwarders use the same builder and package.

The code package holds only the three packages the handlers import (domain/, lambdas/, notifications/);
the Powertools layer brings aws_lambda_powertools, pydantic and the X-Ray SDK, the runtime boto3.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.workflow import (
    CONCLUDE,
    PREPARE,
    WORKFLOW_FUNCTIONS,
    WorkflowResources,
    function_environments,
)
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.exemption_table import ExemptionTable
from infra.nag import acknowledge

REPOSITORY_ROOT: Final = Path(__file__).resolve().parents[2]
PACKAGED_DIRECTORIES: Final = ("domain", "lambdas", "notifications")

POWERTOOLS_VERSION: Final = "3.37.0"
"""The aws-lambda-powertools version pinned in pyproject.toml (a test keeps the two equal)."""
POWERTOOLS_LAYER_PARAMETER: Final = f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}"
"""Public SSM parameter, published by Powertools in every region, holding the layer ARN of exactly
this version; CloudFormation resolves it at deploy time, so synth needs no AWS access."""


@cache
def package_directory() -> Path:
    """A staging copy of domain/, lambdas/ and notifications/ (no caches): the functions' code asset."""
    staging = Path(tempfile.mkdtemp(prefix="keywarden-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for name in PACKAGED_DIRECTORIES:
        shutil.copytree(
            REPOSITORY_ROOT / name, staging / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    return staging


@dataclass(frozen=True)
class FunctionPackage:
    """What every keywarden function runs: the one code asset and the Powertools layer."""

    code: lambda_.Code
    layer: lambda_.ILayerVersion


def keywarden_function(
    scope: Construct,
    function_id: str,
    *,
    handler: str,
    package: FunctionPackage,
    settings: DeploymentSettings,
    names: ResourceNames,
    key: EncryptionKey,
    environment: Mapping[str, str],
    timeout: Duration,
    purpose: str,
    wildcard_reason: str = "",
    reserved_concurrency: int | None = None,
    function_name: str | None = None,
) -> tuple[lambda_.Function, iam.Role]:
    """A function with its own role, its own encrypted log group, JSON logs and X-Ray tracing.

    The role can write the function's logs and traces, nothing else: callers add what it needs.
    `wildcard_reason` extends the acknowledgement of the role's `Resource: *` (X-Ray's own).
    The function is named after its handler unless `function_name` says otherwise (the forwarders
    share one handler).
    """
    function_name = function_name or names.function(handler)
    role = iam.Role(
        scope,
        f"{function_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"keywarden {function_name}: {purpose}",
    )
    log_group = key.log_group(
        scope, f"{function_id}Logs", names.function_log_group(function_name), settings.log_retention_days
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        function_id,
        function_name=function_name,
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=package.code,
        role=role,
        layers=[package.layer],
        environment={**environment, "POWERTOOLS_SERVICE_NAME": "keywarden"},
        timeout=timeout,
        memory_size=256,
        reserved_concurrent_executions=reserved_concurrency,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.WARN,
    )
    acknowledge(
        function,
        "AwsSolutions-L1",
        f"{function_name} runs python3.13, the runtime keywarden is tested on and the "
        "one its Powertools layer (python313-arm64) is built for; both move together.",
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        f"X-Ray tracing of {function_name}: xray:PutTraceSegments and "
        "xray:PutTelemetryRecords accept no resource but '*'." + wildcard_reason,
    )
    return function, role


def iam_users_arn(scope: Construct) -> str:
    """Every IAM user of the account (IAM is global: no region)."""
    return Stack.of(scope).format_arn(service="iam", region="", resource="user", resource_name="*")


def allow_user_reads(role: iam.Role, function_name: str, also: str = "") -> None:
    """Read a user by name, its tags, keys (with last use) and login profile (lambdas/iam_snapshot.py);
    nothing else of IAM. `also` extends the acknowledgement of `user/*` (another action on users)."""
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadUserCredentials",
            actions=[
                "iam:GetUser",
                "iam:ListUserTags",
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
                "iam:GetLoginProfile",
            ],
            resources=[iam_users_arn(role)],
        )
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
        f"{function_name} snapshots whichever IAM user Config flags, so it reads any user of the "
        "account: read-only user actions, no other IAM resource type." + also,
    )


def allow_config_lookup(role: iam.Role) -> None:
    """Find a user by its unique id in Config's inventory, as the runbook does; tell why not."""
    role.add_to_policy(
        iam.PolicyStatement(
            sid="FindUserInConfigInventory",
            actions=[
                "config:ListDiscoveredResources",
                "config:DescribeConfigurationRecorders",
                "config:DescribeConfigurationRecorderStatus",
            ],
            resources=["*"],
        )
    )


class WorkflowFunctions(Construct):
    """The workflow's functions (deployment/workflow.py), keyed by their ASL substitution name.

    Prepare claims the event and the user in the coordination table, reads Config's inventory, IAM and
    the exemptions; Conclude reads IAM, claims in the notification-state table, publishes to the
    owners' topic and gives back the user's lock and automation slot. Nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
        resources: WorkflowResources,
        exemptions: ExemptionTable,
        notification_state: dynamodb.ITable,
        owners: sns.ITopic,
        coordination: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        layer_arn = settings.powertools_layer_arn or ssm.StringParameter.value_for_string_parameter(
            self, POWERTOOLS_LAYER_PARAMETER
        )
        self.package = FunctionPackage(
            code=lambda_.Code.from_asset(str(package_directory())),
            layer=lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", layer_arn),
        )
        environments = function_environments(settings, resources)
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for function in WORKFLOW_FUNCTIONS:
            self.functions[function.substitution], self.roles[function.substitution] = keywarden_function(
                self,
                function.substitution.removesuffix("FunctionArn"),
                handler=function.handler,
                package=self.package,
                settings=settings,
                names=names,
                key=key,
                environment=environments[function.substitution],
                timeout=Duration.seconds(60),
                purpose=function.purpose,
                wildcard_reason=(
                    " config:ListDiscoveredResources and config:DescribeConfigurationRecorder* authorize "
                    "no resource but '*'."
                    if function is PREPARE
                    else ""
                ),
            )
        prepare, conclude = self.roles[PREPARE.substitution], self.roles[CONCLUDE.substitution]
        allow_config_lookup(prepare)
        for function in WORKFLOW_FUNCTIONS:
            allow_user_reads(self.roles[function.substitution], names.function(function.handler))
        # Prepare reads the exemptions (lambdas/exemption_store.py); writing them is for security
        # administrators alone.
        exemptions.allow_reading(prepare, key)
        self._allow_owner_notices(conclude, key, notification_state, owners)
        self._allow_coordination(prepare, conclude, key, coordination)

    @staticmethod
    def _allow_coordination(
        prepare: iam.Role, conclude: iam.Role, key: EncryptionKey, coordination: dynamodb.ITable
    ) -> None:
        """Prepare claims the event and locks the user (conditional puts; a refused one is read back).
        Conclude records the event's outcome, gives back the lock (a conditional delete) and the slot
        (read, then a set DELETE), and counts deferrals."""
        prepare.add_to_policy(
            iam.PolicyStatement(
                sid="ClaimEventsAndLockUsers",
                actions=["dynamodb:PutItem", "dynamodb:GetItem"],
                resources=[coordination.table_arn],
            )
        )
        prepare.add_to_policy(key.table_items("EncryptCoordination"))
        conclude.add_to_policy(
            iam.PolicyStatement(
                sid="GiveBackLocksAndSlots",
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[coordination.table_arn],
            )
        )

    @staticmethod
    def _allow_owner_notices(
        role: iam.Role, key: EncryptionKey, notification_state: dynamodb.ITable, owners: sns.ITopic
    ) -> None:
        """Claim a credential's notice (one conditional update per item), then publish it."""
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ClaimOwnerNotices",
                actions=["dynamodb:UpdateItem"],
                resources=[notification_state.table_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PublishOwnerNotices", actions=["sns:Publish"], resources=[owners.topic_arn]
            )
        )
        role.add_to_policy(key.publishing("EncryptOwnerNotices"))
        role.add_to_policy(key.table_items("EncryptNotificationState"))
