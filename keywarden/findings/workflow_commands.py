"""`keywarden remediate` and `keywarden sweep`: start a workflow now (registered in keywarden/cli.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from boto3.dynamodb.types import TypeDeserializer

from deployment.outputs import DEFAULT_STACK_NAME
from domain.config_rule import DEFAULT_CONFIG_RULE_NAME
from domain.tables import AuditTable
from keywarden.audit.render import print_table
from keywarden.aws_connection import (
    AUDIT_TABLE,
    REMEDIATION_WORKFLOW,
    SWEEP_WORKFLOW,
    TABLE_ENVIRONMENT_VARIABLE,
    AwsSession,
    ConnectionOptions,
    aws_errors,
    open_session,
    resolve_name,
    table_connection,
)
from keywarden.cli_errors import CommandError
from keywarden.cli_options import EndpointOption, ProfileOption, RegionOption, StackOption, fail_cleanly
from keywarden.findings.cli_event import cli_compliance_event, new_cli_event_id
from keywarden.findings.commands import say, wide_console
from keywarden.findings.iam_users import checked_user_name, find_user
from keywarden.findings.workflow_runs import ExecutionEnd, start_execution, wait_for_execution

_deserializer = TypeDeserializer()

AuditTableOption = Annotated[
    str | None,
    typer.Option(
        "--audit-table",
        envvar=TABLE_ENVIRONMENT_VARIABLE,
        help="The audit table, read by --wait (default: the stack's AuditTableName output).",
    ),
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Wait for the execution to end and print how.")]
TimeoutOption = Annotated[
    int, typer.Option("--timeout", min=1, max=86_400, help="Seconds --wait waits at most.")
]
RemediationWorkflowOption = Annotated[
    str | None,
    typer.Option(
        "--state-machine-arn",
        envvar=REMEDIATION_WORKFLOW.environment_variable,
        help="The remediation workflow (default: the sandbox's, or the stack's StateMachineArn output).",
    ),
]
SweepWorkflowOption = Annotated[
    str | None,
    typer.Option(
        "--state-machine-arn",
        envvar=SWEEP_WORKFLOW.environment_variable,
        help="The sweep workflow (default: the sandbox's, or the stack's SweepStateMachineArn output).",
    ),
]


def _print_end(ending: ExecutionEnd, timeout: int) -> None:
    if not ending.finished:
        raise CommandError(f"{ending.execution_arn} is still running after {timeout} s (--timeout)")
    say(f"execution {ending.status}" + (f": {ending.error}: {ending.cause}" if ending.error else ""))


def _remediation_record(aws: AwsSession, table: str, execution_name: str) -> dict[str, Any] | None:
    """The audit table's summary item of one remediation (Query on its partition)."""
    connection = table_connection(aws, table)
    request = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk AND #sk = :sk",
        "ExpressionAttributeNames": {"#pk": AuditTable.PARTITION_KEY, "#sk": AuditTable.SORT_KEY},
        "ExpressionAttributeValues": {
            ":pk": {"S": AuditTable.remediation_pk(execution_name)},
            ":sk": {"S": AuditTable.REMEDIATION_SK},
        },
    }
    with aws_errors(f"querying {table}", connection):
        items = connection.client.query(**request)["Items"]
    if not items:
        return None
    return {name: _deserializer.deserialize(value) for name, value in items[0].items()}


def remediate(
    user: Annotated[str, typer.Option(help="The IAM user name to remediate now.")],
    wait: WaitOption = False,
    timeout: TimeoutOption = 900,
    config_rule_name: Annotated[
        str,
        typer.Option(
            envvar="KEYWARDEN_CONFIG_RULE_NAME",
            help="The deployment's Config rule (cdk.json configRuleName).",
        ),
    ] = DEFAULT_CONFIG_RULE_NAME,
    state_machine_arn: RemediationWorkflowOption = None,
    audit_table: AuditTableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Start a remediation of one user now, as if Config had just flagged it; print the execution ARN."""

    def run() -> None:
        name = checked_user_name(user)
        aws = open_session(ConnectionOptions(None, stack_name, profile, region, endpoint_url))
        found = find_user(aws.client("iam"), name)
        if found is None:
            raise CommandError(f"no IAM user named {name!r} in {aws.where()}")
        workflow = resolve_name(aws, state_machine_arn, stack_name, REMEDIATION_WORKFLOW)
        # Found before anything starts: a --wait that cannot read the outcome is refused up front.
        table = resolve_name(aws, audit_table, stack_name, AUDIT_TABLE) if wait else None
        event_id = new_cli_event_id()
        event = cli_compliance_event(
            found.user_id,
            event_id=event_id,
            rule_name=config_rule_name,
            account_id=found.account_id,
            region=aws.region,
            at=datetime.now(UTC),
        )
        sfn = aws.client("stepfunctions")
        execution_arn = start_execution(sfn, workflow, event_id, event, REMEDIATION_WORKFLOW)
        typer.echo(execution_arn)
        if table is None:
            return
        ending = wait_for_execution(sfn, execution_arn, timeout, REMEDIATION_WORKFLOW)
        _print_end(ending, timeout)
        record = _remediation_record(aws, table, event_id)
        if record is None:
            raise CommandError(f"no audit record of {event_id} in {table}")
        print_table([record], wide_console(), f"keywarden remediate --user {found.user_name}")
        if not ending.succeeded:
            raise CommandError(f"the remediation ended {ending.status}")

    fail_cleanly(run)


def sweep(
    wait: WaitOption = False,
    timeout: TimeoutOption = 3600,
    state_machine_arn: SweepWorkflowOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Run the daily sweep now (re-drives, reminders, escalations, enforcement, closes); print its ARN."""

    def run() -> None:
        aws = open_session(ConnectionOptions(None, stack_name, profile, region, endpoint_url))
        workflow = resolve_name(aws, state_machine_arn, stack_name, SWEEP_WORKFLOW)
        sfn = aws.client("stepfunctions")
        # The sweep reads its day and its name from the execution ($$.Execution), nothing from its input.
        execution_arn = start_execution(sfn, workflow, new_cli_event_id(), {}, SWEEP_WORKFLOW)
        typer.echo(execution_arn)
        if not wait:
            return
        ending = wait_for_execution(sfn, execution_arn, timeout, SWEEP_WORKFLOW)
        _print_end(ending, timeout)
        if ending.output is not None:
            typer.echo(json.dumps(ending.output, indent=2, sort_keys=True))
        if not ending.succeeded:
            raise CommandError(f"the sweep ended {ending.status}")

    fail_cleanly(run)
