"""A Standard state machine from one of statemachine/'s ASL files: inline, logged, traced."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.nag import acknowledge
from statemachine import Definition, definition_text


def logged_state_machine(
    scope: Construct,
    *,
    name: str,
    definition: Definition,
    substitutions: Mapping[str, str],
    role: iam.Role,
    log_group: logs.ILogGroup,
) -> sfn.StateMachine:
    """Every execution's events (with their data) in the encrypted log group, X-Ray on; CDK adds the
    log-delivery and X-Ray actions to `role`, which accept no resource but `*`."""
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=name,
        state_machine_type=sfn.StateMachineType.STANDARD,
        # Inline (not from_file, an S3 asset): template tests and cfn-lint see the workflow.
        definition_body=sfn.DefinitionBody.from_string(definition_text(definition)),
        definition_substitutions=dict(substitutions),
        role=role,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        tracing_enabled=True,
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Required by AWS and added by CDK: CloudWatch Logs delivery (logs:CreateLogDelivery and the "
        "other *LogDelivery/ResourcePolicy actions) and X-Ray (xray:PutTraceSegments, "
        "PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) accept no resource but '*'.",
    )
    return state_machine
