"""cdk-nag acknowledgements: one finding, on the one construct it concerns, with its own reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge `finding` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `construct` only."""
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=reason))
