"""Calls run_cases.mjs (aws-local-stepfunctions in Node) and reads its report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pytest
from pydantic import BaseModel, ConfigDict

from keywarden.workflow_cases import ReportedRun

RUNNER: Final = Path(__file__).with_name("run_cases.mjs")
LIBRARY: Final = Path(__file__).parents[2] / "node_modules" / "aws-local-stepfunctions"
NODE_MAJOR: Final = 20
"""`make test` requires Node 20 or newer (README)."""
TIMEOUT_SECONDS: Final = 60.0
"""Every case together takes about a second; a case that loops for ever must not hang the suite."""

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
"""Where sfn_local_definition's placeholder ARNs live: the cases' executions live there too."""


class RunnerReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    interpreter: dict[str, str]
    adjustments: tuple[str, ...]
    """How the definition was adapted to the library (each change keeps the ASL's meaning)."""
    caveats: tuple[str, ...]
    """What the library cannot give as Step Functions does, where the definition relies on it."""
    cases: dict[str, ReportedRun]


def state_machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def node() -> str:
    """The `node` executable, or a test failure that says why (never a skip: make test needs it)."""
    found = shutil.which("node")
    if found is None:
        pytest.fail(f"no `node` on PATH: make test needs Node {NODE_MAJOR}+ for the second interpreter")
    version = subprocess.run(  # noqa: S603 - node from PATH, fixed arguments
        [found, "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    major = re.match(r"v(\d+)\.", version.stdout.strip())
    if major is None or int(major.group(1)) < NODE_MAJOR:
        pytest.fail(f"{found} is Node {version.stdout.strip()}: make test needs Node {NODE_MAJOR}+")
    if not LIBRARY.is_dir():
        pytest.fail(f"{LIBRARY} is missing: run `make node_modules/.package-lock.json` (npm ci)")
    return found


def run_cases(
    definition: str | Mapping[str, Any],
    mock_config: Mapping[str, Any],
    state_machine: str,
    cases: Sequence[tuple[str, Any]],
    role_arn: str | None = None,
) -> RunnerReport:
    """Run (case, input) pairs of `mock_config` in aws-local-stepfunctions; one Node process for all."""
    request = {
        "definition": definition,
        "mock_config": mock_config,
        "state_machine_name": state_machine,
        "state_machine_arn": state_machine_arn(state_machine),
        "role_arn": role_arn,
        "cases": [{"case": case, "input": workflow_input} for case, workflow_input in cases],
    }
    finished = subprocess.run(  # noqa: S603 - our own runner, the request on stdin
        [node(), str(RUNNER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if finished.returncode != 0:
        pytest.fail(f"{RUNNER.name} exited {finished.returncode}:\n{finished.stderr}")
    return RunnerReport.model_validate_json(finished.stdout)
