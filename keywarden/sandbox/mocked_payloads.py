"""Re-derive the mocked Lambda answers of the workflow's test cases from the real functions.

Every test case of statemachine/MockConfigFile.json mocks every Task, the Lambda functions
included, so that it runs in Step Functions Local without AWS. A mocked Lambda answer is only
worth testing against if it is what the real function answers to the input the workflow builds.
This tool runs every case in the sandbox, reads each Lambda input from the execution history,
gives it to the real function (deployed in the sandbox, run in process) in the case's world, and
compares its answer with the mocked one, or writes it in:

    python -m keywarden.sandbox.mocked_payloads           # rewrite the mocked Lambda payloads
    python -m keywarden.sandbox.mocked_payloads --check   # only say what differs (exit status 1)

The case's world:
- IAM holds the user a mocked SnapshotUser answer describes: the real function takes that
  snapshot again (same ids, tags, dates), so a snapshot answer is a fixture in the function's words;
- the exemption table holds the case's `exemptions`, and the functions have its `deployment`
  settings (statemachine/mock-expectations.json);
- the clock: `$$.State.EnteredTime` differs in every run, so a Lambda input field read from it is
  set to the case's clock, the `taken_at` of the snapshot answer being produced, else of the
  latest one before it (else the event's time). DecideAction decides, Evaluate judges, at the
  moment IAM was last read.
A later answer depends on earlier ones (Evaluate gets the snapshots), so the cases are run again
until no answer changes. Only `Return` answers of Lambda Tasks change; a `Throw` stays as written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
from pydantic import ValidationError

from domain.credentials import SnapshotResult
from domain.exemptions import exemption_to_item
from domain.tables import ExemptionTable
from keywarden.sandbox import Sandbox
from keywarden.sandbox.iam_users import delete_user, recreate_user
from keywarden.sandbox.mocked_cases import MockedCases
from keywarden.workflow_cases import (
    EXPECTATIONS_PATH,
    CaseExpectations,
    CaseRun,
    load_expectations,
    run_cases,
)
from statemachine import FUNCTION_HANDLERS, definition_text
from statemachine.mock_config import MOCK_CONFIG_PATH, MockConfig, invocation_range, iter_states

SNAPSHOT_FUNCTION: Final = "SnapshotUserFunctionArn"
"""Its answers describe IAM: they are the world the real function reads them from again."""
MAX_PASSES: Final = 6
_ENTERED_TIME: Final = "$$.State.EnteredTime"


class PayloadDerivationError(RuntimeError):
    """A mocked Lambda answer cannot be derived; the message says which case and state, and why."""


@dataclass(frozen=True)
class LambdaState:
    function: str
    """The ASL substitution naming the function (SnapshotUserFunctionArn ...)."""
    clock_fields: tuple[str, ...]
    """Input fields the workflow fills with `$$.State.EnteredTime`."""


def lambda_states(definition: Mapping[str, Any]) -> dict[str, LambdaState]:
    """Every Lambda Task state of the (unrendered) ASL, nested ones included."""
    functions = {f"${{{name}}}": name for name in FUNCTION_HANDLERS}
    found = {}
    for name, state in iter_states(definition):
        function = functions.get(str(state.get("Resource", "")))
        if state.get("Type") == "Task" and function:
            parameters = state.get("Parameters", {})
            clock = tuple(k[:-2] for k, v in parameters.items() if k.endswith(".$") and v == _ENTERED_TIME)
            found[name] = LambdaState(function, clock)
    return found


@dataclass(frozen=True)
class DerivedPayload:
    case: str
    state: str
    response: str
    invocation: int
    payload: Any


@dataclass(frozen=True)
class Derivation:
    payloads: list[DerivedPayload]
    failures: list[str]
    """Invocations the real function failed on (an earlier answer being stale can be the reason)."""


class _RealFunctions:
    """The sandbox's deployed functions, invoked in a case's world."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.lambdas = sandbox.client("lambda")
        self.exemptions = boto3.resource("dynamodb", region_name=sandbox.region).Table(
            sandbox.stack.exemption_table_name
        )

    def enter_case(self, expectations: CaseExpectations, case: str) -> None:
        stack = self.sandbox.stack
        environments = expectations.settings_for(case).function_environments(stack.exemption_table_name)
        for function, arn in stack.function_arns.items():
            self.lambdas.update_function_configuration(
                FunctionName=arn, Environment={"Variables": environments[function]}
            )
        key = ExemptionTable.PARTITION_KEY
        for item in self.exemptions.scan(ConsistentRead=True)["Items"]:
            self.exemptions.delete_item(Key={key: item[key]})
        for exemption in expectations.cases[case].exemptions:
            self.exemptions.put_item(Item=exemption_to_item(exemption))

    def invoke(self, function: str, given: Any, mocked: Any) -> Any:
        user = None
        if function == SNAPSHOT_FUNCTION:
            try:
                user = SnapshotResult.model_validate(mocked).user
            except ValidationError as error:
                raise PayloadDerivationError(
                    "a mocked SnapshotUser answer is the IAM fixture the real function reads again: "
                    f"write its found, taken_at and user yourself ({error.error_count()} problems)"
                ) from error
        if user is not None:
            recreate_user(user, self.sandbox.account_id, self.sandbox.region)
        try:
            answer = self.lambdas.invoke(
                FunctionName=self.sandbox.stack.function_arns[function], Payload=json.dumps(given)
            )
        finally:
            if user is not None:
                delete_user(user.user_name, self.sandbox.region)
        payload = json.loads(answer["Payload"].read())
        if "FunctionError" in answer:
            raise PayloadDerivationError(
                f"the real function failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
            )
        return payload


