"""What keywarden publishes: the owner's notification and the operators' alert, as the workflow sends them."""

from __future__ import annotations

from domain.frozen import FrozenModel


class OwnerNotification(FrozenModel):
    """An SNS message for the owners' topic."""

    subject: str
    text: str
    """The readable body (what an inbox or an email subscription shows)."""
    message: str
    """The SNS message, published with MessageStructure=json: `default` and `email` carry `text`,
    `lambda` carries the structured facts the Slack and email forwarders render."""
    attributes: dict[str, dict[str, str]]


class OperatorAlert(FrozenModel):
    subject: str
    message: str
    error: str
    """The error the execution fails with after the alert (keywarden.FAILED, or the step's error)."""
    fails_execution: bool = True
    """False for an alert about waiting (DEFERRED): the execution still succeeds after it."""
