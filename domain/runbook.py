"""The AWS-owned runbook keywarden runs, and what SSM says about an automation of it."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, ConfigDict, Field

from domain.frozen import FrozenModel

RUNBOOK_NAME: Final = "AWSConfigRemediation-RevokeUnusedIAMUserCredentials"
RUNBOOK_DEFAULT_VERSION: Final = "1"
"""The version keywarden runs unless told otherwise: pinned, so AWS cannot change the script under a
deployment. AWS publishes no version history of its runbooks; version 1 is the document as AWS
published it, the one whose script the runbook reference describes and the sandbox emulates.
`aws ssm describe-document --name <runbook>` shows the account's DefaultVersion and LatestVersion,
`aws ssm list-document-versions --name <runbook>` every version; read a newer one with
`aws ssm get-document --name <runbook> --document-version N` before moving `runbookVersion`."""
RUNBOOK_VERSIONS: Final = ("1",)
"""The versions keywarden is tested against (the sandbox's emulated runbook knows these)."""


class AutomationStatus(StrEnum):
    """SSM AutomationExecutionStatus values (the full enum of the SSM API)."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    WAITING = "Waiting"
    SUCCESS = "Success"
    TIMED_OUT = "TimedOut"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    PENDING_APPROVAL = "PendingApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"
    RUNBOOK_IN_PROGRESS = "RunbookInProgress"
    PENDING_CHANGE_CALENDAR_OVERRIDE = "PendingChangeCalendarOverride"
    CHANGE_CALENDAR_OVERRIDE_APPROVED = "ChangeCalendarOverrideApproved"
    CHANGE_CALENDAR_OVERRIDE_REJECTED = "ChangeCalendarOverrideRejected"
    COMPLETED_WITH_SUCCESS = "CompletedWithSuccess"
    COMPLETED_WITH_FAILURE = "CompletedWithFailure"
    EXITED = "Exited"


AUTOMATION_SUCCEEDED: Final = frozenset({AutomationStatus.SUCCESS, AutomationStatus.COMPLETED_WITH_SUCCESS})
AUTOMATION_FAILED: Final = frozenset(
    {
        AutomationStatus.FAILED,
        AutomationStatus.TIMED_OUT,
        AutomationStatus.CANCELLED,
        AutomationStatus.REJECTED,
        AutomationStatus.COMPLETED_WITH_FAILURE,
        AutomationStatus.CHANGE_CALENDAR_OVERRIDE_REJECTED,
        AutomationStatus.EXITED,
    }
)
AUTOMATION_TERMINAL: Final = AUTOMATION_SUCCEEDED | AUTOMATION_FAILED
"""Statuses after which an automation never changes again; the workflow stops polling."""


class AutomationExecution(FrozenModel):
    """The part of ssm:GetAutomationExecution's answer that keywarden reads."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    automation_execution_id: str = Field(alias="AutomationExecutionId")
    status: str = Field(alias="AutomationExecutionStatus")
    failure_message: str | None = Field(default=None, alias="FailureMessage")
    execution_start_time: AwareDatetime | None = Field(default=None, alias="ExecutionStartTime")
    execution_end_time: AwareDatetime | None = Field(default=None, alias="ExecutionEndTime")
    outputs: dict[str, list[str]] = Field(default_factory=dict, alias="Outputs")


class PollProgress(FrozenModel):
    number: int
    """The poll under way: 1 for the first GetAutomationExecution, at most `max`."""
    max: int
    interval_seconds: int


class QueuedPolls(FrozenModel):
    """Polls that found the automation `Pending` in SSM's queue: counted apart, never against `poll`."""

    number: int
    max: int
    """After this many, keywarden stops waiting for the queue: DEFERRED, not TIMED_OUT."""


class LastPoll(FrozenModel):
    status: str
    execution: AutomationExecution


class AutomationProgress(FrozenModel):
    """What the workflow knows about the automation it started."""

    execution_id: str
    poll: PollProgress
    queued: QueuedPolls | None = None
    last_poll: LastPoll | None = None

    @property
    def queue_patience_exhausted(self) -> bool:
        """Still Pending in SSM's queue after every queued poll the workflow allows."""
        return (
            self.last_poll is not None
            and self.last_poll.status == AutomationStatus.PENDING
            and self.queued is not None
            and self.queued.number >= self.queued.max
        )
