"""Re-derive the mocked Lambda answers of the workflow's test cases from the real functions.

Every test case of statemachine/MockConfigFile.json mocks every Task, the Lambda functions
included, so that it runs in Step Functions Local and in aws-local-stepfunctions without AWS.
A mocked Lambda answer is only worth testing against if it is what the real function answers to
the input the workflow builds. This tool runs every case in the sandbox (each from the event's
instant, so that every `$$.State.EnteredTime` is the same in every run), reads each Lambda
input from the execution history, gives it to the real function in the case's world, and
compares its answer with the mocked one, or writes it in:

    python -m keywarden.sandbox.devtools.mocked_payloads           # rewrite the mocked Lambda payloads
    python -m keywarden.sandbox.devtools.mocked_payloads --check   # only say what differs (exit status 1)

The case's world (statemachine/mock-expectations.json, `world`, `exemptions`, `deployment`):
- IAM holds the user the mocked Prepare answer's `before` snapshot describes (same ids, tags,
  dates) when Prepare runs, and the same user with the key statuses (and password) the mocked
  Conclude answer states after the runbook when Conclude runs: a mocked answer is a fixture in
  the function's own words, and the tool fills in the rest;
- AWS Config's inventory: the user discovered, not yet, not recorded in the region, or deleted;
- the owner's notice: news, already sent within the window (an earlier execution told the
  owner), or refused by the owners' topic; the message id SNS gives is replaced by a fixed one.
A later answer depends on earlier ones (Conclude gets Prepare's), so the cases are run again
until no answer changes. Only `Return` answers of Lambda Tasks change; a `Throw` stays as written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import boto3
from pydantic import ValidationError

from deployment.workflow import (
    CONCLUDE,
    PREPARE,
    WORKFLOW_FUNCTIONS,
    function_environments,
)
from domain.credentials import KeyStatus, SnapshotResult, UserSnapshot
from domain.exemptions import exemption_to_item
from domain.results import PasswordResult
from domain.tables import CoordinationTable, ExemptionTable, NotificationStateTable
from keywarden.sandbox import Sandbox
from keywarden.sandbox.devtools.mocked_cases import MockedCases
from keywarden.sandbox.fixtures.iam_users import delete_user, recreate_user
from keywarden.workflow_cases import (
    EXPECTATIONS_PATH,
    CaseExpectations,
    CaseRun,
    load_expectations,
    run_cases,
)
from statemachine import definition_text
from statemachine.mock_config import MOCK_CONFIG_PATH, MockConfig, invocation_range, iter_states

MAX_PASSES: Final = 6
FIXED_MESSAGE_ID: Final = "5f1d5a3e-8f6b-5c1e-9a7d-3b2c1d0e9f8a"
"""Stands for the id SNS gives a published notice, which differs in every run."""
MISSING_TOPIC: Final = "arn:aws:sns:us-east-1:123456789012:keywarden-owners-missing"
DELETED_USER_NAME: Final = "deleted-user"


class PayloadDerivationError(RuntimeError):
    """A mocked Lambda answer cannot be derived; the message says which case and state, and why."""


def lambda_states(definition: Mapping[str, Any]) -> dict[str, str]:
    """Lambda Task state -> the substitution naming its function, for every Lambda state of the ASL."""
    functions = {f"${{{f.substitution}}}": f.substitution for f in WORKFLOW_FUNCTIONS}
    return {
        name: functions[str(state.get("Resource"))]
        for name, state in iter_states(definition)
        if state.get("Type") == "Task" and str(state.get("Resource")) in functions
    }


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


def _user_before(answer: Any) -> UserSnapshot | None:
    """The IAM fixture in a mocked Prepare answer: its `before` snapshot's user."""
    before = answer.get("before") if isinstance(answer, dict) else None
    if before is None:
        return None
    try:
        return SnapshotResult.model_validate(before).user
    except ValidationError as error:
        raise PayloadDerivationError(
            "a mocked Prepare answer's `before` is the IAM fixture the real function reads again: write "
            f"its found, taken_at and user yourself ({error.error_count()} problems)"
        ) from error


