"""cdk-nag acknowledgements: one finding, on the one construct it concerns, with its own reason."""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PLUGIN: Final = "AwsSolutions"


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge `finding` (e.g. `AwsSolutions-IAM5[Resource::*]`) on `construct` only.

    The id is qualified by the plugin, as cdk-nag prints it (`AwsSolutions::AwsSolutions-L1`).
    """
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{PLUGIN}::{finding}", reason=reason))
