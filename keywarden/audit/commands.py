"""The `keywarden audit` commands: `history` and `summary` (registered in keywarden/cli.py)."""

from __future__ import annotations

import contextlib
import io
import itertools
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console

from deployment.outputs import DEFAULT_STACK_NAME
from keywarden.audit.findings_summary import FindingsSummary, period_days, summarize_findings
from keywarden.audit.periods import Period, parse_period
from keywarden.audit.queries import (
    Criteria,
    PartitionQuery,
    QueryStats,
    check_criteria,
    parse_outcomes,
    plan_history,
    plan_summary,
    read_items,
)
from keywarden.audit.render import OutputFormat, print_table, write_csv, write_json
from keywarden.audit.summary import (
    SUMMARY_PROJECTION,
    print_summary,
    summarize,
    write_summary_csv,
    write_summary_json,
)
from keywarden.aws_connection import (
    AUDIT_TABLE,
    FINDINGS_TABLE,
    TABLE_ENVIRONMENT_VARIABLE,
    AwsSession,
    ConnectionOptions,
    TableConnection,
    aws_errors,
    connect,
    open_session,
    resolve_name,
    table_connection,
)
from keywarden.cli_errors import CommandError
from keywarden.cli_options import EndpointOption, ProfileOption, RegionOption, StackOption, fail_cleanly
from keywarden.findings.queries import plan_opened_between, read_findings

audit_app = typer.Typer(
    help="Answer auditors from keywarden's audit table (DynamoDB Query on its indexes, never Scan).",
    no_args_is_help=True,
)

SinceOption = Annotated[
    str | None,
    typer.Option(help="From this date (2026-09-01), time (2026-09-01T09:30:00Z) or duration ago (90d). UTC."),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Up to and including this date, time or duration ago. UTC.")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table for people, json, csv.")]
TableOption = Annotated[
    str | None,
    typer.Option(
        envvar=TABLE_ENVIRONMENT_VARIABLE,
        help="The audit table's name (default: the stack's AuditTableName output).",
    ),
]
StatsOption = Annotated[
    bool, typer.Option("--stats", help="Also print what the reads cost (items read, returned, capacity).")
]
PageSizeOption = Annotated[int | None, typer.Option(hidden=True, min=1, help="Items per Query page.")]


