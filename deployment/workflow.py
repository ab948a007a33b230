"""The remediation workflow as deployed: its functions, their environments, its substitutions.

One definition for the CDK stack (infra/) and the local sandbox (keywarden/sandbox/): each
passes the names or ARNs of what it created (CloudFormation tokens, or moto's ARNs) and gets
the same environments and the same rendered ASL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from deployment.settings import DeploymentSettings
from domain.runbook import RUNBOOK_NAME
from lambdas.settings import ConcludeSettings, PrepareSettings
from statemachine import checked_substitutions


@dataclass(frozen=True)
class WorkflowFunction:
    substitution: str
    """The ASL placeholder its ARN fills (${PrepareFunctionArn})."""
    handler: str
    purpose: str
    """Said in its role's description."""


PREPARE: Final = WorkflowFunction(
    "PrepareFunctionArn",
    "lambdas.handlers.prepare.handler",
    "claims the event, locks the user, reads Config's inventory, the user's credentials and the exemptions",
)
CONCLUDE: Final = WorkflowFunction(
    "ConcludeFunctionArn",
    "lambdas.handlers.conclude.handler",
    "reads the user's credentials, claims and sends the owner's notice, gives back the lock and the slot",
)
WORKFLOW_FUNCTIONS: Final = (PREPARE, CONCLUDE)


@dataclass(frozen=True)
class WorkflowResources:
    """What the workflow and its functions use, by name or ARN."""

    audit_table: str
    notification_state_table: str
    exemption_table: str
    owners_topic_arn: str
    operators_topic_arn: str
    automation_role_arn: str
    coordination_table: str


def function_environments(
    settings: DeploymentSettings, resources: WorkflowResources
) -> dict[str, dict[str, str]]:
    """Each workflow function's environment, keyed by its substitution (read by lambdas/settings.py)."""
    prepare = PrepareSettings(
        config_rule_name=settings.config_rule_name,
        dry_run=settings.dry_run,
        exemption_table_name=resources.exemption_table,
        max_exemption_days=settings.max_exemption_days,
        coordination_table_name=resources.coordination_table,
    )
    conclude = ConcludeSettings(
        config_rule_name=settings.config_rule_name,
        max_access_key_age_days=settings.max_access_key_age,
        max_credential_usage_age_days=settings.credential_usage_age,
        security_contact_email=settings.security_contact_email,
        owner_tag_keys=",".join(settings.owner_tag_keys),
        grace_period_days=settings.grace_period_days,
        retention_days=settings.record_retention_days,
        slack_channel_tag_keys=",".join(settings.slack_channel_tag_keys),
        notification_window_hours=settings.notification_window_hours,
        audit_table_name=resources.audit_table,
        notification_state_table_name=resources.notification_state_table,
        owners_topic_arn=resources.owners_topic_arn,
        coordination_table_name=resources.coordination_table,
        max_concurrent_automations=settings.max_concurrent_automations,
    )
    return {PREPARE.substitution: prepare.to_environment(), CONCLUDE.substitution: conclude.to_environment()}


def workflow_substitutions(
    settings: DeploymentSettings, resources: WorkflowResources, function_arns: Mapping[str, str]
) -> dict[str, str]:
    """A value for every `${Name}` of the ASL; refuses a missing or unknown one."""
    return checked_substitutions(
        {
            **function_arns,
            "RunbookName": RUNBOOK_NAME,
            "RunbookVersion": settings.runbook_version,
            "MaxCredentialUsageAge": str(settings.credential_usage_age),
            "PollIntervalSeconds": str(settings.poll_interval_seconds),
            "MaxPollAttempts": str(settings.max_poll_attempts),
            "AutomationRoleArn": resources.automation_role_arn,
            "AuditTableName": resources.audit_table,
            "OperatorsTopicArn": resources.operators_topic_arn,
            "CoordinationTableName": resources.coordination_table,
            "MaxConcurrentAutomations": str(settings.max_concurrent_automations),
        }
    )


WORKFLOW_HANDLERS: Final = {function.substitution: function.handler for function in WORKFLOW_FUNCTIONS}
"""Substitution -> handler (module path and function) of every workflow function."""
