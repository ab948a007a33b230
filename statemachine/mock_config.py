"""The workflow's test cases in AWS's Step Functions Local mock configuration format.

A MockConfigFile (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html)
maps, per state machine and test case, Task state names to a named mocked response; a mocked
response gives, per invocation number ("0", "1-2" ...), a `Return` (the service's answer) or a
`Throw` (`Error` and `Cause`). Step Functions Local runs a case when an execution is started on
"<state machine ARN>#<test case>".

This module reads such a file strictly and checks it against the ASL: both the sandbox and the
tests use it, so a mock config that drifts from the workflow is refused with its location.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MOCK_CONFIG_PATH: Final = Path(__file__).with_name("MockConfigFile.json")
"""keywarden's test cases; Step Functions Local's default file name."""


class MockConfigError(ValueError):
    """The mock configuration is malformed or disagrees with the workflow; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MockedThrow(_Strict):
    Error: str = Field(min_length=1)
    Cause: str


class MockedAnswer(_Strict):
    """One invocation's answer: exactly one of `Return` and `Throw`."""

    Return: Any = None
    Throw: MockedThrow | None = None

    @model_validator(mode="after")
    def _return_xor_throw(self) -> MockedAnswer:
        if ("Return" in self.model_fields_set) == ("Throw" in self.model_fields_set):
            raise ValueError("a mocked response has exactly one of Return and Throw")
        return self

    @property
    def is_throw(self) -> bool:
        return self.Throw is not None


class StateMachineCases(_Strict):
    TestCases: dict[str, dict[str, str]]
    """Test case name -> Task state name -> mocked response name."""


class MockConfig(_Strict):
    StateMachines: dict[str, StateMachineCases]
    MockedResponses: dict[str, dict[str, MockedAnswer]]
    """Mocked response name -> invocation number or range ("0", "1-2") -> answer."""

    def answers(self, response_name: str) -> list[MockedAnswer]:
        """The answers of a mocked response in invocation order (ranges expanded)."""
        if response_name not in self.MockedResponses:
            raise MockConfigError(f"MockedResponses has no {response_name!r}")
        return expand_invocations(response_name, self.MockedResponses[response_name])

    def test_case(self, state_machine: str, case: str) -> dict[str, str]:
        """Task state name -> mocked response name, for one test case of one state machine."""
        machine = self.StateMachines.get(state_machine)
        if machine is None:
            raise MockConfigError(f"StateMachines has no state machine named {state_machine!r}")
        states = machine.TestCases.get(case)
        if states is None:
            raise MockConfigError(f"state machine {state_machine!r} has no test case {case!r}")
        return states


def invocation_range(key: str) -> tuple[int, int]:
    """ "3" -> (3, 3); "1-2" -> (1, 2) (inclusive). Anything else is refused."""
    parts = key.split("-")
    if len(parts) not in (1, 2) or not all(part.isdigit() for part in parts):
        raise MockConfigError(f"invocation key {key!r} is neither a number nor a range such as '1-2'")
    first, last = int(parts[0]), int(parts[-1])
    if last < first:
        raise MockConfigError(f"invocation range {key!r} ends before it starts")
    return first, last


def expand_invocations(response_name: str, answers: Mapping[str, MockedAnswer]) -> list[MockedAnswer]:
    """One answer per invocation, numbered from 0 without gaps or overlaps."""
    if not answers:
        raise MockConfigError(f"mocked response {response_name!r} answers no invocation")
    expanded: list[MockedAnswer] = []
    for key, answer in sorted(answers.items(), key=lambda item: invocation_range(item[0])):
        first, last = invocation_range(key)
        if first != len(expanded):
            raise MockConfigError(
                f"mocked response {response_name!r}: invocation {key!r} should start at "
                f"{len(expanded)} (invocations are numbered from 0, without gaps or overlaps)"
            )
        expanded.extend([answer] * (last - first + 1))
    return expanded


