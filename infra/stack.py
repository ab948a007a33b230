"""keywarden's stack: one construct per concern, composed. Add a concern by adding a construct."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from deployment.names import ResourceNames
from deployment.outputs import (
    AUDIT_TABLE_OUTPUT,
    EXEMPTION_TABLE_OUTPUT,
    FINDINGS_TABLE_OUTPUT,
    SWEEP_STATE_MACHINE_OUTPUT,
)
from deployment.settings import DeploymentSettings
from deployment.sweep import SweepResources
from deployment.workflow import WorkflowResources
from infra.constructs.alarms import Alarms
from infra.constructs.audit_table import AuditTable
from infra.constructs.auditor_policy import AuditorPolicy
from infra.constructs.automation_role import AutomationRole
from infra.constructs.config_rule import AccessKeysRotatedRule
from infra.constructs.coordination_table import CoordinationTable
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.event_rule import ComplianceEventRule
from infra.constructs.exemption_table import ExemptionTable
from infra.constructs.findings_table import FindingsTable
from infra.constructs.functions import FunctionPackage, WorkflowFunctions
from infra.constructs.notification_state_table import NotificationStateTable
from infra.constructs.owner_notifications import OwnerNotifications
from infra.constructs.sweep_functions import SweepFunctions
from infra.constructs.sweep_schedule import SweepSchedule
from infra.constructs.sweep_workflow import SweepWorkflow
from infra.constructs.topics import Topics
from infra.constructs.workflow import Workflow


class KeywardenStack(Stack):
    def __init__(self, scope: Construct, settings: DeploymentSettings, **kwargs: Any) -> None:
        names = ResourceNames(settings.name_prefix)
        super().__init__(
            scope, names.stack, description="keywarden: remediate stale IAM access keys", **kwargs
        )
        key = EncryptionKey(self, "Encryption", alias=names.key_alias)
        self._storage(settings, names, key)
        automation = AutomationRole(self, "Automation")
        resources = WorkflowResources(
            audit_table=self.table.table_name,
            notification_state_table=self.notification_state.table_name,
            exemption_table=self.exemptions.table.table_name,
            owners_topic_arn=self.topics.owners.topic_arn,
            operators_topic_arn=self.topics.operators.topic_arn,
            automation_role_arn=automation.role.role_arn,
            coordination_table=self.coordination.table_name,
        )
        functions = WorkflowFunctions(
            self,
            "Functions",
            settings=settings,
            names=names,
            key=key,
            resources=resources,
            exemptions=self.exemptions,
            notification_state=self.notification_state,
            owners=self.topics.owners,
            coordination=self.coordination,
        )
        notifications = OwnerNotifications(
            self,
            "Notifications",
            settings=settings,
            names=names,
            key=key,
            package=functions.package,
            owners=self.topics.owners,
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            settings=settings,
            names=names,
            key=key,
            resources=resources,
            functions=functions.functions,
            table=self.table,
            operators=self.topics.operators,
            automation_role=automation.role,
            coordination=self.coordination,
        )
        events = self._compliance_events(settings, names)
        self._sweep(settings, names, key, functions.package)
        if settings.create_alarms:
            self._alarms(names, key, events, notifications)
        auditors = AuditorPolicy(
            self, "Auditors", policy_name=names.auditor_policy, table_name=names.audit_table, key=key
        )
        # Last: every role of the stack exists now, and none of them may write an exemption.
        self.exemptions.deny_writes(
            keywarden_role_arns=[c.attr_arn for c in self.node.find_all() if isinstance(c, iam.CfnRole)],
            administrator_arns=settings.exemption_administrator_arns,
        )
        self._outputs(auditors, events, notifications)

    def _storage(self, settings: DeploymentSettings, names: ResourceNames, key: EncryptionKey) -> None:
        """The tables and the topics, all encrypted with the stack's key."""
        self.table = AuditTable(self, "AuditTable", table_name=names.audit_table, key=key.key).table
        self.notification_state = NotificationStateTable(
            self, "NotificationState", table_name=names.notification_state_table, key=key.key
        ).table
        self.coordination = CoordinationTable(
            self, "Coordination", table_name=names.coordination_table, key=key.key
        ).table
        self.findings = FindingsTable(self, "Findings", table_name=names.findings_table, key=key.key).table
        self.topics = Topics(
            self,
            "Topics",
            owners_name=names.owners_topic,
            operators_name=names.operators_topic,
            key=key.key,
            owner_emails=settings.owner_notification_emails,
            operator_emails=settings.operator_emails,
        )
        self.exemptions = ExemptionTable(
            self,
            "Exemptions",
            table_name=names.exemption_table,
            policy_name=names.exemption_administrator_policy,
            key=key,
        )

    def _compliance_events(self, settings: DeploymentSettings, names: ResourceNames) -> ComplianceEventRule:
        """Config's rule (unless an existing one is used), and the EventBridge rule starting the workflow."""
        events = ComplianceEventRule(
            self,
            "Events",
            rule_name=names.event_rule,
            config_rule_name=settings.config_rule_name,
            queue_name=names.dead_letter_queue,
            state_machine=self.workflow.state_machine,
        )
        self.config_rule_arn: str | None = None
        if settings.create_config_rule:
            self.config_rule_arn = AccessKeysRotatedRule(
                self,
                "Config",
                rule_name=settings.config_rule_name,
                max_access_key_age=settings.max_access_key_age,
                create_recorder=settings.create_config_recorder,
            ).rule.config_rule_arn
        return events

    def _sweep(
        self, settings: DeploymentSettings, names: ResourceNames, key: EncryptionKey, package: FunctionPackage
    ) -> None:
        """The daily sweep (issue 13): its functions, its workflow, its schedule."""
        resources = SweepResources(
            findings_table=self.findings.table_name,
            audit_table=self.table.table_name,
            notification_state_table=self.notification_state.table_name,
            exemption_table=self.exemptions.table.table_name,
            owners_topic_arn=self.topics.owners.topic_arn,
            operators_topic_arn=self.topics.operators.topic_arn,
            remediation_state_machine_arn=self.workflow.state_machine.state_machine_arn,
        )
        functions = SweepFunctions(
            self,
            "SweepFunctions",
            settings=settings,
            names=names,
            key=key,
            package=package,
            resources=resources,
            created_rule_arn=self.config_rule_arn,
            findings=self.findings,
            audit=self.table,
            notification_state=self.notification_state,
            exemptions=self.exemptions,
            owners=self.topics.owners,
            remediation=self.workflow.state_machine,
        )
        self.sweep = SweepWorkflow(
            self,
            "Sweep",
            settings=settings,
            names=names,
            key=key,
            resources=resources,
            functions=functions.functions,
            findings=self.findings,
            operators=self.topics.operators,
        )
        self.sweep_schedule = SweepSchedule(
            self,
            "SweepSchedule",
            schedule_name=names.sweep_schedule,
            expression=settings.sweep_schedule,
            queue_name=names.sweep_dead_letter_queue,
            state_machine=self.sweep.state_machine,
        )

    def _alarms(
        self,
        names: ResourceNames,
        key: EncryptionKey,
        events: ComplianceEventRule,
        notifications: OwnerNotifications,
    ) -> None:
        """Operators are alarmed by a failing workflow and by anything left in a dead-letter queue."""
        Alarms(
            self,
            "Alarms",
            names=names,
            state_machine=self.workflow.state_machine,
            sweep=self.sweep.state_machine,
            dead_letter_queues={
                "dead-letter-queue": events.dead_letter_queue,
                "sweep-schedule-dead-letter-queue": self.sweep_schedule.dead_letter_queue,
                **{
                    f"{channel}-forwarder-dead-letter-queue": forwarder.dead_letter_queue
                    for channel, forwarder in notifications.forwarders.items()
                },
            },
            operators=self.topics.operators,
            key=key,
        )

    def _outputs(
        self, auditors: AuditorPolicy, events: ComplianceEventRule, notifications: OwnerNotifications
    ) -> None:
        """What operators and the command line look up after a deployment."""
        CfnOutput(self, AUDIT_TABLE_OUTPUT, value=self.table.table_name)
        CfnOutput(self, EXEMPTION_TABLE_OUTPUT, value=self.exemptions.table.table_name)
        CfnOutput(self, "AuditorPolicyArn", value=auditors.policy.managed_policy_arn)
        CfnOutput(
            self,
            "ExemptionAdministratorPolicyArn",
            value=self.exemptions.administrator_policy.managed_policy_arn,
        )
        CfnOutput(self, "OwnersTopicArn", value=self.topics.owners.topic_arn)
        CfnOutput(self, "OperatorsTopicArn", value=self.topics.operators.topic_arn)
        CfnOutput(self, "StateMachineArn", value=self.workflow.state_machine.state_machine_arn)
        CfnOutput(self, "DeadLetterQueueUrl", value=events.dead_letter_queue.queue_url)
        CfnOutput(self, "NotificationStateTableName", value=self.notification_state.table_name)
        CfnOutput(self, "CoordinationTableName", value=self.coordination.table_name)
        CfnOutput(self, FINDINGS_TABLE_OUTPUT, value=self.findings.table_name)
        CfnOutput(self, SWEEP_STATE_MACHINE_OUTPUT, value=self.sweep.state_machine.state_machine_arn)
        CfnOutput(
            self, "SweepScheduleDeadLetterQueueUrl", value=self.sweep_schedule.dead_letter_queue.queue_url
        )
        for channel, secret in notifications.webhook_secrets.items():
            CfnOutput(self, f"{channel.capitalize()}WebhookSecretArn", value=secret.secret_arn)
        for channel, forwarder in notifications.forwarders.items():
            CfnOutput(
                self,
                f"{channel.capitalize()}ForwarderDeadLetterQueueUrl",
                value=forwarder.dead_letter_queue.queue_url,
            )
