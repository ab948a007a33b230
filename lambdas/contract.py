"""Names and values that more than one part of keywarden must agree on.

CDK (infra/), the Lambda handlers, the local sandbox and the CLI all import them from here,
so that the event pattern, the runbook, the table layout and the outcome vocabulary are
defined exactly once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

# --- AWS Config ---------------------------------------------------------------------------

CONFIG_RULE_IDENTIFIER: Final = "ACCESS_KEYS_ROTATED"
"""Source identifier of the AWS managed Config rule keywarden reacts to."""

DEFAULT_CONFIG_RULE_NAME: Final = "keywarden-access-keys-rotated"
DEFAULT_MAX_ACCESS_KEY_AGE_DAYS: Final = 90

IAM_USER_RESOURCE_TYPE: Final = "AWS::IAM::User"
NON_COMPLIANT: Final = "NON_COMPLIANT"
COMPLIANCE_CHANGE_DETAIL_TYPE: Final = "Config Rules Compliance Change"
CONFIG_EVENT_SOURCE: Final = "aws.config"


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


# --- SSM runbook --------------------------------------------------------------------------

RUNBOOK_NAME: Final = "AWSConfigRemediation-RevokeUnusedIAMUserCredentials"
RUNBOOK_DEFAULT_VERSION: Final = "$DEFAULT"


class AutomationStatus(StrEnum):
    """SSM AutomationExecutionStatus values (the full enum of the SSM API)."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    WAITING = "Waiting"
    SUCCESS = "Success"
    TIMED_OUT = "TimedOut"
    CANCELLING = "Cancelling"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    PENDING_APPROVAL = "PendingApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"
    RUNBOOK_IN_PROGRESS = "RunbookInProgress"
    PENDING_CHANGE_CALENDAR_OVERRIDE = "PendingChangeCalendarOverride"
    CHANGE_CALENDAR_OVERRIDE_APPROVED = "ChangeCalendarOverrideApproved"
    CHANGE_CALENDAR_OVERRIDE_REJECTED = "ChangeCalendarOverrideRejected"
    COMPLETED_WITH_SUCCESS = "CompletedWithSuccess"
    COMPLETED_WITH_FAILURE = "CompletedWithFailure"
    EXITED = "Exited"


AUTOMATION_SUCCEEDED: Final = frozenset({AutomationStatus.SUCCESS, AutomationStatus.COMPLETED_WITH_SUCCESS})
AUTOMATION_FAILED: Final = frozenset(
    {
        AutomationStatus.FAILED,
        AutomationStatus.TIMED_OUT,
        AutomationStatus.CANCELLED,
        AutomationStatus.REJECTED,
        AutomationStatus.COMPLETED_WITH_FAILURE,
        AutomationStatus.CHANGE_CALENDAR_OVERRIDE_REJECTED,
        AutomationStatus.EXITED,
    }
)
AUTOMATION_TERMINAL: Final = AUTOMATION_SUCCEEDED | AUTOMATION_FAILED
"""Statuses after which an automation never changes again; the workflow stops polling."""


# --- Results ------------------------------------------------------------------------------


class KeyResult(StrEnum):
    """What happened to one access key during a remediation."""

    DEACTIVATED = "DEACTIVATED"
    """Active before, inactive after: the runbook revoked it."""
    SKIPPED_RECENTLY_USED = "SKIPPED_RECENTLY_USED"
    """Older than maxAccessKeyAge, left active because used within MaxCredentialUsageAge."""
    ALREADY_INACTIVE = "ALREADY_INACTIVE"
    COMPLIANT = "COMPLIANT"
    """Younger than maxAccessKeyAge and left active."""
    NOT_REVOKED = "NOT_REVOKED"
    """Still active although unused for MaxCredentialUsageAge: the runbook should have revoked it."""
    DELETED = "DELETED"
    """Present before, gone after (deleted by someone while the remediation ran)."""


class PasswordResult(StrEnum):
    """What happened to the user's console password (login profile)."""

    NO_PASSWORD = "NO_PASSWORD"  # noqa: S105 (an outcome, not a secret)
    DELETED = "DELETED"
    KEPT_RECENTLY_USED = "KEPT_RECENTLY_USED"
    NOT_REVOKED = "NOT_REVOKED"


