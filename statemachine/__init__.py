"""The remediation workflow: the ASL file and the substitutions it expects.

CDK and the local sandbox both render the very same file through `render_definition`, with
the values deployment/workflow.py gives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

ASL_PATH: Final = Path(__file__).with_name("remediation.asl.json")

SUBSTITUTIONS: Final = (
    "PrepareFunctionArn",
    "ConcludeFunctionArn",
    "RunbookName",
    "RunbookVersion",
    "AutomationRoleArn",
    "MaxCredentialUsageAge",
    "PollIntervalSeconds",
    "MaxPollAttempts",
    "AuditTableName",
    "OperatorsTopicArn",
    "CoordinationTableName",
    "MaxConcurrentAutomations",
)
"""Every `${Name}` in the ASL file; each must be given a value."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def definition_text() -> str:
    return ASL_PATH.read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def checked_substitutions(values: Mapping[str, str]) -> dict[str, str]:
    """A value for every `${Name}` of the ASL file and nothing else; refuses missing or unknown names."""
    missing, unknown = set(SUBSTITUTIONS) - set(values), set(values) - set(SUBSTITUTIONS)
    if missing or unknown:
        raise ValueError(f"substitutions missing: {sorted(missing)}, unknown: {sorted(unknown)}")
    return dict(values)


def render_definition(values: Mapping[str, str]) -> str:
    """The ASL with every `${Name}` replaced; refuses missing or unknown names."""
    checked = checked_substitutions(values)
    return _PLACEHOLDER.sub(lambda match: str(checked[match.group(1)]), definition_text())
