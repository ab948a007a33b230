"""The remediation workflow: the ASL file and the substitutions it expects.

CDK and the local sandbox both render the very same file through `render_definition`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

ASL_PATH: Final = Path(__file__).with_name("remediation.asl.json")

SUBSTITUTIONS: Final = (
    "ParseEventFunctionArn",
    "SnapshotUserFunctionArn",
    "DecideActionFunctionArn",
    "EvaluateFunctionArn",
    "RunbookName",
    "RunbookVersion",
    "AutomationRoleArn",
    "MaxCredentialUsageAge",
    "PollIntervalSeconds",
    "MaxPollAttempts",
    "AuditTableName",
    "NotificationStateTableName",
    "OwnersTopicArn",
    "OperatorsTopicArn",
)
"""Every `${Name}` in the ASL file; each must be given a value."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def definition_text() -> str:
    return ASL_PATH.read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def render_definition(values: Mapping[str, str]) -> str:
    """The ASL with every `${Name}` replaced; refuses missing or unknown names."""
    text = definition_text()
    missing = placeholders(text) - set(values)
    unknown = set(values) - placeholders(text)
    if missing or unknown:
        raise ValueError(f"substitutions missing: {sorted(missing)}, unknown: {sorted(unknown)}")
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), text)


FUNCTION_HANDLERS: Final = {
    "ParseEventFunctionArn": "lambdas.handlers.parse_event.handler",
    "SnapshotUserFunctionArn": "lambdas.handlers.snapshot_user.handler",
    "DecideActionFunctionArn": "lambdas.handlers.decide_action.handler",
    "EvaluateFunctionArn": "lambdas.handlers.evaluate.handler",
}
"""The workflow's Lambda functions: substitution name -> handler (module path and function)."""