class RemediationOutcome(StrEnum):
    """The outcome of one remediation, as recorded in the audit table."""

    REMEDIATED = "REMEDIATED"
    """Every stale credential is now inactive or deleted."""
    KEYS_LEFT_ACTIVE = "KEYS_LEFT_ACTIVE"
    """At least one stale key is still active because it was recently used; the owner was told."""
    NO_CHANGE = "NO_CHANGE"
    """Nothing was stale any more when keywarden looked."""
    USER_NOT_FOUND = "USER_NOT_FOUND"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    REJECTED = "REJECTED"
    """The workflow's input was not a NON_COMPLIANT IAM user event for our rule."""
    COMPLIANT = "COMPLIANT"
    """Config would not flag the user: no remediation ran (sandbox simulations only)."""
    DRY_RUN = "DRY_RUN"
    """Dry-run mode: nothing was changed; the per-key results are what the runbook would do."""
    EXEMPT = "EXEMPT"
    """An exemption protects the user: nothing was changed (results are predictions)."""


class RemediationAction(StrEnum):
    """What the workflow does with a flagged user, decided before any change."""

    REMEDIATE = "REMEDIATE"
    DRY_RUN = "DRY_RUN"
    EXEMPT = "EXEMPT"


RECORDED_OUTCOMES: Final = tuple(o for o in RemediationOutcome if o is not RemediationOutcome.COMPLIANT)
"""Every outcome an audit record can hold (COMPLIANT belongs to simulations and is never recorded)."""

OPERATOR_ALERT_OUTCOMES: Final = frozenset(
    {RemediationOutcome.FAILED, RemediationOutcome.TIMED_OUT, RemediationOutcome.REJECTED}
)
"""Outcomes that page the operators and fail the Step Functions execution."""


# --- Owner tags ---------------------------------------------------------------------------

DEFAULT_OWNER_EMAIL_TAG_KEYS: Final = ("owner-email", "owner")
"""IAM user tags read, in order, for the key owner's email address."""

DEFAULT_SLACK_CHANNEL_TAG_KEYS: Final = ("slack-channel",)
"""IAM user tags read, in order, for the owner's Slack channel."""


# --- Owner notifications ------------------------------------------------------------------


class Severity(StrEnum):
    """How urgent an owner notification is (a message attribute, for subscription filter policies)."""

    HIGH = "high"
    """A stale key is still active: the owner must rotate it before the deadline."""
    MEDIUM = "medium"
    """A key was deactivated: the owner's workload may now fail."""
    LOW = "low"
    """Only the console password was deleted."""


class OwnerMessageAttribute:
    """Names of the message attributes on the owners' topic (what filter policies can match)."""

    USER_NAME: Final = "user_name"
    OUTCOME: Final = "outcome"
    ACCOUNT_ID: Final = "account_id"
    OWNER_EMAIL: Final = "owner_email"
    OWNER_KNOWN: Final = "owner_known"
    """"true" when the address came from the user's tags, "false" for the fallback contact."""
    SEVERITY: Final = "severity"


DEFAULT_NOTIFICATION_WINDOW_HOURS: Final = 168
"""A key's owner is told about the same result at most once in this many hours."""


class NotificationStateTable:
    """Attribute names of the DynamoDB notification-state table.

    One item per credential an owner was told about (pk USER#<user id>, sk KEY#<key id> or
    PASSWORD): its last notified result, when, until when a repeat is suppressed, the deadline.
    Unlike the audit table, items are updated: this is the state a reminder job can build on.
    """

    PARTITION_KEY: Final = "pk"
    SORT_KEY: Final = "sk"
    RESULT: Final = "result"
    USER_NAME: Final = "user_name"
    ACCOUNT_ID: Final = "account_id"
    OWNER_EMAIL: Final = "owner_email"
    SLACK_CHANNEL: Final = "slack_channel"
    DEADLINE: Final = "deadline"
    FIRST_NOTIFIED_AT: Final = "first_notified_at"
    LAST_NOTIFIED_AT: Final = "last_notified_at"
    SUPPRESS_UNTIL: Final = "suppress_until"
    """Epoch seconds; a notification about the same result before then is a duplicate."""
    NOTIFICATION_COUNT: Final = "notification_count"
    LAST_EXECUTION: Final = "last_execution"
    EXPIRES_AT: Final = "expires_at"
    """TTL attribute (epoch seconds)."""

    PASSWORD_SK: Final = "PASSWORD"  # noqa: S105 (a sort key, not a secret)

    @staticmethod
    def user_pk(user_id: str) -> str:
        return f"USER#{user_id}"

    @staticmethod
    def key_sk(access_key_id: str) -> str:
        return f"KEY#{access_key_id}"


# --- Audit table --------------------------------------------------------------------------

DEFAULT_STACK_NAME: Final = "keywarden"
AUDIT_TABLE_OUTPUT: Final = "AuditTableName"
EXEMPTION_TABLE_OUTPUT: Final = "ExemptionTableName"
"""The stack output holding the exemption table's name; `keywarden exemptions` reads it."""
"""The stack output (CloudFormation OutputKey) holding the audit table's name; the CLI reads it."""


