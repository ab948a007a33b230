"""One run of the emulated runbook through the sandbox's SSM, as the workflow starts and polls it."""

from __future__ import annotations

from typing import Any

from domain.runbook import RUNBOOK_NAME
from keywarden.sandbox import Sandbox

RUNS_FOR = 30  # seconds: the emulated automation's default duration
INDEX_ERROR = (
    "Step fails when it is Executing. Traceback (most recent call last):\n"
    '  File "customer_script.py", in get_user_name\n'
    "IndexError: list index out of range\n\n"
    "IndexError - list index out of range"
)


def run_runbook(sandbox: Sandbox, resource_id: str) -> dict[str, Any]:
    """Start the runbook for one user, let it run its course, and read how it ended."""
    ssm = sandbox.client("ssm")
    execution_id = ssm.start_automation_execution(
        DocumentName=RUNBOOK_NAME,
        Parameters={
            "AutomationAssumeRole": [sandbox.stack.automation_role_arn],
            "IAMResourceId": [resource_id],
            "MaxCredentialUsageAge": ["90"],
        },
    )["AutomationExecutionId"]
    sandbox.clock.advance(RUNS_FOR)
    return dict(ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"])
