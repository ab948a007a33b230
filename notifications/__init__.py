"""Messages to key owners: rendering (text, HTML email, Slack) and the forwarders that deliver them."""

from typing import Final

FORWARDER_HANDLERS: Final = {
    "slack": "lambdas.handlers.slack_forwarder.handler",
    "email": "lambdas.handlers.email_forwarder.handler",
}
"""The Lambda functions subscribed to the owners' topic: channel -> handler (module and function)."""
