"""AWS Config's side: the managed rule keywarden follows and the event it sends."""

from __future__ import annotations

from typing import Any, Final

CONFIG_RULE_IDENTIFIER: Final = "ACCESS_KEYS_ROTATED"
"""Source identifier of the AWS managed Config rule keywarden reacts to."""

DEFAULT_CONFIG_RULE_NAME: Final = "keywarden-access-keys-rotated"
DEFAULT_MAX_ACCESS_KEY_AGE_DAYS: Final = 90

IAM_USER_RESOURCE_TYPE: Final = "AWS::IAM::User"
NON_COMPLIANT: Final = "NON_COMPLIANT"
COMPLIANCE_CHANGE_DETAIL_TYPE: Final = "Config Rules Compliance Change"
CONFIG_EVENT_SOURCE: Final = "aws.config"
SWEEP_EVENT_SOURCE: Final = "keywarden.sweep"
"""A compliance-change event the daily sweep writes to re-drive a user Config still flags
(its id `sweep-<yyyy-mm-dd>-<user id>`): same shape as Config's, started directly, never on a bus."""
CLI_EVENT_SOURCE: Final = "keywarden.cli"
"""The same, written by `keywarden remediate --user` (id `cli-<uuid>`)."""
REMEDIATION_EVENT_SOURCES: Final = (CONFIG_EVENT_SOURCE, SWEEP_EVENT_SOURCE, CLI_EVENT_SOURCE)
"""The sources the remediation workflow accepts; EventBridge's rule matches Config's alone."""


def compliance_change_event_pattern(config_rule_name: str) -> dict[str, Any]:
    """The EventBridge pattern that starts a remediation: a user turned NON_COMPLIANT for our rule."""
    return {
        "source": [CONFIG_EVENT_SOURCE],
        "detail-type": [COMPLIANCE_CHANGE_DETAIL_TYPE],
        "detail": {
            "configRuleName": [config_rule_name],
            "resourceType": [IAM_USER_RESOURCE_TYPE],
            "newEvaluationResult": {"complianceType": [NON_COMPLIANT]},
        },
    }
