"""`keywarden findings list`, `keywarden remediate` and `keywarden sweep` (registered in keywarden/cli.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from boto3.dynamodb.types import TypeDeserializer
from rich.console import Console

from deployment.outputs import DEFAULT_STACK_NAME
from domain.config_rule import DEFAULT_CONFIG_RULE_NAME
from domain.tables import AuditTable
from keywarden.audit.commands import PageSizeOption, StatsOption, print_stats, utf8_stdout
from keywarden.audit.queries import QueryStats
from keywarden.audit.render import OutputFormat, print_table
from keywarden.aws_connection import (
    AUDIT_TABLE,
    FINDINGS_TABLE,
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
from keywarden.findings.iam_users import checked_user_name, find_user, is_user_id
from keywarden.findings.queries import Selection, plan_listing, read_findings
from keywarden.findings.render import print_findings, write_findings_csv, write_findings_json
from keywarden.findings.workflow_runs import ExecutionEnd, start_execution, wait_for_execution

_deserializer = TypeDeserializer()

findings_app = typer.Typer(
    help="The findings: one per stale access key, from first notice to its end (Query only, never Scan).",
    no_args_is_help=True,
)

FindingsTableOption = Annotated[
    str | None,
    typer.Option(
        "--table",
        "--findings-table",
        envvar=FINDINGS_TABLE.environment_variable,
        help="The findings table's name (default: the stack's FindingsTableName output).",
    ),
]
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


def _console() -> Console:
    """A terminal's own width; 200 columns in a file or a CI log (a finding's twelve columns fit)."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _say(message: str) -> None:
    """A line for the person (stderr), so stdout keeps only what a script reads."""
    Console(stderr=True).print(message, highlight=False, soft_wrap=True)


@findings_app.command("list")
def list_findings(
    open_only: Annotated[bool, typer.Option("--open", help="Only open findings.")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only open findings on or past their deadline.")
    ] = False,
    user: Annotated[
        str | None, typer.Option(help="An IAM user name (looked up with iam:GetUser) or unique id (AIDA...).")
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table for people, json, csv.")
    ] = OutputFormat.TABLE,
    table: FindingsTableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
    stats: StatsOption = False,
    page_size: PageSizeOption = None,
) -> None:
    """Findings, by deadline (--user: by the day they opened), with their reminders, escalation and close."""

    def run() -> None:
        wanted = user.strip() if user else None
        if wanted is not None and not is_user_id(wanted):
            wanted = checked_user_name(wanted)
        aws = open_session(ConnectionOptions(table, stack_name, profile, region, endpoint_url))
        connection = table_connection(
            aws, resolve_name(aws, table, stack_name, FINDINGS_TABLE), FINDINGS_TABLE
        )
        selection = Selection(open_only=open_only, overdue=overdue, **_user_selection(aws, wanted))
        today = datetime.now(UTC).date()
        counted = QueryStats()
        findings = read_findings(
            connection.client,
            connection.table,
            plan_listing(selection, today),
            page_size=page_size,
            stats=counted,
        )
        with aws_errors(f"querying {connection.table}", connection):
            if output_format is OutputFormat.TABLE:
                print_findings(findings, _console(), _title(selection, wanted, today.isoformat()), today)
            else:
                with utf8_stdout() as stream:
                    (write_findings_json if output_format is OutputFormat.JSON else write_findings_csv)(
                        findings, stream
                    )
        if stats:
            print_stats(counted)

    fail_cleanly(run)


def _user_selection(aws: AwsSession, wanted: str | None) -> dict[str, str]:
    """--user as the by_user index's unique id; a name IAM no longer knows is matched by name."""
    if wanted is None:
        return {}
    if is_user_id(wanted):
        return {"user_id": wanted}
    found = find_user(aws.client("iam"), wanted)
    if found is not None:
        return {"user_id": found.user_id}
    _say(
        f"no IAM user {wanted!r} now: reading the findings recorded under that name (every status, filtered)"
    )
    return {"user_name": wanted}


def _title(selection: Selection, user: str | None, today: str) -> str:
    which = "overdue" if selection.overdue else "open" if selection.open_only else "all"
    return f"keywarden findings: {which}" + (f", user {user}" if user else "") + f" (today {today}, UTC)"


def _print_end(ending: ExecutionEnd, timeout: int) -> None:
    if not ending.finished:
        raise CommandError(f"{ending.execution_arn} is still running after {timeout} s (--timeout)")
    _say(f"execution {ending.status}" + (f": {ending.error}: {ending.cause}" if ending.error else ""))


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
        print_table([record], _console(), f"keywarden remediate --user {found.user_name}")
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
