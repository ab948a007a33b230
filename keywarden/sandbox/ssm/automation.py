"""SSM Automation for the sandbox: StartAutomationExecution and GetAutomationExecution.

moto has no automation API. Its SSM responder dispatches a JSON action to the method named
after it, so the two actions are added to `SimpleSystemManagerResponse` while a sandbox runs.
The emulated runbook takes simulated time (a `VirtualClock`) and ends with a configurable
status, so that failures, timeouts and throttling can be rehearsed. When it runs, it resolves the
user through AWS Config's inventory as the published script does (runbook.py): a user Config does
not list fails the automation with the script's IndexError. AWS's concurrency quota applies
(automation_quota.py): past 100 running, automations wait `Pending` and start, first in first
out, the moment a running one ends on the clock; the runbook's duration counts from then.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final
from unittest import mock

import boto3
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ssm.responses import SimpleSystemManagerResponse

from domain.runbook import (
    AUTOMATION_SUCCEEDED,
    AUTOMATION_TERMINAL,
    RUNBOOK_NAME,
    RUNBOOK_VERSIONS,
    AutomationStatus,
)
from keywarden.sandbox.aws.throttling import unmetered
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.ssm.automation_quota import (
    Admission,
    AutomationCounters,
    AutomationQuota,
    AutomationSlots,
)
from keywarden.sandbox.ssm.runbook import RunbookScriptError, revoke_unused_credentials

RUNBOOK_STEP = "RevokeUnusedIAMUserCredentialsAndVerify"
RUNBOOK_OUTPUT = f"{RUNBOOK_STEP}.Output"
RUNBOOK_PARAMETERS = ("AutomationAssumeRole", "IAMResourceId", "MaxCredentialUsageAge")
NO_OUTPUT_YET = "No output available yet because the step is not successfully executed"


class AutomationExecutionLimitExceeded(ServiceException):
    def __init__(self) -> None:
        super().__init__(
            "AutomationExecutionLimitExceededException",
            "The number of simultaneously running Automation executions exceeded the allowed limit.",
        )


class InvalidAutomationParameters(ServiceException):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidAutomationExecutionParametersException", message)


class InvalidDocument(ServiceException):
    def __init__(self, name: str) -> None:
        super().__init__("InvalidDocument", f"Document with name {name} does not exist.")


class InvalidDocumentVersion(ServiceException):
    def __init__(self, version: str) -> None:
        super().__init__(
            "InvalidDocumentVersion", f"The document version {version} is not valid or does not exist."
        )


PUBLISHED_VERSIONS: Final = RUNBOOK_VERSIONS
"""The runbook's versions in the sandbox's SSM; `$DEFAULT` and `$LATEST` are the last of them."""


def resolved_version(requested: str | None) -> str:
    """The version SSM runs for a request (StartAutomationExecution's DocumentVersion), or refuses."""
    if requested in (None, "$DEFAULT", "$LATEST"):
        return PUBLISHED_VERSIONS[-1]
    if requested not in PUBLISHED_VERSIONS:
        raise InvalidDocumentVersion(str(requested))
    return str(requested)


class AutomationExecutionNotFound(ServiceException):
    def __init__(self, execution_id: str) -> None:
        super().__init__(
            "AutomationExecutionNotFoundException", f"Automation execution {execution_id} not found."
        )


@dataclass(frozen=True)
class AutomationBehaviour:
    """How an emulated automation unfolds: how long it runs, how it ends, what it refuses."""

    duration_seconds: float = 30.0
    final_status: AutomationStatus = AutomationStatus.SUCCESS
    """A non-terminal status (InProgress, Waiting...) makes an automation that never ends."""
    failure_message: str | None = None
    refused_starts: int = 0
    """StartAutomationExecution answers AutomationExecutionLimitExceeded this many times first."""
    verification_fails: bool = False
    """The runbook revokes what it should, then its verification reads IAM too soon and fails."""
    fail_first_runs: int = 0
    """The first this many automations for one user end Failed, changing nothing; later ones run as set."""

    def for_run(self, run: int) -> AutomationBehaviour:
        """How a user's `run`-th automation (0: its first) unfolds."""
        if run >= self.fail_first_runs:
            return self
        return replace(
            self,
            final_status=AutomationStatus.FAILED,
            failure_message=self.failure_message
            or "Step fails when it is Executing. Automation ended Failed (scenario: fail_first_runs).",
        )


@dataclass
class EmulatedAutomation:
    execution_id: str
    document_version: str
    parameters: dict[str, list[str]]
    started_at: datetime
    """When it began running (while Pending: when it was requested)."""
    behaviour: AutomationBehaviour
    region: str
    requested_at: datetime
    """When StartAutomationExecution accepted it."""
    status: AutomationStatus = AutomationStatus.IN_PROGRESS
    ended_at: datetime | None = None
    failure_message: str | None = None
    output: str | None = None
    deactivated_keys: list[str] = field(default_factory=list)
    deleted_login_profile: bool = False


def script_failure_message(error: RunbookScriptError) -> str:
    """How SSM reports an aws:executeScript step whose script raised: the step's failure, the end of
    the script's traceback, then "<type> - <message>" (as in automated-security-response-on-aws
    issue #55, for this runbook's IndexError)."""
    return (
        "Step fails when it is Executing. Traceback (most recent call last):\n"
        f'  File "customer_script.py", in {error.function}\n'
        f"{error.error_type}: {error}\n\n{error.error_type} - {error}"
    )


def _role_trusts_ssm(iam: Any, role_arn: str) -> bool:
    try:
        role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except iam.exceptions.NoSuchEntityException:
        return False
    document = role["AssumeRolePolicyDocument"]
    statements = (json.loads(document) if isinstance(document, str) else document)["Statement"]
    return any(
        statement.get("Effect") == "Allow"
        and "ssm.amazonaws.com" in json.dumps(statement.get("Principal", {}))
        for statement in statements
    )


class AutomationEmulator:
    """The automation executions of one sandbox."""

    def __init__(
        self,
        clock: VirtualClock,
        default: AutomationBehaviour | None = None,
        quota: AutomationQuota | None = None,
    ) -> None:
        self.clock = clock
        self.default = default or AutomationBehaviour()
        self.quota = quota or AutomationQuota()
        """AWS's concurrency quota (replace it before the first start to change it)."""
        self.counters = AutomationCounters()
        self.per_resource_id: dict[str, AutomationBehaviour] = {}
        self.executions: dict[str, EmulatedAutomation] = {}
        self.start_calls: list[dict[str, Any]] = []
        self._refused: dict[str, int] = {}
        self._runs: dict[str, int] = {}
        """Automations accepted so far per resource id (for `fail_first_runs`)."""
        self._slots: dict[str, AutomationSlots] = {}
        self._lock = threading.RLock()

    def set_quota(self, quota: AutomationQuota) -> None:
        """Change the concurrency quota (what runs keeps running; the queue starts when slots free)."""
        with self._lock:
            self.quota = quota
            for slots in self._slots.values():
                slots.quota = quota

    def reset_counters(self) -> AutomationCounters:
        """Count afresh from now (for one scenario run); returns the counters so far."""
        with self._lock:
            previous, self.counters = self.counters, AutomationCounters()
            for slots in self._slots.values():
                slots.counters = self.counters
                self.counters.max_running = max(self.counters.max_running, len(slots.running))
            return previous

    def slots(self, region: str) -> AutomationSlots:
        """The running and Pending automations of one Region (of the sandbox's one account)."""
        if region not in self._slots:
            self._slots[region] = AutomationSlots(self.quota, self.counters)
        return self._slots[region]

    def behaviour_for(self, resource_id: str) -> AutomationBehaviour:
        return self.per_resource_id.get(resource_id, self.default)

    def start(self, region: str, document_name: str, document_version: str | None, parameters: Any) -> str:
        with self._lock:
            self.start_calls.append({"DocumentName": document_name, "Parameters": parameters})
            if document_name != RUNBOOK_NAME:
                raise InvalidDocument(document_name)
            version = resolved_version(document_version)
            checked = self._checked_parameters(parameters)
            behaviour = self.behaviour_for(checked["IAMResourceId"][0])
            refused = self._refused.get(checked["IAMResourceId"][0], 0)
            if refused < behaviour.refused_starts:
                self._refused[checked["IAMResourceId"][0]] = refused + 1
                self.counters.refused += 1
                raise AutomationExecutionLimitExceeded()
            self._settle()
            now = self.clock.now()
            execution = EmulatedAutomation(
                execution_id=str(uuid.uuid4()),
                document_version=version,
                parameters=checked,
                started_at=now,
                behaviour=behaviour,
                region=region,
                requested_at=now,
            )
            admission = self.slots(region).admit(execution.execution_id)
            if admission is Admission.REFUSED:
                raise AutomationExecutionLimitExceeded()
            if admission is Admission.QUEUED:
                execution.status = AutomationStatus.PENDING
            resource_id = checked["IAMResourceId"][0]
            execution.behaviour = behaviour.for_run(self._runs.get(resource_id, 0))
            self._runs[resource_id] = self._runs.get(resource_id, 0) + 1
            self.executions[execution.execution_id] = execution
            self.counters.accepted += 1
            self.counters.per_resource_id[checked["IAMResourceId"][0]] += 1
            return execution.execution_id

    def _settle(self) -> None:
        """Bring every automation up to the clock's time, in the order they end: each one that ends
        frees its slot at its end time, and the first Pending one starts running at that moment."""
        now = self.clock.now()
        while True:
            ending = [
                (self._due(execution), position, execution)
                for slots in self._slots.values()
                for position, execution_id in enumerate(slots.running)
                if (execution := self.executions[execution_id]).status is AutomationStatus.IN_PROGRESS
                and execution.behaviour.final_status in AUTOMATION_TERMINAL
                and self._due(execution) <= now
            ]
            if not ending:
                return
            due, _, execution = min(ending, key=lambda entry: entry[:2])
            self._progress(execution)
            following = self.slots(execution.region).release(execution.execution_id)
            if following is not None:
                started = self.executions[following]
                started.started_at = due
                started.status = AutomationStatus.IN_PROGRESS

    @staticmethod
    def _due(execution: EmulatedAutomation) -> datetime:
        return execution.started_at + timedelta(seconds=execution.behaviour.duration_seconds)

    @staticmethod
    def _checked_parameters(parameters: Any) -> dict[str, list[str]]:
        if not isinstance(parameters, dict):
            raise InvalidAutomationParameters("Parameters must be a map of string lists.")
        for name, values in parameters.items():
            if name not in RUNBOOK_PARAMETERS:
                raise InvalidAutomationParameters(f"Parameter {name} is not defined by {RUNBOOK_NAME}.")
            if not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
                raise InvalidAutomationParameters(f"Parameter {name} must be a list of strings.")
        missing = [name for name in RUNBOOK_PARAMETERS if not parameters.get(name)]
        if missing:
            raise InvalidAutomationParameters(f"Missing required parameters: {', '.join(missing)}.")
        try:
            int(parameters["MaxCredentialUsageAge"][0])
        except ValueError as error:
            raise InvalidAutomationParameters("MaxCredentialUsageAge must be a whole number.") from error
        return parameters

    def describe(self, execution_id: str) -> dict[str, Any]:
        with self._lock:
            execution = self.executions.get(execution_id)
            if execution is None:
                raise AutomationExecutionNotFound(execution_id)
            self._settle()
            self._progress(execution)  # one that never ends (InProgress, Waiting...) keeps its slot
            return self._shape(execution)

    def _progress(self, execution: EmulatedAutomation) -> None:
        if execution.status is not AutomationStatus.IN_PROGRESS:
            return
        behaviour = execution.behaviour
        due = self._due(execution)
        if self.clock.now() < due:
            return
        if behaviour.final_status not in AUTOMATION_TERMINAL:
            execution.status = behaviour.final_status  # an automation that never ends
            return
        execution.ended_at = due
        if behaviour.final_status in AUTOMATION_SUCCEEDED:
            self._run_runbook(execution)
        else:
            execution.status = behaviour.final_status
            execution.failure_message = behaviour.failure_message or (
                f"Step fails when it is Executing. Automation ended {behaviour.final_status.value}."
            )

    def _run_runbook(self, execution: EmulatedAutomation) -> None:
        with unmetered():  # the script's calls are SSM's, retried inside SSM (throttling.unmetered)
            self._run_runbook_script(execution)

    def _run_runbook_script(self, execution: EmulatedAutomation) -> None:
        iam = boto3.client("iam", region_name=execution.region)
        if not _role_trusts_ssm(iam, execution.parameters["AutomationAssumeRole"][0]):
            execution.status = AutomationStatus.FAILED
            execution.failure_message = "The defined assume role is unable to be assumed."
            return
        try:
            result = revoke_unused_credentials(
                iam,
                boto3.client("config", region_name=execution.region),
                execution.parameters["IAMResourceId"][0],
                int(execution.parameters["MaxCredentialUsageAge"][0]),
                execution.ended_at or self.clock.now(),
                verification_reads_too_soon=execution.behaviour.verification_fails,
            )
        except RunbookScriptError as error:
            execution.status = AutomationStatus.FAILED
            execution.failure_message = script_failure_message(error)
            if error.result is not None:  # what it changed stays changed
                execution.deactivated_keys = error.result.deactivated_keys
                execution.deleted_login_profile = error.result.deleted_login_profile
            return
        execution.status = execution.behaviour.final_status
        execution.deactivated_keys = result.deactivated_keys
        execution.deleted_login_profile = result.deleted_login_profile
        execution.output = json.dumps(
            {
                "output": "Verification of unused IAM credentials is successful.",
                "deactivated_access_keys": result.deactivated_keys,
                "deleted_login_profile": result.deleted_login_profile,
            }
        )

    def _shape(self, execution: EmulatedAutomation) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "AutomationExecutionId": execution.execution_id,
            "DocumentName": RUNBOOK_NAME,
            "DocumentVersion": execution.document_version,
            "ExecutionStartTime": execution.started_at,
            "AutomationExecutionStatus": execution.status.value,
            "Mode": "Auto",
            "Parameters": execution.parameters,
            "Outputs": {RUNBOOK_OUTPUT: [execution.output or NO_OUTPUT_YET]},
            "StepExecutions": [
                {
                    "StepName": RUNBOOK_STEP,
                    "Action": "aws:executeScript",
                    "StepStatus": execution.status.value,
                    "ExecutionStartTime": execution.started_at,
                }
            ],
        }
        if execution.ended_at:
            shape["ExecutionEndTime"] = execution.ended_at
        if execution.failure_message:
            shape["FailureMessage"] = execution.failure_message
        return shape


def _start_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
    execution_id = _active().start(
        region=self.region,
        document_name=self._get_param("DocumentName"),
        document_version=self._get_param("DocumentVersion"),
        parameters=self._get_param("Parameters"),
    )
    return ActionResult({"AutomationExecutionId": execution_id})


def _get_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
    return ActionResult({"AutomationExecution": _active().describe(self._get_param("AutomationExecutionId"))})


_installed: list[AutomationEmulator] = []


def _active() -> AutomationEmulator:
    if not _installed:
        raise RuntimeError("no sandbox automation emulator is installed")
    return _installed[-1]


@contextmanager
def automation_api(emulator: AutomationEmulator) -> Iterator[AutomationEmulator]:
    """Serve the two automation actions from `emulator` while the context is open."""
    with (
        mock.patch.object(
            SimpleSystemManagerResponse,
            "start_automation_execution",
            _start_automation_execution,
            create=True,
        ),
        mock.patch.object(
            SimpleSystemManagerResponse, "get_automation_execution", _get_automation_execution, create=True
        ),
    ):
        _installed.append(emulator)
        try:
            yield emulator
        finally:
            _installed.remove(emulator)
