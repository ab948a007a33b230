"""The audit table's shared definitions: timestamps, shards, the auditors' policy, sandbox URLs."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deployment.policies import auditor_policy
from domain.tables import AuditTable, audit_timestamp
from keywarden.sandbox_client import SandboxError, checked_url, is_loopback, run_scenario_remotely


def test_recorded_at_is_utc_with_milliseconds_like_step_functions() -> None:
    """Given a time in another zone or with microseconds, When stamped for the audit table,
    Then it is UTC with milliseconds, as Step Functions writes it."""
    paris = timezone(timedelta(hours=1))
    assert (
        audit_timestamp(datetime(2026, 11, 28, 13, 0, 0, 123_987, tzinfo=paris)) == "2026-11-28T12:00:00.123Z"
    )
    assert audit_timestamp(datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) == "2026-11-28T12:00:00.000Z"


def test_recorded_at_sorts_as_text_in_time_order() -> None:
    """Given 500 moments, When their stamps are sorted as text, Then they are in time order."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(milliseconds=n * 7_777_777) for n in range(500)]
    assert sorted(audit_timestamp(m) for m in reversed(moments)) == [audit_timestamp(m) for m in moments]


def test_every_index_is_declared_with_its_keys() -> None:
    """Given the audit table's layout, When its indexes are listed,
    Then each has its partition and sort key, and an outcome has one shard per index shard."""
    assert AuditTable.indexes() == {
        "by_user_name": ("user_name", "recorded_at"),
        "by_user_id": ("user_id", "recorded_at"),
        "by_access_key": ("access_key_id", "recorded_at"),
        "by_account": ("account_shard", "recorded_at"),
        "by_outcome": ("outcome_shard", "recorded_at"),
    }
    assert AuditTable.all_shards("FAILED") == [f"FAILED#{n}" for n in range(AuditTable.INDEX_SHARDS)]


def test_the_auditor_policy_allows_query_and_getitem_on_the_table_and_its_indexes_only() -> None:
    """Given the audit table's ARN, When the auditor policy is built,
    Then it allows only Query and GetItem, on the table and its indexes."""
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/keywarden-audit"
    assert auditor_policy(table) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadAuditHistory",
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                "Resource": [table, f"{table}/index/*"],
            }
        ],
    }


def test_with_a_customer_managed_key_the_auditor_may_decrypt_only_through_dynamodb() -> None:
    """Given a customer managed KMS key, When the auditor policy is built,
    Then it allows kms:Decrypt of that key only via DynamoDB in the table's region."""
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/keywarden-audit"
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    decrypt = auditor_policy(table, key)["Statement"][1]
    assert decrypt == {
        "Sid": "DecryptAuditHistoryThroughDynamoDB",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}},
    }


def test_sandbox_urls_must_be_http_and_loopback_is_recognised() -> None:
    """Given sandbox URLs, When checked, Then a URL without http:// is refused, a trailing / dropped,
    and only loopback addresses (localhost, 127.x, ::1) count as local."""
    assert checked_url("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"
    with pytest.raises(SandboxError, match="not an http"):
        checked_url("127.0.0.1:5000")
    assert is_loopback("http://localhost:4566")
    assert is_loopback("http://127.0.0.2:5000")
    assert is_loopback("http://[::1]:5000")
    assert not is_loopback("https://dynamodb.eu-west-1.amazonaws.com")
    assert not is_loopback("http://10.0.0.5:5000")


def test_no_sandbox_listening_is_a_short_error() -> None:
    """Given a port nobody listens on, When a scenario is sent there,
    Then the error says no sandbox answers and how to start one."""
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        with pytest.raises(SandboxError) as refused:
            run_scenario_remotely(f"http://127.0.0.1:{port}", {"users": []}, timeout=5)
    assert f"no keywarden sandbox answers at http://127.0.0.1:{port}" in str(refused.value)
    assert "keywarden sandbox --port P" in str(refused.value)
