"""The daily sweep's state machine: statemachine/sweep.asl.json, inline, with its substitutions.

As for the remediation workflow, CDK grants nothing by itself: the role may invoke the sweep's two
functions, put the one failure item in the findings table, alert the operators, log and trace.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.sweep import SweepResources, sweep_substitutions
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.state_machine import logged_state_machine
from statemachine import SWEEP


class SweepWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
        resources: SweepResources,
        functions: Mapping[str, lambda_.IFunction],
        findings: dynamodb.ITable,
        operators: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="keywarden: the daily sweep",
        )
        statements = [
            iam.PolicyStatement(
                sid="InvokeSweepFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in functions.values()],
            ),
            # RecordSweepFailure: one conditional put, never a read or an update.
            iam.PolicyStatement(
                sid="RecordSweepFailures", actions=["dynamodb:PutItem"], resources=[findings.table_arn]
            ),
            iam.PolicyStatement(
                sid="AlertOperators", actions=["sns:Publish"], resources=[operators.topic_arn]
            ),
            key.publishing("EncryptAlerts"),
            key.table_items("EncryptFailureItems"),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
        substitutions = sweep_substitutions(
            settings, resources, {name: function.function_arn for name, function in functions.items()}
        )
        log_group = key.log_group(
            self, "Logs", names.sweep_state_machine_log_group, settings.log_retention_days
        )
        self.state_machine = logged_state_machine(
            self,
            name=names.sweep_state_machine,
            definition=SWEEP,
            substitutions=substitutions,
            role=self.role,
            log_group=log_group,
        )
