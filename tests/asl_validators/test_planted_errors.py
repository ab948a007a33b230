"""The static validators of `make lint` accept the workflow and refuse errors planted in it.

A validator that accepted everything would pass `make lint` for ever: each one must refuse the
planted errors it is known to catch, and say where. Which validator catches what (measured with
the pinned versions) is recorded in PLANTED; a planted error nobody catches is not listed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from keywarden.asl_validators import VALIDATORS, Findings, findings, render_workflow

ASL_VALIDATOR, WMFS_STATELINT, TOOLKIT, STATELINT = VALIDATORS
Definition = dict[str, Any]


@dataclass(frozen=True)
class Planted:
    plant: Callable[[Definition], None]
    state: str
    """The state the error is planted in: a finding names it, or the marker."""
    marker: str
    """Text of the planted line only (the Toolkit's findings give a line, not a state)."""
    caught_by: frozenset[str]


def _misspelled_intrinsic(d: Definition) -> None:
    d["States"]["CountPoll"]["Parameters"]["number.$"] = "States.MathAd($.automation.poll.number, 1)"


def _bad_jitter_strategy(d: Definition) -> None:
    d["States"]["StartAutomation"]["Retry"][0]["JitterStrategy"] = "PARTIAL"


def _next_to_a_missing_state(d: Definition) -> None:
    d["States"]["Prepare"]["Next"] = "IsRemediationAllowd"


def _states_all_with_other_errors(d: Definition) -> None:
    d["States"]["AlertOperators"]["Retry"][0]["ErrorEquals"] = ["States.ALL", "SNS.ThrottledException"]


def _broken_json_path(d: Definition) -> None:
    parameters = d["States"]["GetAutomationStatus"]["Parameters"]
    parameters["AutomationExecutionId.$"] = "$.automation..[execution_id"


def _backoff_rate_below_one(d: Definition) -> None:
    d["States"]["StartAutomation"]["Retry"][0]["BackoffRate"] = 0.5


ALL: Final = frozenset(VALIDATORS)
PLANTED: Final = {
    "misspelled intrinsic": Planted(_misspelled_intrinsic, "CountPoll", "States.MathAd(", ALL),
    "bad JitterStrategy": Planted(
        _bad_jitter_strategy, "StartAutomation", '"PARTIAL"', ALL - {ASL_VALIDATOR}
    ),
    "Next to a missing state": Planted(_next_to_a_missing_state, "Prepare", "IsRemediationAllowd", ALL),
    "States.ALL with other errors": Planted(
        _states_all_with_other_errors, "AlertOperators", '"States.ALL",', frozenset({WMFS_STATELINT})
    ),
    "broken JSONPath": Planted(_broken_json_path, "GetAutomationStatus", "..[execution_id", ALL - {TOOLKIT}),
    "BackoffRate below 1": Planted(
        _backoff_rate_below_one, "StartAutomation", '"BackoffRate": 0.5', ALL - {ASL_VALIDATOR}
    ),
}


@dataclass(frozen=True)
class Checked:
    workflow: Findings
    planted: dict[str, tuple[Path, Findings]]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """The rendered workflow and one copy per planted error, each validator run on all of them."""
    folder = tmp_path_factory.mktemp("asl")
    workflow = render_workflow(folder / "workflow.asl.json")
    files = {}
    for name, planted in PLANTED.items():
        definition = json.loads(workflow.read_text(encoding="utf-8"))
        changed = copy.deepcopy(definition)
        planted.plant(changed)
        assert changed != definition
        files[name] = folder / (name.replace(" ", "-") + ".asl.json")
        files[name].write_text(json.dumps(changed, indent=2), encoding="utf-8")
    found = findings([workflow, *files.values()])
    return Checked(found[workflow], {name: (path, found[path]) for name, path in files.items()})


@pytest.mark.parametrize("validator", VALIDATORS)
def test_each_validator_accepts_the_workflow(checked: Checked, validator: str) -> None:
    """Given the workflow rendered with placeholder ARNs, When each validator checks it, Then none objects."""
    assert checked.workflow[validator] == []


CATCHES: Final = [
    pytest.param(name, validator, id=f"{validator}: {name}")
    for name, planted in PLANTED.items()
    for validator in VALIDATORS
    if validator in planted.caught_by
]


@pytest.mark.parametrize(("planted", "validator"), CATCHES)
def test_each_validator_refuses_the_errors_it_catches(checked: Checked, planted: str, validator: str) -> None:
    """Given the workflow with one planted error, When a validator that catches it checks the file,
    Then it refuses the file and points at the planted error (its state, value, or line)."""
    path, found = checked.planted[planted]
    expected = PLANTED[planted]
    assert found[validator] != []
    if validator == TOOLKIT:
        lines = path.read_text(encoding="utf-8").splitlines()
        planted_line = next(n for n, line in enumerate(lines, start=1) if expected.marker in line)
        assert any(finding.startswith(f"line {planted_line}:") for finding in found[validator])
    else:
        assert any(expected.state in f or expected.marker in f for f in found[validator])
