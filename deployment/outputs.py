"""The stack's outputs that keywarden's command line reads to find its tables."""

from __future__ import annotations

from typing import Final

DEFAULT_STACK_NAME: Final = "keywarden"
AUDIT_TABLE_OUTPUT: Final = "AuditTableName"
"""The stack output (CloudFormation OutputKey) holding the audit table's name; `keywarden audit` reads it."""
EXEMPTION_TABLE_OUTPUT: Final = "ExemptionTableName"
"""The stack output holding the exemption table's name; `keywarden exemptions` reads it."""
FINDINGS_TABLE_OUTPUT: Final = "FindingsTableName"
"""The stack output holding the findings table's name; `keywarden findings` reads it."""
SWEEP_STATE_MACHINE_OUTPUT: Final = "SweepStateMachineArn"
"""The stack output holding the sweep state machine's ARN; `keywarden sweep` starts it."""