def _mocked_payload(config: MockConfig, response: str, invocation: int) -> tuple[bool, Any]:
    """(is a Return answer, its Payload) for one invocation of a mocked response."""
    answers = config.answers(response)
    if invocation >= len(answers) or answers[invocation].is_throw:
        return False, None
    returned = answers[invocation].Return
    return True, returned.get("Payload") if isinstance(returned, dict) else None


def derive_payloads(
    sandbox: Sandbox, config: MockConfig, expectations: CaseExpectations, runs: Mapping[str, CaseRun]
) -> Derivation:
    """The real function's answer to every mocked Lambda invocation of the runs (Return answers only)."""
    states = lambda_states(json.loads(definition_text()))
    functions = _RealFunctions(sandbox)
    derived, failures = [], []
    for case, run in runs.items():
        functions.enter_case(expectations, case)
        mocked = config.test_case(expectations.state_machine, case)
        clock = expectations.input_for(case).get("time")
        invocations: Counter[str] = Counter()
        for state_name, given in run.lambda_inputs:
            number = invocations[state_name]
            invocations[state_name] += 1
            state = states.get(state_name)
            if state is None:
                continue  # a Lambda the ASL calls through an integration, not a function of ours
            response = mocked.get(state_name)
            if response is None:
                raise PayloadDerivationError(
                    f"{case} reaches the Lambda state {state_name} without mocking it: add "
                    f'"{state_name}": "<a response name>" to the case, and that response to MockedResponses '
                    'as {"0": {"Return": {"StatusCode": 200, "Payload": {}}}}; this tool fills in the payload'
                )
            is_return, payload = _mocked_payload(config, response, number)
            if not is_return:
                continue  # a mocked Throw (or an invocation past the last answer: the run says so)
            own_time = payload.get("taken_at") if isinstance(payload, dict) else None
            clock = own_time or clock
            given = {**given, **dict.fromkeys(state.clock_fields, clock)}
            try:
                real = functions.invoke(state.function, given, payload)
            except PayloadDerivationError as error:
                failures.append(f"{case}, state {state_name}: {error}\ninput: {json.dumps(given)}")
                continue
            derived.append(DerivedPayload(case, state_name, response, number, real))
    return Derivation(derived, failures)


def _by_invocation(derived: list[DerivedPayload]) -> dict[str, dict[int, Any]]:
    """Mocked response -> invocation -> payload; refuses a response that cases derive differently."""
    payloads: dict[str, dict[int, Any]] = {}
    first: dict[tuple[str, int], DerivedPayload] = {}
    for item in derived:
        earlier = first.setdefault((item.response, item.invocation), item)
        if earlier.payload != item.payload:
            raise PayloadDerivationError(
                f"mocked response {item.response!r} (invocation {item.invocation}) is shared by "
                f"{earlier.case} and {item.case}, whose real {item.state} answers differ: give each "
                "case its own response"
            )
        payloads.setdefault(item.response, {})[item.invocation] = item.payload
    return payloads


