"""keywarden's workflows: each ASL file and the substitutions it expects.

CDK and the local sandbox both render the very same files through `render_definition`, with
the values deployment/workflow.py (the remediation) and deployment/sweep.py (the daily sweep)
give. Without a `definition`, every function here means the remediation workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ASL_PATH: Final = Path(__file__).with_name("remediation.asl.json")
SWEEP_ASL_PATH: Final = Path(__file__).with_name("sweep.asl.json")

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
"""Every `${Name}` in the remediation's ASL file; each must be given a value."""

SWEEP_SUBSTITUTIONS: Final = (
    "FollowFlaggedFunctionArn",
    "FollowFindingsFunctionArn",
    "FindingsTableName",
    "OperatorsTopicArn",
)
"""Every `${Name}` in the sweep's ASL file."""


@dataclass(frozen=True)
class Definition:
    """One ASL file and the names of its placeholders."""

    path: Path
    substitutions: tuple[str, ...]


REMEDIATION: Final = Definition(ASL_PATH, SUBSTITUTIONS)
SWEEP: Final = Definition(SWEEP_ASL_PATH, SWEEP_SUBSTITUTIONS)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def definition_text(definition: Definition = REMEDIATION) -> str:
    return definition.path.read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def checked_substitutions(values: Mapping[str, str], definition: Definition = REMEDIATION) -> dict[str, str]:
    """A value for every `${Name}` of the ASL file and nothing else; refuses missing or unknown names."""
    expected = set(definition.substitutions)
    missing, unknown = expected - set(values), set(values) - expected
    if missing or unknown:
        raise ValueError(
            f"{definition.path.name} substitutions missing: {sorted(missing)}, unknown: {sorted(unknown)}"
        )
    return dict(values)


def render_definition(values: Mapping[str, str], definition: Definition = REMEDIATION) -> str:
    """The ASL with every `${Name}` replaced; refuses missing or unknown names."""
    checked = checked_substitutions(values, definition)
    return _PLACEHOLDER.sub(lambda match: str(checked[match.group(1)]), definition_text(definition))
