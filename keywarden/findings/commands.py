"""`keywarden findings list` (registered in keywarden/cli.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from deployment.outputs import DEFAULT_STACK_NAME
from keywarden.audit.commands import PageSizeOption, StatsOption, print_stats, utf8_stdout
from keywarden.audit.queries import QueryStats
from keywarden.audit.render import OutputFormat
from keywarden.aws_connection import (
    FINDINGS_TABLE,
    AwsSession,
    ConnectionOptions,
    aws_errors,
    open_session,
    resolve_name,
    table_connection,
)
from keywarden.cli_options import EndpointOption, ProfileOption, RegionOption, StackOption, fail_cleanly
from keywarden.findings.iam_users import checked_user_name, find_user, is_user_id
from keywarden.findings.queries import Selection, plan_listing, read_findings
from keywarden.findings.render import print_findings, write_findings_csv, write_findings_json

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


def wide_console() -> Console:
    """A terminal's own width; 200 columns in a file or a CI log (a finding's twelve columns fit)."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def say(message: str) -> None:
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
                print_findings(findings, wide_console(), _title(selection, wanted, today.isoformat()), today)
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
    say(f"no IAM user {wanted!r} now: reading the findings recorded under that name (every status, filtered)")
    return {"user_name": wanted}


def _title(selection: Selection, user: str | None, today: str) -> str:
    which = "overdue" if selection.overdue else "open" if selection.open_only else "all"
    return f"keywarden findings: {which}" + (f", user {user}" if user else "") + f" (today {today}, UTC)"
