"""The event `keywarden remediate --user` starts the remediation workflow with.

Config's own "Config Rules Compliance Change" event, as EventBridge delivers it to a target
(domain/compliance_event.py `compliance_change_event`, the sweep's re-drives use the same), with
source `keywarden.cli` (domain/config_rule.py CLI_EVENT_SOURCE, which Prepare accepts) and id
`cli-<uuid4>`. It is started directly with StartExecution, never put on a bus: AWS refuses
PutEvents from `aws.*` sources, and the rule matches Config's source alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.compliance_event import compliance_change_event
from domain.config_rule import CLI_EVENT_SOURCE

CLI_EVENT_ID_PREFIX = "cli-"


def new_cli_event_id() -> str:
    """`cli-<uuid4>`: 40 characters, also a valid Step Functions execution name."""
    return f"{CLI_EVENT_ID_PREFIX}{uuid.uuid4()}"


def cli_compliance_event(
    user_id: str, *, event_id: str, rule_name: str, account_id: str, region: str, at: datetime
) -> dict[str, Any]:
    """A NON_COMPLIANT compliance-change event for `user_id`, from keywarden.cli, as the workflow's input."""
    return compliance_change_event(
        user_id,
        source=CLI_EVENT_SOURCE,
        event_id=event_id,
        rule_name=rule_name,
        account_id=account_id,
        region=region,
        at=at,
    )
