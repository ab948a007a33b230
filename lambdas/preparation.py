"""The Prepare step: read the event, find the user as the runbook will, snapshot it, decide.

The decisions are domain/'s (compliance_event, config_inventory, preparation); this module
makes the calls: Config's inventory, IAM, the exemption table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime

from domain.compliance_event import read_compliance_event
from domain.exemptions import check_exemptions
from domain.frozen import FrozenModel
from domain.preparation import Preparation, prepare
from lambdas.coordination import CoordinationStore, admit
from lambdas.exemption_store import load_exemptions
from lambdas.settings import PrepareSettings
from lambdas.user_lookup import ConfigClient, IAMClient, find_user


class PrepareRequest(FrozenModel):
    event: Any
    """The execution's input as it arrived: anything, until read."""
    execution_name: str
    prepared_at: AwareDatetime


@dataclass(frozen=True)
class PreparePorts:
    config: ConfigClient
    iam: IAMClient
    exemptions: Any
    """The exemption table (a boto3 Table resource)."""
    coordination: CoordinationStore


def prepare_remediation(
    request: PrepareRequest, settings: PrepareSettings, ports: PreparePorts
) -> Preparation:
    """Remediate, dry-run, exempt, or only record: decided before anything changes.

    The event is claimed and the user locked before IAM is read: a replay or a concurrent event
    costs no IAM or Config call (those throttle first in a burst).
    """
    event = read_compliance_event(request.event, settings.config_rule_name)
    if not event.accepted or event.user_id is None:
        return prepare(event, None, None, None, settings.dry_run, settings.max_exemption_days)
    admission = admit(
        ports.coordination,
        event.event_id,
        event.account_id or "unknown",
        event.user_id,
        request.execution_name,
        request.prepared_at,
    )
    if not admission.admitted:
        return prepare(event, None, None, None, settings.dry_run, settings.max_exemption_days, admission)
    region = event.region or "unknown"
    lookup, before = find_user(ports.config, ports.iam, event.user_id, region, request.prepared_at)
    check = None
    if before is not None and before.user is not None:
        user = before.user
        check = check_exemptions(
            load_exemptions(ports.exemptions),
            user.user_name,
            user.arn,
            request.prepared_at,
            settings.max_exemption_days,
        )
    return prepare(event, lookup, before, check, settings.dry_run, settings.max_exemption_days, admission)
