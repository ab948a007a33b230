"""The `keywarden` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from keywarden.scenario import ScenarioError, load_scenario


def _console() -> Console:
    """A terminal's own width; 100 columns when writing to a file or a CI log."""
    console = Console()
    return console if console.is_terminal else Console(width=100)


app = typer.Typer(
    help="keywarden: remediate IAM access keys that AWS Config flags as too old, and tell their owners.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def demo() -> None:
    """Run the two-user story on the local sandbox: alice's unused key, bob's key used today."""
    from keywarden.demo import DEMO_SCENARIO
    from keywarden.report_view import print_report
    from keywarden.simulation import run_scenario

    console = _console()
    console.print(
        "[bold]keywarden demo[/]: alice and bob each have an access key created 120 days ago.\n"
        "alice never used hers; bob used his today. AWS Config flags both users NON_COMPLIANT.\n"
        "Everything below runs in a local AWS sandbox (moto): no AWS account is touched.\n"
    )
    print_report(run_scenario(DEMO_SCENARIO), console)


@app.command()
def simulate(
    scenario_file: Annotated[Path, typer.Argument(help="A scenario JSON file (format in README.md).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")] = False,
) -> None:
    """Run any scenario on the local sandbox and print the outcome for each user."""
    from keywarden.report_view import print_report
    from keywarden.simulation import run_scenario

    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(code=2) from error
    report = run_scenario(scenario)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_report(report, _console())


if __name__ == "__main__":
    app()
