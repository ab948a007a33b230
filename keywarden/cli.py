"""The `keywarden` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from keywarden.audit.commands import audit_app
from keywarden.exemptions.commands import exemptions_app
from keywarden.findings.commands import findings_app
from keywarden.findings.workflow_commands import remediate, sweep
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
app.add_typer(audit_app, name="audit")
app.add_typer(exemptions_app, name="exemptions")
app.add_typer(findings_app, name="findings")
app.command()(remediate)
app.command()(sweep)

SandboxEndpointOption = Annotated[
    str | None,
    typer.Option(help="Run in a sandbox started with `keywarden sandbox` (e.g. http://127.0.0.1:5000)."),
]
"""Where demo and simulate run the scenario: a keywarden sandbox only, unlike the AWS endpoint
that `audit` and `exemptions` take (keywarden/cli_options.py EndpointOption)."""


def _remote_report(endpoint_url: str, scenario: Any) -> Any:
    """Run the scenario in the sandbox at `endpoint_url`; a short error if that fails."""
    from keywarden.sandbox_client import SandboxError, run_scenario_remotely
    from keywarden.simulation import SimulationReport

    try:
        answer = run_scenario_remotely(endpoint_url, scenario.model_dump(mode="json"))
    except SandboxError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(code=1) from error
    return SimulationReport.model_validate(answer)


@app.command()
def demo(endpoint_url: SandboxEndpointOption = None) -> None:
    """Run the two-user story on the local sandbox: alice's unused key, bob's key used today."""
    from keywarden.demo import DEMO_SCENARIO
    from keywarden.report_view import print_report
    from keywarden.simulation import run_scenario

    console = _console()
    console.print(
        "[bold]keywarden demo[/]: alice and bob each have an access key created 120 days ago.\n"
        "alice never used hers; bob used his today. AWS Config flags both users NON_COMPLIANT.\n"
        "Then nine days pass, one daily sweep each: bob is reminded, rotates his key, the finding closes.\n"
        "Everything below runs in a local AWS sandbox (moto): no AWS account is touched.\n"
    )
    report = _remote_report(endpoint_url, DEMO_SCENARIO) if endpoint_url else run_scenario(DEMO_SCENARIO)
    print_report(report, console)


@app.command()
def simulate(
    scenario_file: Annotated[Path, typer.Argument(help="A scenario JSON file (format in README.md).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")] = False,
    endpoint_url: SandboxEndpointOption = None,
) -> None:
    """Run any scenario on the local sandbox and print the outcome for each user."""
    from keywarden.report_view import print_report
    from keywarden.simulation import run_scenario

    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}", highlight=False)
        raise typer.Exit(code=2) from error
    report = _remote_report(endpoint_url, scenario) if endpoint_url else run_scenario(scenario)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        print_report(report, _console())


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 5000,
    verbose: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the local AWS sandbox, with keywarden deployed, on 127.0.0.1 until stopped (Ctrl-C)."""
    from keywarden.sandbox.servers.server import PortUnavailableError, serve_until_stopped

    try:
        serve_until_stopped(port, verbose)
    except PortUnavailableError as error:
        Console(stderr=True).print(
            f"[red]error:[/] {error} (choose another --port; 0 picks a free one)", highlight=False
        )
        raise typer.Exit(code=1) from error


if __name__ == "__main__":
    app()
