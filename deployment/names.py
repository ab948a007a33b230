"""Physical names of keywarden's resources, the same scheme as the local sandbox's.

Fixed names let people find the table and topics by name, and let key and log policies name
the log groups and alarms without a dependency cycle.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceNames:
    prefix: str

    @property
    def stack(self) -> str:
        return self.prefix

    @property
    def audit_table(self) -> str:
        return f"{self.prefix}-audit"

    @property
    def exemption_table(self) -> str:
        return f"{self.prefix}-exemptions"

    @property
    def auditor_policy(self) -> str:
        return f"{self.prefix}-auditors"

    @property
    def exemption_administrator_policy(self) -> str:
        return f"{self.prefix}-exemption-administrators"

    @property
    def notification_state_table(self) -> str:
        return f"{self.prefix}-notification-state"

    @property
    def coordination_table(self) -> str:
        return f"{self.prefix}-coordination"

    @property
    def findings_table(self) -> str:
        return f"{self.prefix}-findings"

    @property
    def owners_topic(self) -> str:
        return f"{self.prefix}-owners"

    @property
    def operators_topic(self) -> str:
        return f"{self.prefix}-operators"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-events-dlq"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-remediation"

    @property
    def event_rule(self) -> str:
        return f"{self.prefix}-noncompliant-user"

    @property
    def state_machine_log_group(self) -> str:
        # /aws/vendedlogs/ keeps CloudWatch Logs' resource policy small (Step Functions' advice).
        return f"/aws/vendedlogs/states/{self.state_machine}"

    @property
    def sweep_state_machine(self) -> str:
        return f"{self.prefix}-sweep"

    @property
    def sweep_state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.sweep_state_machine}"

    @property
    def sweep_schedule(self) -> str:
        return f"{self.prefix}-daily-sweep"

    @property
    def sweep_dead_letter_queue(self) -> str:
        return f"{self.prefix}-sweep-schedule-dlq"

    @property
    def key_alias(self) -> str:
        return f"alias/{self.prefix}"

    def function(self, handler: str) -> str:
        """`lambdas.handlers.parse_event.handler` -> `keywarden-parse-event` (as in the sandbox)."""
        return f"{self.prefix}-{handler.split('.')[-2].replace('_', '-')}"

    def forwarder_function(self, channel: str) -> str:
        """`slack` -> `keywarden-slack-forwarder`: the channel's forwarder (as in the sandbox)."""
        return f"{self.prefix}-{channel}-forwarder"

    def forwarder_dead_letter_queue(self, channel: str) -> str:
        """`slack` -> `keywarden-slack-forwarder-dlq`: where the forwarder's failed deliveries land."""
        return f"{self.prefix}-{channel}-forwarder-dlq"

    def function_log_group(self, function_name: str) -> str:
        """The log group of the function named `function_name`."""
        return f"/aws/lambda/{function_name}"

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-{what}"
