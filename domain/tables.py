"""The layouts of keywarden's DynamoDB tables: key names, item kinds, indexes. One place for all.

The CDK stack, the sandbox, the functions and the CLI read these names; none writes its own.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Final


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
    LAST_MESSAGE_ID: Final = "last_message_id"
    """The SNS message id of the last notice sent."""
    SENT_BY: Final = "sent_by"
    """The execution that sent the last notice: a Conclude run again for it publishes nothing twice."""
    EXPIRES_AT: Final = "expires_at"
    """TTL attribute (epoch seconds)."""

    PASSWORD_SK: Final = "PASSWORD"  # noqa: S105 (a sort key, not a secret)

    @staticmethod
    def user_pk(user_id: str) -> str:
        return f"USER#{user_id}"

    @staticmethod
    def key_sk(access_key_id: str) -> str:
        return f"KEY#{access_key_id}"


class ExemptionTable:
    """Attribute names of the exemption table (one item per user name or ARN pattern)."""

    PARTITION_KEY: Final = "user"


class CoordinationTable:
    """Attribute names of the coordination table: what keeps executions from stepping on each other.

    One table, four kinds of items (README: "Staying within SSM's quota"):
    - `EVENT#<event id>` / `CLAIM`: the execution that took an EventBridge event first (`holder`), and
      the outcome it recorded (`outcome`): a second delivery of that id is REPLAYED;
    - `LOCK#<account>#<user id>` / `LOCK`: the execution remediating a user (`holder`) until
      `lease_until`: a concurrent event for that user is ALREADY_IN_PROGRESS;
    - `SLOTS#<account>#<region>` / `SLOTS`: `holders`, a string set of `<reserved at>|<execution name>`,
      at most maxConcurrentAutomations members: the automations keywarden runs there;
    - `DEFERRED#<account>#<region>` / `DEFERRED`: how many users were deferred since the operators'
      last alert, and when it was sent (one alert per hour).
    Every item expires (TTL `expires_at`).
    """

    PARTITION_KEY: Final = "pk"
    SORT_KEY: Final = "sk"
    EXPIRES_AT: Final = "expires_at"
    """TTL attribute (epoch seconds)."""
    HOLDER: Final = "holder"
    """The execution name that holds an event claim or a user lock."""
    OUTCOME: Final = "outcome"
    """The outcome the holder of an event claim recorded (absent while it runs)."""
    CLAIMED_AT: Final = "claimed_at"
    LEASE_UNTIL: Final = "lease_until"
    """Epoch seconds after which a lock is free whoever holds it (its holder died)."""
    HOLDERS: Final = "holders"
    """The slot item's string set of `<reserved at>|<execution name>`."""
    WAITING_SINCE_ALERT: Final = "waiting_since_alert"
    """Users deferred since the last operators' alert (`deferred` is a DynamoDB reserved word)."""
    DEFERRED_TOTAL: Final = "deferred_total"
    LAST_ALERT_AT: Final = "last_alert_at"
    """Epoch seconds of the last deferral alert."""

    EVENT_SK: Final = "CLAIM"
    LOCK_SK: Final = "LOCK"
    SLOTS_SK: Final = "SLOTS"
    DEFERRED_SK: Final = "DEFERRED"

    @staticmethod
    def event_pk(event_id: str) -> str:
        return f"EVENT#{event_id}"

    @staticmethod
    def lock_pk(account_id: str, user_id: str) -> str:
        return f"LOCK#{account_id}#{user_id}"

    @staticmethod
    def slots_pk(account_id: str, region: str) -> str:
        return f"SLOTS#{account_id}#{region}"

    @staticmethod
    def deferred_pk(account_id: str, region: str) -> str:
        return f"DEFERRED#{account_id}#{region}"


class FindingsTable:
    """Attribute names of the findings table (README: "Findings"): one finding per stale key.

    - `FINDING#<access key id>` / `CURRENT`: the finding's state (domain/findings.py `Finding`),
      updated as it moves; it alone carries `status` and `user_id`, so the two indexes hold one
      entry per finding: `by_status` (status, deadline) answers "open / overdue findings",
      `by_user` (user_id, opened_on) "this user's findings", each with Query, never Scan;
    - `FINDING#<access key id>` / `T#<yyyy-mm-dd>#<transition>`: its history, append-only, one item
      per day and kind, written only if absent: a second sweep on one day sends nothing twice;
    - `REDRIVE#<user id>` / `<yyyy-mm-dd>`: the sweep restarted that user's remediation that day
      (`reason`, `execution_name`), written only if absent: one re-drive per user per day;
    - `SWEEP#<execution name>` / `FAILURE`: a sweep that failed (`recorded_at`, `sweep`,
      `execution_arn`, `error`, `cause`), written by statemachine/sweep.asl.json's failure path.
    Nothing expires: auditors read findings for as long as the table is kept.
    """

    PARTITION_KEY: Final = "pk"
    SORT_KEY: Final = "sk"
    STATUS: Final = "status"
    USER_ID: Final = "user_id"
    USER_NAME: Final = "user_name"
    ACCOUNT_ID: Final = "account_id"
    ACCESS_KEY_ID: Final = "access_key_id"
    DEADLINE: Final = "deadline"
    OPENED_ON: Final = "opened_on"
    TRANSITION: Final = "transition"
    RECORDED_AT: Final = "recorded_at"
    SWEEP: Final = "sweep"
    """The sweep execution that wrote a transition or a re-drive."""
    MESSAGE_ID: Final = "message_id"
    """A transition's message: the SNS message id, once sent."""
    REASON: Final = "reason"
    EXECUTION_NAME: Final = "execution_name"
    EXECUTION_ARN: Final = "execution_arn"
    """A failed sweep's execution ARN."""
    ERROR: Final = "error"
    CAUSE: Final = "cause"

    CURRENT_SK: Final = "CURRENT"
    TRANSITION_SK_PREFIX: Final = "T#"
    SWEEP_FAILURE_SK: Final = "FAILURE"
    SWEEP_ITEM_FAILURE_SK_PREFIX: Final = "ITEM#"
    """`SWEEP#<execution name>` / `ITEM#<user id or access key id>`: one user or finding the sweep could
    not follow (`error`, `cause`, `recorded_at`); the others were followed, and the sweep then fails."""

    BY_STATUS: Final = "by_status"
    BY_USER: Final = "by_user"

    @classmethod
    def indexes(cls) -> dict[str, tuple[str, str]]:
        """Global secondary indexes: name -> (partition key, sort key). All keys are strings."""
        return {cls.BY_STATUS: (cls.STATUS, cls.DEADLINE), cls.BY_USER: (cls.USER_ID, cls.OPENED_ON)}

    @staticmethod
    def finding_pk(access_key_id: str) -> str:
        return f"FINDING#{access_key_id}"

    @classmethod
    def transition_sk(cls, day: date, transition: str) -> str:
        return f"{cls.TRANSITION_SK_PREFIX}{day.isoformat()}#{transition}"

    @staticmethod
    def redrive_pk(user_id: str) -> str:
        return f"REDRIVE#{user_id}"

    @staticmethod
    def sweep_pk(execution_name: str) -> str:
        return f"SWEEP#{execution_name}"
