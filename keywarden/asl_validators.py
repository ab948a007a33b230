"""The static ASL validators of `make lint`, run on the workflows rendered with placeholder ARNs.

Four independent implementations: npm asl-validator, npm @wmfs/statelint and npm
amazon-states-language-service (the AWS Toolkit's), run by statemachine/validate_asl.mjs in one
Node process, and PyPI statelint. PyPI statelint takes an integer BackoffRate for an error, which
AWS accepts, so it runs with --ignore=FLOAT. None of them knows the aws-sdk action names or
AWS's rule on Choice rules that read missing paths (the second interpreter's tests cover that).

    python -m keywarden.asl_validators build/remediation.asl.json build/sweep.asl.json
        (renders the remediation workflow, then the daily sweep, then validates both)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.sweep import SWEEP_FUNCTIONS, SweepResources, sweep_substitutions
from keywarden.workflow_cases import load_expectations, sfn_local_definition
from statemachine import ASL_PATH, SWEEP, render_definition

NPM_SCRIPT: Final = ASL_PATH.with_name("validate_asl.mjs")
NPM_VALIDATORS: Final = ("asl-validator", "@wmfs/statelint", "amazon-states-language-service")
STATELINT: Final = "statelint (PyPI)"
VALIDATORS: Final = (*NPM_VALIDATORS, STATELINT)
TIMEOUT_SECONDS: Final = 300.0

Findings = dict[str, list[str]]
"""Validator -> what it reports about one file (empty: accepted)."""


class ValidatorError(RuntimeError):
    """A validator could not run (not installed, crashed): not a finding about the file."""


def findings(paths: Sequence[Path]) -> dict[Path, Findings]:
    """Every validator's findings about every file."""
    node = shutil.which("node")
    if node is None:
        raise ValidatorError("no `node` on PATH: the npm validators need Node 20+")
    npm = subprocess.run(  # noqa: S603 - our own script, file paths as arguments
        [node, str(NPM_SCRIPT), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if npm.returncode not in (0, 1):  # 1: findings; anything else: it did not run
        raise ValidatorError(f"{NPM_SCRIPT.name} exited {npm.returncode}: {npm.stderr.strip()}")
    reported: dict[str, Findings] = json.loads(npm.stdout)
    return {path: {**reported[str(path)], STATELINT: _statelint(path)} for path in paths}


def _statelint(path: Path) -> list[str]:
    run = subprocess.run(  # noqa: S603 - this interpreter's statelint, a file path
        [sys.executable, "-m", "statelint", "--ignore=FLOAT", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if run.returncode == 0:
        return []
    lines = [line.strip() for line in run.stdout.splitlines()]
    if run.returncode != 1 or not lines or not lines[0].endswith(("error:", "errors:")):
        raise ValidatorError(f"statelint exited {run.returncode}: {run.stderr.strip() or run.stdout.strip()}")
    return [line for line in lines[1:] if line]  # after the "N errors:" header


def render_workflow(path: Path) -> Path:
    """The ASL as the validators (and Step Functions Local) get it: every ARN a placeholder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sfn_local_definition(load_expectations().settings()), encoding="utf-8")
    return path


def render_sweep(path: Path, account_id: str = "123456789012") -> Path:
    """The daily sweep's ASL, every ARN and name a placeholder (the validators read no resource)."""
    region, names = "us-east-1", ResourceNames(DeploymentSettings().name_prefix)
    topic = f"arn:aws:sns:{region}:{account_id}:"
    resources = SweepResources(
        findings_table=f"{names.prefix}-findings",
        audit_table=names.audit_table,
        notification_state_table=names.notification_state_table,
        exemption_table=names.exemption_table,
        owners_topic_arn=topic + names.owners_topic,
        operators_topic_arn=topic + names.operators_topic,
        remediation_state_machine_arn=f"arn:aws:states:{region}:{account_id}:stateMachine:{names.state_machine}",
    )
    lambda_arn = f"arn:aws:lambda:{region}:{account_id}:function:"
    functions = {f.substitution: lambda_arn + names.function(f.handler) for f in SWEEP_FUNCTIONS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render_definition(sweep_substitutions(DeploymentSettings(), resources, functions), SWEEP),
        encoding="utf-8",
    )
    return path


def main(argv: Sequence[str]) -> int:
    remediation = render_workflow(Path(argv[0] if argv else "build/remediation.asl.json"))
    sweep = render_sweep(Path(argv[1] if len(argv) > 1 else "build/sweep.asl.json"))
    found = findings([remediation, sweep])
    for path in (remediation, sweep):
        for validator in VALIDATORS:
            print(f"{validator}: {'REFUSES' if found[path][validator] else 'accepts'} {path}")
            for finding in found[path][validator]:
                print(f"    {finding}")
    return 1 if any(any(by_validator.values()) for by_validator in found.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