def _user_after(before: UserSnapshot, answer: Any) -> UserSnapshot:
    """`before` as the mocked Conclude answer says the runbook left it (key statuses, password)."""
    stated = answer.get("keys", []) if isinstance(answer, dict) else []
    statuses = [k.get("status_after") for k in stated]
    keys = []
    for index, key in enumerate(before.access_keys):
        by_id = next(
            (k.get("status_after") for k in stated if k.get("access_key_id") == key.access_key_id), None
        )
        status = by_id or (statuses[index] if index < len(statuses) else None)
        if status is None:  # the key is gone after the runbook
            continue
        keys.append(key.model_copy(update={"status": KeyStatus(status)}))
    deleted = isinstance(answer, dict) and answer.get("password") == PasswordResult.DELETED.value
    return before.model_copy(
        update={"access_keys": tuple(keys), "login_profile": None if deleted else before.login_profile}
    )


class _RealFunctions:
    """The sandbox's deployed functions, invoked in a case's world."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.lambdas = sandbox.client("lambda")
        dynamodb = boto3.resource("dynamodb", region_name=sandbox.region)
        self.exemptions = dynamodb.Table(sandbox.stack.exemption_table_name)
        self.notification_state = dynamodb.Table(sandbox.stack.notification_state_table_name)
        self.coordination = dynamodb.Table(sandbox.stack.coordination_table_name)
        self.environments: dict[str, dict[str, str]] = {}

    def enter_case(self, expectations: CaseExpectations, case: str) -> None:
        stack = self.sandbox.stack
        self.environments = function_environments(expectations.settings_for(case), stack.workflow_resources)
        if expectations.cases[case].world.notification == "publish_fails":
            self.environments[CONCLUDE.substitution]["OWNERS_TOPIC_ARN"] = MISSING_TOPIC
        for substitution, arn in stack.function_arns.items():
            self.lambdas.update_function_configuration(
                FunctionName=arn, Environment={"Variables": self.environments[substitution]}
            )
        _empty(self.exemptions, ExemptionTable.PARTITION_KEY)
        _empty(self.notification_state, NotificationStateTable.PARTITION_KEY, NotificationStateTable.SORT_KEY)
        for exemption in expectations.cases[case].exemptions:
            self.exemptions.put_item(Item=exemption_to_item(exemption))
        _empty(self.coordination, CoordinationTable.PARTITION_KEY, CoordinationTable.SORT_KEY)
        for item in _coordination_world(expectations, case):
            self.coordination.put_item(Item=item)

    @contextmanager
    def world(self, user: UserSnapshot | None, config: str, user_id: str | None) -> Iterator[None]:
        """IAM and Config's inventory as the case says, for one invocation; removed afterwards."""
        sandbox = self.sandbox
        sandbox.record_iam_users(config != "not_recorded")
        created: list[str] = []
        if user is not None:
            recreate_user(user, sandbox.account_id, sandbox.region)
            created.append(user.user_name)
            if config == "undiscovered":
                sandbox.config_inventory.forget(user.user_id)
        elif config == "deleted" and user_id:
            ghost = UserSnapshot(
                user_id=user_id,
                user_name=DELETED_USER_NAME,
                arn=f"arn:aws:iam::{sandbox.account_id}:user/{DELETED_USER_NAME}",
            )
            recreate_user(ghost, sandbox.account_id, sandbox.region)
            delete_user(DELETED_USER_NAME, sandbox.region)
        try:
            yield
        finally:
            for name in created:
                delete_user(name, sandbox.region)
            for known in {user.user_id if user else None, user_id} - {None}:
                sandbox.config_inventory.forget(str(known))
            sandbox.record_iam_users(True)

    def invoke(self, substitution: str, given: Any) -> Any:
        answer = self.lambdas.invoke(
            FunctionName=self.sandbox.stack.function_arns[substitution], Payload=json.dumps(given)
        )
        payload = json.loads(answer["Payload"].read())
        if "FunctionError" in answer:
            raise PayloadDerivationError(
                f"the real function failed: {payload.get('errorType')}: {payload.get('errorMessage')}"
            )
        return payload


