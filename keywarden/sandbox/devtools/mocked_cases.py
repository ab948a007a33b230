"""Step Functions Local's mocked test cases, in the sandbox.

Starting an execution on "<state machine ARN>#<test case>" runs that test case of a mock
configuration file (AWS's MockConfigFile format, see statemachine/mock_config.py): each Task
state listed in the case answers with its mocked responses instead of calling its service, the
rest of the workflow runs for real.

moto 5.2.5's interpreter is a port of LocalStack's and already evaluates mocked responses
(`Environment.is_mocked_mode`, `mock_eval_utils`), but its own StartExecution never loads a
test case. Two things are added here:
- StartExecution understands the "#<test case>" suffix and hands the case to the execution;
- answers are taken in invocation order per state for the whole execution, retries, loops and
  Map iterations included, as Step Functions Local does. moto's port indexes them by the
  state's RetryCount instead, so a polling loop would replay answer "0" for ever;
- a mocked Throw of a DynamoDB Task keeps its Error and Cause: moto's DynamoDB integration
  turns every error that is not a botocore ClientError into DynamoDB.AmazonDynamoDBException.
An invocation with no answer left fails the execution with States.Runtime, as in Step Functions
Local. Retry back-offs after a mocked Throw run on the sandbox's virtual clock like any other.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from moto.stepfunctions.exceptions import InvalidArn
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_dynamodb as dynamodb_task,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    StateMockedResponses,
)
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from statemachine.mock_config import MockConfig, MockConfigError, MockedAnswer, load_mock_config


class MockedAnswersExhaustedError(RuntimeError):
    """A mocked state was invoked once more than its mocked response has answers for."""


class CountedTestCase:
    """A test case that hands out each state's answers in invocation order, for one execution.

    It stands in for moto's MockTestCase, whose attributes the interpreter reads.
    """

    def __init__(self, state_machine: str, case: str, answers: dict[str, StateMockedResponses]) -> None:
        self.state_machine_name = state_machine
        self.test_case_name = case
        self.state_mocked_responses = answers
        self.invocations: Counter[str] = Counter()
        self._lock = threading.Lock()  # Map iterations may run on several threads

    def next_answer(self, state_name: str) -> MockedResponse:
        with self._lock:
            number = self.invocations[state_name]
            self.invocations[state_name] += 1
        answers = self.state_mocked_responses[state_name].mocked_responses
        if number >= len(answers):
            raise MockedAnswersExhaustedError(
                f"test case {self.test_case_name!r} has no mocked response for invocation {number} "
                f"of state {state_name!r} (it defines {len(answers)})"
            )
        return answers[number]


def _as_moto_answer(number: int, answer: MockedAnswer) -> MockedResponse:
    if answer.Throw is not None:
        return MockedResponseThrow(number, number, answer.Throw.Error, answer.Throw.Cause)
    return MockedResponseReturn(number, number, answer.Return)


class MockedCases:
    """The test cases of one mock configuration file, ready to be started."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.started: dict[str, CountedTestCase] = {}
        """Execution ARN -> the test case it ran (with its invocation counts)."""

    @classmethod
    def from_file(cls, path: Path) -> MockedCases:
        return cls(load_mock_config(path))

    def test_case(self, state_machine: str, case: str) -> CountedTestCase:
        """A fresh test case (invocation counts at zero) for one execution."""
        try:
            states = self.config.test_case(state_machine, case)
            answers = {
                state: StateMockedResponses(
                    state,
                    response,
                    [_as_moto_answer(n, a) for n, a in enumerate(self.config.answers(response))],
                )
                for state, response in states.items()
            }
        except MockConfigError as error:
            raise InvalidArn(f"Invalid mock test case {case!r}: {error}") from error
        return CountedTestCase(state_machine, case, answers)


@contextlib.contextmanager
def mocked_test_cases(cases: MockedCases) -> Iterator[MockedCases]:
    """Let StartExecution run "<state machine ARN>#<test case>" while the context is open."""
    original_start = StepFunctionsParserBackend.start_execution
    original_worker = Execution._get_start_execution_worker
    starting = threading.local()

    def start_execution(
        self: StepFunctionsParserBackend, state_machine_arn: str, *args: Any, **kwargs: Any
    ) -> Execution:
        base_arn, _, case = state_machine_arn.partition("#")
        if not case:
            return original_start(self, state_machine_arn, *args, **kwargs)
        state_machine = self.describe_state_machine(base_arn)
        starting.test_case = cases.test_case(state_machine.name, case)
        try:
            execution: Execution = original_start(self, base_arn, *args, **kwargs)
        finally:
            starting.test_case = None
        return execution

    def start_execution_worker(self: Execution) -> Any:
        worker = original_worker(self)
        test_case = getattr(starting, "test_case", None)
        if test_case is not None:
            worker._mock_test_case = test_case
            cases.started[self.exec_arn] = test_case
            starting.test_case = None
        return worker

    def current_mocked_response(self: Environment) -> MockedResponse:
        test_case = self.mock_test_case
        if not isinstance(test_case, CountedTestCase) or self.next_state_name is None:
            raise RuntimeError("the execution does not run a mocked test case")
        return test_case.next_answer(self.next_state_name)

    original_dynamodb_error = dynamodb_task.StateTaskServiceDynamoDB._from_error

    def dynamodb_error(
        self: dynamodb_task.StateTaskServiceDynamoDB, env: Environment, ex: Exception
    ) -> FailureEvent:
        if isinstance(ex, FailureEventException):  # a mocked Throw
            return ex.failure_event
        return original_dynamodb_error(self, env, ex)

    with contextlib.ExitStack() as patches:
        patches.enter_context(
            mock.patch.object(StepFunctionsParserBackend, "start_execution", start_execution)
        )
        patches.enter_context(
            mock.patch.object(dynamodb_task.StateTaskServiceDynamoDB, "_from_error", dynamodb_error)
        )
        patches.enter_context(
            mock.patch.object(Execution, "_get_start_execution_worker", start_execution_worker)
        )
        patches.enter_context(
            mock.patch.object(Environment, "get_current_mocked_response", current_mocked_response)
        )
        yield cases
