"""The Step Functions workflow: statemachine/remediation.asl.json, inline, with its substitutions.

With an ASL file CDK grants nothing by itself: every permission of the state machine's role is
written here, and only what the workflow calls (see README, "IAM permissions").
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
from deployment.workflow import WorkflowResources, workflow_substitutions
from infra.constructs.automation_role import automation_executions_arn, runbook_document_arn
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.state_machine import logged_state_machine
from infra.nag import acknowledge
from statemachine import REMEDIATION


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
        resources: WorkflowResources,
        functions: Mapping[str, lambda_.IFunction],
        table: dynamodb.ITable,
        operators: sns.ITopic,
        automation_role: iam.IRole,
        coordination: dynamodb.ITable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="keywarden: the remediation workflow",
        )
        self._grant(key, functions, table, operators, automation_role, coordination)
        substitutions = workflow_substitutions(
            settings, resources, {name: function.function_arn for name, function in functions.items()}
        )
        log_group = key.log_group(self, "Logs", names.state_machine_log_group, settings.log_retention_days)
        self.state_machine = logged_state_machine(
            self,
            name=names.state_machine,
            definition=REMEDIATION,
            substitutions=substitutions,
            role=self.role,
            log_group=log_group,
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:"
            "automation-execution/*]",
            "The workflow starts the runbook and polls the execution SSM creates; execution ids are "
            "generated at run time and cannot be named in advance.",
        )

    def _grant(
        self,
        key: EncryptionKey,
        functions: Mapping[str, lambda_.IFunction],
        table: dynamodb.ITable,
        operators: sns.ITopic,
        automation_role: iam.IRole,
        coordination: dynamodb.ITable,
    ) -> None:
        executions = automation_executions_arn(self)
        statements = [
            iam.PolicyStatement(
                sid="InvokeWorkflowFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in functions.values()],
            ),
            iam.PolicyStatement(
                sid="StartTheRunbook",
                actions=["ssm:StartAutomationExecution"],
                resources=[runbook_document_arn(self), executions],
            ),
            iam.PolicyStatement(
                sid="PollTheRunbook", actions=["ssm:GetAutomationExecution"], resources=[executions]
            ),
            iam.PolicyStatement(
                sid="PassTheAutomationRoleToSsm",
                actions=["iam:PassRole"],
                resources=[automation_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="AlertOperators", actions=["sns:Publish"], resources=[operators.topic_arn]
            ),
            # RecordRemediation's TransactWriteItems is authorized per Put as dynamodb:PutItem;
            # ConfirmRecorded reads the summary item back.
            iam.PolicyStatement(
                sid="RecordRemediations",
                actions=["dynamodb:PutItem", "dynamodb:GetItem"],
                resources=[table.table_arn],
            ),
            # ReserveAutomationSlot: a conditional UpdateItem on the slots item, nothing else.
            iam.PolicyStatement(
                sid="ReserveAutomationSlots",
                actions=["dynamodb:UpdateItem"],
                resources=[coordination.table_arn],
            ),
            key.publishing("EncryptAlerts"),
            key.table_items("EncryptAuditItems"),
        ]
        for statement in statements:
            self.role.add_to_policy(statement)