def apply_payloads(raw: dict[str, Any], derived: list[DerivedPayload]) -> tuple[dict[str, Any], list[str]]:
    """A copy of the raw mock config with the derived payloads in it, and the responses that changed."""
    updated = json.loads(json.dumps(raw))
    changed = []
    for response, payloads in _by_invocation(derived).items():
        for key, answer in updated["MockedResponses"][response].items():
            first, last = invocation_range(key)
            answered = [payloads[n] for n in range(first, last + 1) if n in payloads]
            distinct = {json.dumps(p, sort_keys=True): p for p in answered}
            if len(distinct) > 1:
                raise PayloadDerivationError(
                    f"mocked response {response!r}: the invocations {key} answer differently; split the range"
                )
            if not distinct or "Return" not in answer:
                continue
            [payload] = distinct.values()
            if answer["Return"].get("Payload") != payload:
                answer["Return"] = {**answer["Return"], "StatusCode": 200, "Payload": payload}
                changed.append(response)
    return updated, sorted(set(changed))


@dataclass(frozen=True)
class _Pass:
    updated: dict[str, Any]
    changed: list[str]
    failures: list[str]


def _derive_once(raw: dict[str, Any], expectations: CaseExpectations) -> _Pass:
    config = MockConfig.model_validate(raw)
    for name in config.MockedResponses:
        config.answers(name)  # numbering checked, as load_mock_config does
    with Sandbox(expectations.settings(), mocked_cases=MockedCases(config)) as sandbox:
        sfn = sandbox.client("stepfunctions")
        runs = run_cases(sfn, sandbox.stack.state_machine_arn, expectations)
        derivation = derive_payloads(sandbox, config, expectations, runs)
    updated, changed = apply_payloads(raw, derivation.payloads)
    return _Pass(updated, changed, derivation.failures)


@dataclass(frozen=True)
class CheckResult:
    stale: dict[str, Any]
    """Mocked response -> what it should be, for every response whose payload is not the real one."""
    failures: list[str]
    """Invocations whose real answer could not be derived."""


def check(raw: dict[str, Any], expectations: CaseExpectations) -> CheckResult:
    """Compare every mocked Lambda payload with the real function's answer (one run of the cases)."""
    derived = _derive_once(raw, expectations)
    stale = {name: derived.updated["MockedResponses"][name] for name in derived.changed}
    return CheckResult(stale, derived.failures)


def regenerate(raw: dict[str, Any], expectations: CaseExpectations) -> tuple[dict[str, Any], list[str]]:
    """The mock config with every mocked Lambda payload re-derived, and the responses that changed."""
    all_changed: set[str] = set()
    for _ in range(MAX_PASSES):
        derived = _derive_once(raw, expectations)
        raw = derived.updated
        all_changed.update(derived.changed)
        if not derived.changed:
            if derived.failures:
                raise PayloadDerivationError("\n".join(derived.failures))
            return raw, sorted(all_changed)
    raise PayloadDerivationError(f"the payloads still change after {MAX_PASSES} runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keywarden.sandbox.mocked_payloads", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a payload differs")
    parser.add_argument("--mock-config", type=Path, default=MOCK_CONFIG_PATH)
    parser.add_argument("--expectations", type=Path, default=EXPECTATIONS_PATH)
    options = parser.parse_args(argv)
    raw = json.loads(options.mock_config.read_text(encoding="utf-8"))
    expectations = load_expectations(options.expectations)
    try:
        if options.check:
            result = check(raw, expectations)
            for name, answers in result.stale.items():
                print(f"{name} differs from the real function's answer; it should be:")
                print(json.dumps(answers, indent=2))
            for failure in result.failures:
                print(f"cannot derive: {failure}")
            problems = len(result.stale) + len(result.failures)
            print(
                f"{problems} mocked Lambda responses differ" if problems else "all mocked payloads are real"
            )
            return 1 if problems else 0
        updated, changed = regenerate(raw, expectations)
    except PayloadDerivationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if changed:
        options.mock_config.write_text(json.dumps(updated, indent=2) + "\n", encoding="utf-8")
    news = f"re-derived {', '.join(changed)}" if changed else "already up to date"
    print(f"{options.mock_config}: {news}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