def _coordination_world(expectations: CaseExpectations, case: str) -> list[dict[str, Any]]:
    """What other executions left in the coordination table: the case's event handled by an earlier
    one (a replay), or its user locked by a live one (a concurrent event)."""
    event = expectations.input_for(case)
    start = int(_case_start(expectations, case).timestamp())
    match expectations.cases[case].world.coordination:
        case "event_replayed":
            return [
                {
                    CoordinationTable.PARTITION_KEY: CoordinationTable.event_pk(str(event["id"])),
                    CoordinationTable.SORT_KEY: CoordinationTable.EVENT_SK,
                    CoordinationTable.HOLDER: f"{case}-first-delivery",
                    CoordinationTable.OUTCOME: "REMEDIATED",
                }
            ]
        case "user_locked":
            user_id = str(event["detail"]["resourceId"])
            return [
                {
                    CoordinationTable.PARTITION_KEY: CoordinationTable.lock_pk(
                        str(event["account"]), user_id
                    ),
                    CoordinationTable.SORT_KEY: CoordinationTable.LOCK_SK,
                    CoordinationTable.HOLDER: f"{case}-live-execution",
                    CoordinationTable.LEASE_UNTIL: start + 3600,
                }
            ]
        case _:
            return []


def _empty(table: Any, *key_names: str) -> None:
    for item in table.scan(ConsistentRead=True)["Items"]:
        table.delete_item(Key={name: item[name] for name in key_names})


def _mocked_payload(config: MockConfig, response: str, invocation: int) -> tuple[bool, Any]:
    """(is a Return answer, its Payload) for one invocation of a mocked response."""
    answers = config.answers(response)
    if invocation >= len(answers) or answers[invocation].is_throw:
        return False, None
    returned = answers[invocation].Return
    return True, returned.get("Payload") if isinstance(returned, dict) else None


def _fixed_message_id(payload: Any, published: list[str]) -> Any:
    """The answer with the message ids SNS gave replaced by one fixed id (they differ in every run)."""
    text = json.dumps(payload)
    for message_id in published:
        text = text.replace(message_id, FIXED_MESSAGE_ID)
    return json.loads(text)


def _user_id(given: Any) -> str | None:
    event = given.get("event") if isinstance(given, dict) else None
    detail = event.get("detail") if isinstance(event, dict) else None
    resource_id = detail.get("resourceId") if isinstance(detail, dict) else None
    return resource_id if isinstance(resource_id, str) else None


def _derive_one(
    functions: _RealFunctions,
    case: str,
    expectations: CaseExpectations,
    substitution: str,
    given: Any,
    mocked: Any,
) -> Any:
    world = expectations.cases[case].world
    functions.sandbox.clock.restart_at(_case_start(expectations, case))  # the world's own times
    if substitution == PREPARE.substitution:
        with functions.world(_user_before(mocked), world.config, _user_id(given)):
            return functions.invoke(substitution, given)
    prepared = (given.get("state") or {}).get("prepared") or {}
    before = _user_before(prepared)
    after = _user_after(before, mocked) if before is not None else None
    with functions.world(after, world.config, None):
        if world.notification == "already_notified":
            functions.invoke(substitution, {**given, "execution_name": f"{given['execution_name']}-earlier"})
        published_before = _published_ids(functions.sandbox)
        answer = functions.invoke(substitution, given)
        return _fixed_message_id(answer, published_before + _published_ids(functions.sandbox))


def _published_ids(sandbox: Sandbox) -> list[str]:
    return [message.message_id for message in sandbox.published("owners")]


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
        invocations: Counter[str] = Counter()
        for state_name, given in run.lambda_inputs:
            number = invocations[state_name]
            invocations[state_name] += 1
            substitution = states.get(state_name)
            if substitution is None:
                continue
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
            try:
                real = _derive_one(functions, case, expectations, substitution, given, payload)
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


def _case_start(expectations: CaseExpectations, case: str) -> datetime:
    return datetime.fromisoformat(str(expectations.input_for(case)["time"]).replace("Z", "+00:00"))


def case_clock(sandbox: Sandbox, expectations: CaseExpectations) -> Callable[[str], None]:
    """Each case starts at its event's time on the sandbox's clock: the same inputs in every run."""

    def restart(case: str) -> None:
        sandbox.clock.restart_at(_case_start(expectations, case))

    return restart


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
        runs = run_cases(
            sfn, sandbox.stack.state_machine_arn, expectations, before_case=case_clock(sandbox, expectations)
        )
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
        prog="python -m keywarden.sandbox.devtools.mocked_payloads", description=__doc__.split("\n\n")[0]
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
