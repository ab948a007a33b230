"""Before any change (workflow step Prepare): what to do with the flagged user, and why.

Pure: the event's reading, the user's lookup in Config's inventory, the IAM snapshot and the
exemption check go in; the branch the workflow takes comes out.
"""

from __future__ import annotations

from enum import StrEnum

from domain.action_decision import ActionDecision, decide_action
from domain.compliance_event import RemediationRequest
from domain.coordination import Admission
from domain.credentials import SnapshotResult
from domain.exemptions import ExemptionCheck
from domain.frozen import FrozenModel
from domain.results import RemediationAction, RemediationOutcome


class PreparedAction(StrEnum):
    """The workflow's branch after Prepare (its Choice state IsRemediationAllowed reads it)."""

    REMEDIATE = "REMEDIATE"
    DRY_RUN = "DRY_RUN"
    EXEMPT = "EXEMPT"
    RECORD_ONLY = "RECORD_ONLY"
    """Nothing can run (the event is rejected, the user is gone or unknown to Config): record why."""


class UserLookup(FrozenModel):
    """The flagged user, found by its unique id the way the runbook finds it: in Config's inventory."""

    user_name: str | None = None
    """Set when Config knows the user and IAM still has it under that name."""
    outcome: RemediationOutcome | None = None
    """When not found: USER_NOT_FOUND (the user is gone) or FAILED (Config cannot resolve it)."""
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.user_name is not None


class Preparation(FrozenModel):
    """What Prepare returns to the workflow."""

    action: PreparedAction
    request: RemediationRequest
    lookup: UserLookup | None = None
    before: SnapshotResult | None = None
    decision: ActionDecision | None = None
    admission: Admission | None = None
    """The event's claim and the user's lock (absent for an event that names no user)."""


def prepare(
    request: RemediationRequest,
    lookup: UserLookup | None,
    before: SnapshotResult | None,
    exemptions: ExemptionCheck | None,
    dry_run: bool,
    max_exemption_days: int,
    admission: Admission | None = None,
) -> Preparation:
    """Remediate only an accepted event for a user Config and IAM both know, that no other execution
    handles or handled; else record why not."""
    if admission is not None and not admission.admitted:
        return Preparation(action=PreparedAction.RECORD_ONLY, request=request, admission=admission)
    if not request.accepted or lookup is None or not lookup.found or before is None or not before.found:
        return Preparation(
            action=PreparedAction.RECORD_ONLY,
            request=request,
            lookup=lookup,
            before=before,
            admission=admission,
        )
    decision = decide_action(exemptions or ExemptionCheck(), dry_run, max_exemption_days)
    action = {
        RemediationAction.REMEDIATE: PreparedAction.REMEDIATE,
        RemediationAction.DRY_RUN: PreparedAction.DRY_RUN,
        RemediationAction.EXEMPT: PreparedAction.EXEMPT,
    }[decision.action]
    return Preparation(
        action=action, request=request, lookup=lookup, before=before, decision=decision, admission=admission
    )
