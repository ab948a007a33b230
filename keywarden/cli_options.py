"""Options shared by the commands that reach AWS (or a keywarden sandbox), and their error handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console

from keywarden.cli_errors import CommandError

StackOption = Annotated[
    str, typer.Option(envvar="KEYWARDEN_STACK_NAME", help="The CloudFormation stack that names the table.")
]
ProfileOption = Annotated[str | None, typer.Option(help="An AWS profile (default: the standard chain).")]
RegionOption = Annotated[str | None, typer.Option(help="The table's region.")]
EndpointOption = Annotated[
    str | None, typer.Option(help="Another endpoint, e.g. a keywarden sandbox: http://127.0.0.1:5000")
]


def fail_cleanly(action: Callable[[], None]) -> None:
    """Run a command; a CommandError becomes one line on stderr and its exit code, no traceback."""
    try:
        action()
    except CommandError as error:
        Console(stderr=True).print(f"[red]error:[/] {error.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=error.exit_code) from error