def load_mock_config(path: Path = MOCK_CONFIG_PATH) -> MockConfig:
    """Read and validate a MockConfigFile; every mocked response's numbering is checked too."""
    try:
        config = MockConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValidationError, json.JSONDecodeError) as error:
        raise MockConfigError(f"{path.name}: {error}") from error
    for name in config.MockedResponses:
        config.answers(name)
    return config


# --- the workflow's states ----------------------------------------------------------------


def iter_states(definition: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of a definition, nested ones included (Map item processors, Parallel branches)."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", ())):
            if inner:
                yield from iter_states(inner)


def _successors(state: Mapping[str, Any]) -> Iterator[str]:
    yield from (state[key] for key in ("Next", "Default") if key in state)
    for choice in state.get("Choices", ()):
        yield choice["Next"]
    for catcher in state.get("Catch", ()):
        yield catcher["Next"]


def reachable_states(definition: Mapping[str, Any]) -> set[str]:
    """States an execution can enter: from StartAt, through Next/Choices/Default/Catch and into Maps."""
    seen: set[str] = set()
    pending = [(definition, definition["StartAt"])]
    while pending:
        machine, name = pending.pop()
        if name in seen or name not in machine["States"]:
            continue
        seen.add(name)
        state = machine["States"][name]
        pending.extend((machine, successor) for successor in _successors(state))
        for inner in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", ())):
            if inner:
                pending.append((inner, inner["StartAt"]))
    return seen


def _integration(resource: str) -> tuple[str, bool] | None:
    """(service, is_aws_sdk) of a service-integration resource; None for Lambda functions."""
    parts = resource.split(":")
    if resource.startswith("arn:aws:states:::aws-sdk:") and len(parts) >= 7:
        return parts[6], True
    if resource.startswith("arn:aws:states:::") and len(parts) >= 7 and parts[5] != "lambda":
        return parts[5], False
    return None


def _throw_problem(state_name: str, resource: str, error: str) -> str | None:
    """AWS names a service's errors `<Service>.<Exception>`; aws-sdk ones capitalised (Ssm., not ssm.)."""
    integration = _integration(resource)
    if integration is None or error.startswith("States."):
        return None
    service, is_aws_sdk = integration
    prefix = error.split(".", 1)[0]
    if "." not in error or prefix.lower() != service.lower() or (is_aws_sdk and prefix.islower()):
        return (
            f"state {state_name!r} ({resource}) throws {error!r}, a name AWS never gives: this "
            f"integration's errors are '<{service} capitalised as AWS does>.<Exception>' (Ssm., DynamoDB.)"
        )
    return None


def consistency_problems(config: MockConfig, definition: Mapping[str, Any]) -> list[str]:
    """Everything in the mock config that does not fit the workflow (empty when all is well)."""
    states = dict(iter_states(definition))
    reachable = reachable_states(definition)
    problems: list[str] = []
    used: set[str] = set()
    for machine_name, machine in config.StateMachines.items():
        for case_name, case in machine.TestCases.items():
            where = f"{machine_name}#{case_name}"
            for state_name, response_name in case.items():
                used.add(response_name)
                state = states.get(state_name)
                if state is None:
                    problems.append(f"{where}: the workflow has no state named {state_name!r}")
                    continue
                resource = str(state.get("Resource", ""))
                if state.get("Type") != "Task" or ":activity:" in resource:
                    problems.append(f"{where}: {state_name!r} is not a Task state; only Tasks can be mocked")
                if state_name not in reachable:
                    problems.append(f"{where}: no execution can reach {state_name!r}")
                if response_name not in config.MockedResponses:
                    problems.append(f"{where}: {state_name!r} uses unknown mocked response {response_name!r}")
                    continue
                for answer in config.MockedResponses[response_name].values():
                    if answer.Throw and (problem := _throw_problem(state_name, resource, answer.Throw.Error)):
                        problems.append(f"{where}: {problem}")
    problems.extend(
        f"mocked response {name!r} is used by no test case"
        for name in config.MockedResponses
        if name not in used
    )
    return problems
