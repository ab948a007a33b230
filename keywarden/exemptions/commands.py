"""The `keywarden exemptions` commands: add, list, remove (registered in keywarden/cli.py)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from boto3.dynamodb.types import TypeSerializer
from rich.console import Console
from rich.table import Table

from deployment.outputs import DEFAULT_STACK_NAME
from domain.exemptions import DEFAULT_MAX_EXEMPTION_DAYS, Exemption, exemption_to_item
from domain.tables import ExemptionTable
from keywarden.aws_connection import EXEMPTION_TABLE, ConnectionOptions, TableConnection, aws_errors, connect
from keywarden.cli_errors import CommandError
from keywarden.cli_options import EndpointOption, ProfileOption, RegionOption, StackOption, fail_cleanly
from keywarden.exemptions.store import ExemptionRefusedError, ExemptionRequest, approve, parse_expiry
from lambdas.exemption_store import load_exemptions

exemptions_app = typer.Typer(
    help="Protect IAM users from remediation for a while, with a reason (security administrators only).",
    no_args_is_help=True,
)

TableOption = Annotated[
    str | None,
    typer.Option(
        envvar=EXEMPTION_TABLE.environment_variable,
        help="The exemption table's name (default: the stack's ExemptionTableName output).",
    ),
]
MaxDaysOption = Annotated[
    int,
    typer.Option(
        envvar="KEYWARDEN_MAX_EXEMPTION_DAYS",
        min=1,
        help="The longest exemption allowed in days (as the stack's maxExemptionDays: longer never apply).",
    ),
]
_serializer = TypeSerializer()


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _connect(
    table: str | None, stack_name: str, profile: str | None, region: str | None, endpoint_url: str | None
) -> TableConnection:
    return connect(ConnectionOptions(table, stack_name, profile, region, endpoint_url), EXEMPTION_TABLE)


def _caller(connection: TableConnection) -> str:
    """Who adds the exemption, as AWS knows them (recorded with it)."""
    if connection.session is None:
        raise CommandError("no AWS session to identify who adds the exemption")
    sts = connection.session.client(
        "sts", region_name=connection.region, endpoint_url=connection.endpoint_url
    )
    with aws_errors("identifying you (sts:GetCallerIdentity)", connection):
        return str(sts.get_caller_identity()["Arn"])


def _all_exemptions(connection: TableConnection) -> list[Exemption]:
    with aws_errors(f"reading {connection.table}", connection):
        exemptions = load_exemptions(connection.table_resource())
    return sorted(exemptions, key=lambda e: e.user)


@contextlib.contextmanager
def _conditional_write(connection: TableConnection, refusal: CommandError) -> Iterator[None]:
    """Write to the table; when the write's condition fails, `refusal` says why instead of AWS."""
    try:
        with aws_errors(f"writing {connection.table}", connection):
            yield
    except CommandError as error:
        if "ConditionalCheckFailed" in error.message:
            raise refusal from error
        raise


def _status(exemption: Exemption, now: datetime, max_days: int) -> str:
    if exemption.longer_than(max_days):
        return f"IGNORED (granted for more than {max_days} days)"
    if exemption.expired(now):
        return "EXPIRED"
    return f"ACTIVE ({(exemption.expires_at - now).days} days left)"


@exemptions_app.command()
def add(
    user: Annotated[str, typer.Argument(help="An IAM user name or ARN; * and ? are wildcards (svc-acme-*).")],
    reason: Annotated[
        str, typer.Option(help="Why this user must not be remediated (recorded with it).")
    ] = "",
    expires: Annotated[
        str | None, typer.Option(help="When it ends: 30d, 2w, 12h from now, a date (2026-12-31) or a time.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an exemption of the same user.")
    ] = False,
    max_days: MaxDaysOption = DEFAULT_MAX_EXEMPTION_DAYS,
    table: TableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Exempt a user (or a pattern of users) from remediation, with a reason and an expiry."""

    def run() -> None:
        now = datetime.now(UTC)
        expires_at = parse_expiry(expires, now) if expires else None
        request = ExemptionRequest(user=user, reason=reason, expires_at=expires_at)
        approve(request, "-", now, max_days)  # refuse before reaching AWS
        connection = _connect(table, stack_name, profile, region, endpoint_url)
        exemption = approve(request, _caller(connection), now, max_days)
        item = {k: _serializer.serialize(v) for k, v in exemption_to_item(exemption).items()}
        only_new: dict[str, Any] = {
            "ConditionExpression": "attribute_not_exists(#user)",
            "ExpressionAttributeNames": {"#user": ExemptionTable.PARTITION_KEY},
        }
        taken = ExemptionRefusedError(
            f"{exemption.user!r} already has an exemption: `keywarden exemptions list` shows it; "
            "pass --replace to replace it"
        )
        with _conditional_write(connection, taken):
            connection.client.put_item(TableName=connection.table, Item=item, **({} if replace else only_new))
        Console().print(
            f"exempted {exemption.user!r} until {exemption.expires_at:%Y-%m-%d %H:%M} UTC: "
            f"{exemption.reason} "
            f"(added by {exemption.added_by})",
            highlight=False,
            soft_wrap=True,
        )

    fail_cleanly(run)


@exemptions_app.command("list")
def list_exemptions(
    output: Annotated[
        ListFormat, typer.Option("--format", help="table for people, json.")
    ] = ListFormat.TABLE,
    max_days: MaxDaysOption = DEFAULT_MAX_EXEMPTION_DAYS,
    table: TableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Every exemption, with its status: active, expired, or ignored (granted for too long)."""

    def run() -> None:
        now = datetime.now(UTC)
        exemptions = _all_exemptions(_connect(table, stack_name, profile, region, endpoint_url))
        if output is ListFormat.JSON:
            typer.echo(
                json.dumps(
                    [
                        {**e.model_dump(mode="json"), "status": _status(e, now, max_days).split(" ")[0]}
                        for e in exemptions
                    ],
                    indent=2,
                )
            )
            return
        rows = Table("user", "reason", "expires (UTC)", "status", "added by", title="keywarden exemptions")
        for e in exemptions:
            rows.add_row(
                e.user, e.reason, f"{e.expires_at:%Y-%m-%d %H:%M}", _status(e, now, max_days), e.added_by
            )
        Console().print(rows if exemptions else "no exemptions")

    fail_cleanly(run)


@exemptions_app.command()
def remove(
    user: Annotated[str, typer.Argument(help="The user name or pattern, exactly as listed.")],
    table: TableOption = None,
    stack_name: StackOption = DEFAULT_STACK_NAME,
    profile: ProfileOption = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """End an exemption now: the user's next NON_COMPLIANT event is remediated."""

    def run() -> None:
        connection = _connect(table, stack_name, profile, region, endpoint_url)
        key = {ExemptionTable.PARTITION_KEY: {"S": user}}
        absent = CommandError(f"no exemption for {user!r}: `keywarden exemptions list` shows the exact names")
        with _conditional_write(connection, absent):
            connection.client.delete_item(
                TableName=connection.table,
                Key=key,
                ConditionExpression="attribute_exists(#user)",
                ExpressionAttributeNames={"#user": ExemptionTable.PARTITION_KEY},
            )
        Console().print(f"removed the exemption of {user!r}", highlight=False)

    fail_cleanly(run)
