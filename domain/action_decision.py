"""Before any change: remediate the flagged user, only predict (dry run), or leave it (exempt)."""

from __future__ import annotations

from domain.exemptions import Exemption, ExemptionCheck
from domain.frozen import FrozenModel
from domain.results import RemediationAction


class ActionDecision(FrozenModel):
    """What the workflow does with the user, and the exemption facts the record must keep."""

    action: RemediationAction
    reason: str
    exemption: Exemption | None = None
    """The exemption that applies (action EXEMPT)."""
    expired_exemption: Exemption | None = None
    """A matching exemption that has expired: it no longer applies, and the record says so."""
    refused_exemption: Exemption | None = None
    """A matching exemption granted for longer than allowed: never applied, and the record says so."""
    notes: tuple[str, ...] = ()
    """What the record must say about exemptions that did not apply."""


def expired_note(exemption: Exemption) -> str:
    return (
        f"exemption {exemption.user!r} ({exemption.reason}) expired on "
        f"{exemption.expires_at:%Y-%m-%d %H:%M} UTC and no longer applies"
    )


def too_long_note(exemption: Exemption, max_days: int) -> str:
    return (
        f"exemption {exemption.user!r} ({exemption.reason}) was granted for longer than the allowed "
        f"{max_days} days and is ignored"
    )


def decide_action(check: ExemptionCheck, dry_run: bool, max_days: int) -> ActionDecision:
    """An active exemption wins over everything; else dry-run mode predicts; else remediate."""
    if check.applied is not None:
        exemption = check.applied
        return ActionDecision(
            action=RemediationAction.EXEMPT,
            reason=(
                f"exempt until {exemption.expires_at:%Y-%m-%d %H:%M} UTC by {exemption.user!r}: "
                f"{exemption.reason} (added by {exemption.added_by})"
            ),
            exemption=exemption,
        )
    notes = [expired_note(check.expired)] if check.expired else []
    if check.too_long:
        notes.append(too_long_note(check.too_long, max_days))
    action, said = (
        (RemediationAction.DRY_RUN, "dry-run mode: nothing is changed")
        if dry_run
        else (RemediationAction.REMEDIATE, "remediate")
    )
    return ActionDecision(
        action=action,
        reason="; ".join([said, *notes]),
        expired_exemption=check.expired,
        refused_exemption=check.too_long,
        notes=tuple(notes),
    )
