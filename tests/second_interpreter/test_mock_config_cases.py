"""Every test case of statemachine/MockConfigFile.json, run in a second, independent ASL interpreter.

aws-local-stepfunctions (npm, pinned in package.json) runs the rendered workflow in Node, every
Task state answering from the mock config (run_cases.mjs). Unlike moto it fails a Choice rule or
a path that reads a value that does not exist, as AWS does. Each case's end is compared with
statemachine/mock-expectations.json by the very `mismatches` the sandbox run uses.
"""

from __future__ import annotations

import json
from typing import Final

import pytest

from keywarden.workflow_cases import answers_per_state, load_expectations, mismatches, sfn_local_definition
from statemachine.mock_config import MOCK_CONFIG_PATH, load_mock_config
from tests.second_interpreter.runner import ACCOUNT, RunnerReport, run_cases

EXPECTATIONS: Final = load_expectations()
CONFIG: Final = load_mock_config()
MACHINE: Final = EXPECTATIONS.state_machine

# The one place to edit when the workflow is fixed. Issue 10: today's failure branch tests values
# the failed step never wrote (IsString on a path that does not exist); AWS fails the execution
# with States.Runtime there, uncatchable, so no FAILED record and no alert. This interpreter does
# the same. Case -> the missing path. Strict: a listed case that passes fails the suite.
FAILS_ON_A_MISSING_PATH: Final[dict[str, str]] = {}
"""Cases expected to end on a missing path (none since the lean workflow guards every optional path)."""


class MissingPathError(AssertionError):
    """The case ended in States.Runtime on the very missing path listed for it."""


def _case(case: str) -> object:
    missing = FAILS_ON_A_MISSING_PATH.get(case)
    if missing is None:
        return pytest.param(case, id=case)
    reason = f"issue 10: the failure branch reads a missing path ({missing}); fixed by the new workflow"
    # raises=: failing for any other reason is a real failure, not this expected one.
    return pytest.param(
        case, id=case, marks=pytest.mark.xfail(strict=True, raises=MissingPathError, reason=reason)
    )


@pytest.fixture(scope="module")
def report() -> RunnerReport:
    """Every case, run once, in one Node process."""
    return run_cases(
        sfn_local_definition(EXPECTATIONS.settings(), account_id=ACCOUNT),
        json.loads(MOCK_CONFIG_PATH.read_text(encoding="utf-8")),
        MACHINE,
        [(case, EXPECTATIONS.input_for(case)) for case in EXPECTATIONS.cases],
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/keywarden-workflow",
    )


def test_the_second_interpreter_is_the_pinned_one(report: RunnerReport) -> None:
    """Given package.json's pin, When the runner reports, Then it ran aws-local-stepfunctions 3.0.0."""
    assert report.interpreter["name"] == "aws-local-stepfunctions"
    assert report.interpreter["version"] == "3.0.0"


def test_every_case_was_run(report: RunnerReport) -> None:
    """Given the expectations, When the runner reports, Then it ran exactly their cases."""
    assert sorted(report.cases) == sorted(EXPECTATIONS.cases)


@pytest.mark.parametrize("case", [_case(case) for case in sorted(EXPECTATIONS.cases)])
def test_each_case_ends_as_expected_in_the_second_interpreter(report: RunnerReport, case: str) -> None:
    """Given a case's mocked answers,
    When aws-local-stepfunctions runs the workflow with them,
    Then the execution ends as mock-expectations.json says (status, final state, error, output,
    visits, invocations), each mocked answer used and no Task unmocked."""
    reported = report.cases[case]
    assert reported.problems == ()
    run = reported.case_run(case)
    assert run.execution_arn == f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{MACHINE}:{case}"
    found = mismatches(run, EXPECTATIONS.cases[case].expect, answers_per_state(CONFIG, MACHINE, case))
    missing = FAILS_ON_A_MISSING_PATH.get(case)
    on_the_missing_path = ("States.Runtime", f"Path expression '{missing}' does not point to a value")
    if found and missing and (run.error, run.cause) == on_the_missing_path:
        raise MissingPathError(f"{case}: {run.cause} (after {run.path})")
    assert found == [], f"cause {run.cause!r}; path {run.path}; {report.caveats}"
