"""SSM Automation's concurrency quota: how many automations run at once, how many wait, in what order.

AWS documents (Systems Manager service quotas, https://docs.aws.amazon.com/general/latest/gr/ssm.html,
and "Running automations at scale"): at most 100 automations run concurrently per account and
Region (child automations count); further executions wait with status `Pending` in a queue of
1,000 and start as running ones end; beyond the queue StartAutomationExecution answers
AutomationExecutionLimitExceededException. Adaptive concurrency can raise the 100 to 500; both
numbers are configurable here (a scenario's "ssm" object).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class AutomationQuota:
    """The two quotas, as AWS's defaults."""

    concurrent_automations: int = 100
    queued_automations: int = 1000


@dataclass
class AutomationCounters:
    """What the automation service saw during a run."""

    accepted: int = 0
    """StartAutomationExecution calls answered with an execution id (running or queued)."""
    started_running: int = 0
    """Automations that began running."""
    max_running: int = 0
    """The most automations running at one moment."""
    max_queued: int = 0
    """The longest the Pending queue grew."""
    refused: int = 0
    """StartAutomationExecution calls answered AutomationExecutionLimitExceededException."""
    per_resource_id: Counter[str] = field(default_factory=Counter)
    """Automations accepted per IAM user (its unique id, the runbook's IAMResourceId)."""


class Admission(Enum):
    RUNNING = "running"
    QUEUED = "queued"
    REFUSED = "refused"


class AutomationSlots:
    """The running automations and the FIFO queue of Pending ones, of one account and Region."""

    def __init__(self, quota: AutomationQuota, counters: AutomationCounters) -> None:
        self.quota = quota
        self.counters = counters
        self.running: list[str] = []
        self.pending: deque[str] = deque()

    def admit(self, execution_id: str) -> Admission:
        """Run the new automation now, queue it, or refuse it (the queue is full)."""
        if len(self.running) < self.quota.concurrent_automations and not self.pending:
            self._run(execution_id)
            return Admission.RUNNING
        if len(self.pending) < self.quota.queued_automations:
            self.pending.append(execution_id)
            self.counters.max_queued = max(self.counters.max_queued, len(self.pending))
            return Admission.QUEUED
        self.counters.refused += 1
        return Admission.REFUSED

    def release(self, execution_id: str) -> str | None:
        """A running automation ended: the first Pending one (if any) starts running, and is returned."""
        self.running.remove(execution_id)
        if not self.pending:
            return None
        following = self.pending.popleft()
        self._run(following)
        return following

    def _run(self, execution_id: str) -> None:
        self.running.append(execution_id)
        self.counters.started_running += 1
        self.counters.max_running = max(self.counters.max_running, len(self.running))