@contextlib.contextmanager
def utf8_stdout() -> Iterator[TextIO]:
    """stdout as UTF-8 whatever the locale says, without newline translation (CSV writes CRLF)."""
    sys.stdout.flush()
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield stream
    finally:
        stream.flush()
        stream.detach()


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _read(
    connection: TableConnection,
    queries: list[PartitionQuery],
    period: Period,
    stats: QueryStats,
    projection: tuple[str, ...] = (),
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The items, with the first page already read: a missing table fails before any output."""
    items = read_items(
        connection.client, connection.table, queries, period,
        projection=projection, page_size=page_size, stats=stats,
    )  # fmt: skip
    with aws_errors(f"querying {connection.table}", connection):
        first = next(items, None)
    if first is None:
        return iter(())
    return itertools.chain([first], items)


def print_stats(stats: QueryStats) -> None:
    ratio = stats.items_read / stats.items_returned if stats.items_returned else 0.0
    Console(stderr=True).print(
        f"{stats.queries} queries, {stats.pages} pages: {stats.items_read} items read, "
        f"{stats.items_returned} returned ({ratio:.2f} read per returned), "
        f"{stats.read_capacity_units:g} read capacity units",
        highlight=False,
        soft_wrap=True,
    )


@audit_app.command()
def history(
    user: Annotated[str | None, typer.Option(help="An IAM user name, or its unique id (AIDA...).")] = None,
    key: Annotated[str | None, typer.Option(help="An access key id: that key's history.")] = None,
    account: Annotated[str | None, typer.Option(help="An AWS account id.")] = None,
    outcome: Annotated[
        list[str] | None, typer.Option(help="REMEDIATED, KEYS_LEFT_ACTIVE, FAILED... (repeatable).")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    table: TableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
    stats: StatsOption = False,
    page_size: PageSizeOption = None,
) -> None:
    """Every remediation that matches, oldest first (--key: that key's record in each remediation)."""

    def run() -> None:
        criteria = check_criteria(
            Criteria(
                user=user,
                key=key.strip().upper() if key else None,
                account=account.strip() if account else None,
                outcomes=parse_outcomes(outcome or []),
                period=parse_period(since, until),
            )
        )
        connection = connect(ConnectionOptions(table, stack_name, profile, region, endpoint_url))
        counted = QueryStats()
        items = _read(connection, plan_history(criteria), criteria.period, counted, page_size=page_size)
        with aws_errors(f"querying {connection.table}", connection):
            if output_format is OutputFormat.TABLE:
                print_table(items, _console(), f"keywarden audit history, {criteria.period.describe()} (UTC)")
            else:
                with utf8_stdout() as stream:
                    (write_json if output_format is OutputFormat.JSON else write_csv)(items, stream)
        if stats:
            print_stats(counted)

    fail_cleanly(run)


FindingsTableOption = Annotated[
    str | None,
    typer.Option(
        "--findings-table",
        envvar=FINDINGS_TABLE.environment_variable,
        help="The findings table (default: the stack's FindingsTableName output, when --table is not given).",
    ),
]


def _findings_table(
    aws: AwsSession, audit_table: str | None, given: str | None, stack_name: str
) -> str | None:
    """The findings table to summarize, or None (with a note) when it cannot be named.

    An audit table named by hand means a findings table named by hand (or by the sandbox): no
    stack is read behind the person's back. A deployment older than findings has no such output.
    """
    if given or aws.sandbox is not None or audit_table is None:
        try:
            return resolve_name(aws, given, stack_name, FINDINGS_TABLE)
        except CommandError as error:
            _note(f"findings not summarized: {error.message}")
            return None
    variable = FINDINGS_TABLE.environment_variable
    _note(f"findings not summarized: name their table with --findings-table or {variable}")
    return None


def _note(message: str) -> None:
    Console(stderr=True).print(message, highlight=False, soft_wrap=True)


def _summarize_findings(
    aws: AwsSession, table: str, period: Period, account: str | None, stats: QueryStats
) -> FindingsSummary:
    """Read the findings opened in the period (Query on by_status, one partition per status)."""
    connection = table_connection(aws, table, FINDINGS_TABLE)
    today = datetime.now(UTC).date()
    first, last = period_days(period, today)
    findings = read_findings(
        connection.client, connection.table, plan_opened_between(first, last, account), stats=stats
    )
    with aws_errors(f"querying {connection.table}", connection):
        return summarize_findings(findings, period, today)


@audit_app.command()
def summary(
    account: Annotated[str | None, typer.Option(help="Only this AWS account.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    table: TableOption = None,
    findings_table: FindingsTableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
    stats: StatsOption = False,
) -> None:
    """How many remediations ended with each outcome, in total and per account, over a period; and
    the findings opened in it: resolved before the deadline, overdue, enforced, days to resolve."""

    def run() -> None:
        criteria = check_criteria(Criteria(account=account, period=parse_period(since, until)))
        options = ConnectionOptions(table, stack_name, profile, region, endpoint_url)
        aws = open_session(options, ask_sandbox=table is None or findings_table is None)
        connection = table_connection(aws, resolve_name(aws, table, stack_name, AUDIT_TABLE))
        findings_name = _findings_table(aws, table, findings_table, stack_name)
        counted = QueryStats()
        queries = plan_summary(criteria.account)
        items = _read(connection, queries, criteria.period, counted, projection=SUMMARY_PROJECTION)
        with aws_errors(f"querying {connection.table}", connection):
            counts = summarize(items, criteria.period)
        if findings_name is not None:
            counts.findings = _summarize_findings(
                aws, findings_name, criteria.period, criteria.account, counted
            )
        if output_format is OutputFormat.TABLE:
            print_summary(counts, _console())
        else:
            with utf8_stdout() as stream:
                if output_format is OutputFormat.JSON:
                    write_summary_json(counts, stream)
                else:
                    write_summary_csv(counts, stream, criteria.account)
        if stats:
            print_stats(counted)

    fail_cleanly(run)
