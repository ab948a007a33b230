"""The daily sweep as deployed: its functions, their environments, its substitutions.

One definition for the CDK stack (infra/) and the local sandbox (keywarden/sandbox/), as
deployment/workflow.py is for the remediation workflow: each passes the names or ARNs of what it
created and gets the same environments and the same rendered statemachine/sweep.asl.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from deployment.settings import DeploymentSettings
from deployment.workflow import WorkflowFunction
from lambdas.settings import FollowFindingsSettings, FollowFlaggedSettings, SweepSettings
from statemachine import SWEEP, checked_substitutions

FOLLOW_FLAGGED: Final = WorkflowFunction(
    "FollowFlaggedFunctionArn",
    "lambdas.handlers.follow_flagged.handler",
    "reads the rule's NON_COMPLIANT users from Config, re-drives the remediations that did not succeed, "
    "opens a finding for each stale active key",
)
FOLLOW_FINDINGS: Final = WorkflowFunction(
    "FollowFindingsFunctionArn",
    "lambdas.handlers.follow_findings.handler",
    "follows each open finding: reminds, escalates, enforces (when on) or closes it",
)
SWEEP_FUNCTIONS: Final = (FOLLOW_FLAGGED, FOLLOW_FINDINGS)


@dataclass(frozen=True)
class SweepResources:
    """What the sweep and its functions use, by name or ARN."""

    findings_table: str
    audit_table: str
    notification_state_table: str
    exemption_table: str
    owners_topic_arn: str
    operators_topic_arn: str
    remediation_state_machine_arn: str


def _shared_settings(settings: DeploymentSettings, resources: SweepResources) -> SweepSettings:
    """What both functions read (lambdas/settings.py SweepSettings)."""
    lifecycle = settings.lifecycle
    return SweepSettings(
        config_rule_name=settings.config_rule_name,
        dry_run=settings.dry_run,
        max_access_key_age_days=settings.max_access_key_age,
        max_credential_usage_age_days=settings.credential_usage_age,
        security_contact_email=settings.security_contact_email,
        owner_tag_keys=",".join(settings.owner_tag_keys),
        slack_channel_tag_keys=",".join(settings.slack_channel_tag_keys),
        grace_period_days=lifecycle.grace_period_days,
        reminder_days_before_deadline=",".join(str(d) for d in lifecycle.reminder_days_before_deadline),
        enforce_after_deadline=lifecycle.enforce_after_deadline,
        enforcement_delay_days=lifecycle.enforcement_delay_days,
        findings_table_name=resources.findings_table,
        exemption_table_name=resources.exemption_table,
        max_exemption_days=settings.max_exemption_days,
        owners_topic_arn=resources.owners_topic_arn,
    )


def sweep_function_environments(
    settings: DeploymentSettings, resources: SweepResources
) -> dict[str, dict[str, str]]:
    """Each sweep function's environment, keyed by its substitution (read by lambdas/settings.py)."""
    shared = _shared_settings(settings, resources).model_dump(exclude_unset=True)
    follow_flagged = FollowFlaggedSettings(
        **shared,
        audit_table_name=resources.audit_table,
        notification_state_table_name=resources.notification_state_table,
        remediation_state_machine_arn=resources.remediation_state_machine_arn,
    )
    follow_findings = FollowFindingsSettings(
        **shared, escalation_tag_keys=",".join(settings.escalation_tag_keys)
    )
    return {
        FOLLOW_FLAGGED.substitution: follow_flagged.to_environment(),
        FOLLOW_FINDINGS.substitution: follow_findings.to_environment(),
    }


def sweep_substitutions(
    settings: DeploymentSettings, resources: SweepResources, function_arns: Mapping[str, str]
) -> dict[str, str]:
    """A value for every `${Name}` of the sweep's ASL; refuses a missing or unknown one."""
    del settings  # every value the sweep's ASL needs is a resource; kept for workflow_substitutions' shape
    return checked_substitutions(
        {
            **function_arns,
            "FindingsTableName": resources.findings_table,
            "OperatorsTopicArn": resources.operators_topic_arn,
        },
        SWEEP,
    )


SWEEP_HANDLERS: Final = {function.substitution: function.handler for function in SWEEP_FUNCTIONS}
"""Substitution -> handler (module path and function) of every sweep function."""