def audit_timestamp(moment: datetime) -> str:
    """`recorded_at`'s one format: UTC, milliseconds, `Z` (2026-11-28T12:00:00.123Z).

    It is Step Functions' own `$$.State.EnteredTime` format, so the workflow's failure path can
    store that value as it is, and every `recorded_at` sorts as text in time order, which is
    what the indexes' range conditions (BETWEEN, >=, <=) compare.
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class AuditTable:
    """Attribute names of the DynamoDB audit table and its indexes (README: "The audit table")."""

    PARTITION_KEY: Final = "pk"
    SORT_KEY: Final = "sk"
    RECORDED_AT: Final = "recorded_at"
    USER_NAME: Final = "user_name"
    USER_ID: Final = "user_id"
    ACCOUNT_ID: Final = "account_id"
    OUTCOME: Final = "outcome"
    ACCESS_KEY_ID: Final = "access_key_id"
    ACCOUNT_SHARD: Final = "account_shard"
    """`<account id>#<shard>`: the partition key of by_account."""
    OUTCOME_SHARD: Final = "outcome_shard"
    """`<outcome>#<shard>`: the partition key of by_outcome."""
    EXPIRES_AT: Final = "expires_at"
    """TTL attribute (epoch seconds); absent unless a retention is configured."""

    BY_USER_NAME: Final = "by_user_name"
    BY_USER_ID: Final = "by_user_id"
    BY_ACCESS_KEY: Final = "by_access_key"
    BY_ACCOUNT: Final = "by_account"
    BY_OUTCOME: Final = "by_outcome"

    REMEDIATION_SK: Final = "REMEDIATION"
    KEY_SK_PREFIX: Final = "KEY#"

    INDEX_SHARDS: Final = 4
    """Partitions per account and per outcome in by_account / by_outcome.

    An account or an outcome alone is a low-cardinality key whose sort key (time) only grows:
    every write would land on one partition. Spreading each over a few shards keeps a burst of
    records (a first Config evaluation of a large account) off a single partition; a reader
    queries every shard and merges by time. Only ever raise it (readers query shards 0..N-1).
    """

    @classmethod
    def indexes(cls) -> dict[str, tuple[str, str]]:
        """Global secondary indexes: name -> (partition key, sort key). All keys are strings."""
        return {
            cls.BY_USER_NAME: (cls.USER_NAME, cls.RECORDED_AT),
            cls.BY_USER_ID: (cls.USER_ID, cls.RECORDED_AT),
            cls.BY_ACCESS_KEY: (cls.ACCESS_KEY_ID, cls.RECORDED_AT),
            cls.BY_ACCOUNT: (cls.ACCOUNT_SHARD, cls.RECORDED_AT),
            cls.BY_OUTCOME: (cls.OUTCOME_SHARD, cls.RECORDED_AT),
        }

    @staticmethod
    def remediation_pk(execution_name: str) -> str:
        return f"REMEDIATION#{execution_name}"

    @classmethod
    def shard_of(cls, execution_name: str) -> int:
        """A remediation's shard: stable for one execution, spread evenly over executions."""
        digest = hashlib.sha256(execution_name.encode()).digest()
        return int.from_bytes(digest[:4], "big") % cls.INDEX_SHARDS

    @staticmethod
    def sharded(value: str, shard: int) -> str:
        return f"{value}#{shard}"

    @classmethod
    def all_shards(cls, value: str) -> list[str]:
        """Every partition key value a reader must query for one account or one outcome."""
        return [cls.sharded(value, shard) for shard in range(cls.INDEX_SHARDS)]

    @staticmethod
    def auditor_policy(table_arn: str, kms_key_arn: str | None = None) -> dict[str, Any]:
        """The auditors' IAM policy: Query and GetItem on the table and its indexes, nothing else.

        With a customer-managed KMS key, DynamoDB decrypts on the caller's behalf, so the caller
        also needs kms:Decrypt on that key, and only through DynamoDB.
        """
        statements: list[dict[str, Any]] = [
            {
                "Sid": "ReadAuditHistory",
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                "Resource": [table_arn, f"{table_arn}/index/*"],
            }
        ]
        if kms_key_arn:
            region = table_arn.split(":")[3]
            statements.append(
                {
                    "Sid": "DecryptAuditHistoryThroughDynamoDB",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": kms_key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
                }
            )
        return {"Version": "2012-10-17", "Statement": statements}


# --- Exemption table ----------------------------------------------------------------------


class ExemptionTable:
    """Attribute names of the exemption table (one item per user name or ARN pattern)."""

    PARTITION_KEY: Final = "user"
