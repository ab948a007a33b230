"""`keywarden remediate --endpoint-url` against a running `keywarden sandbox`: the real workflow
(Prepare's reader, the runbook, Conclude) remediates a user from the CLI's event, from another process."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.test_sandbox_server import RunningSandbox, sandbox_server

pytestmark = pytest.mark.e2e
__all__ = ["sandbox_server"]  # the fixture, shared with test_sandbox_server.py


def test_remediate_bob_now_from_another_process(sandbox_server: RunningSandbox) -> None:
    # Given bob, whose old key was used today (the demo's day 0: the demo itself goes on until he
    # rotates it) and remediated once already
    scenario = sandbox_server.home / "bob.json"
    scenario.write_text(
        json.dumps({"users": [{"name": "bob", "tags": {"owner-email": "bob.owner@example.com"},
                               "keys": [{"created_days_ago": 120, "last_used_days_ago": 0}]}]})
    )  # fmt: skip
    day_zero = sandbox_server.run("simulate", str(scenario), "--endpoint-url", sandbox_server.url)
    assert day_zero.returncode == 0, day_zero.stderr
    # When his remediation is started again now, and waited for
    started = sandbox_server.run("remediate", "--user", "bob", "--endpoint-url", sandbox_server.url, "--wait")
    # Then the sandbox's own workflow ran it (the sandbox named it) and recorded KEYS_LEFT_ACTIVE
    assert started.returncode == 0, started.stderr
    execution_arn, _, printed = started.stdout.partition("\n")
    assert re.fullmatch(
        r"arn:aws:states:[a-z0-9-]+:\d{12}:execution:keywarden-remediation:cli-[0-9a-f-]{36}", execution_arn
    )
    assert "KEYS_LEFT_ACTIVE" in printed
    assert "execution SUCCEEDED" in started.stderr
    # and the audit history has that remediation, under bob's name, from the CLI's event
    history = sandbox_server.run(
        "audit", "history", "--user", "bob", "--endpoint-url", sandbox_server.url, "--format", "json"
    )
    records = {record["execution_arn"]: record for record in json.loads(history.stdout)}
    assert records[execution_arn]["outcome"] == "KEYS_LEFT_ACTIVE"
    assert records[execution_arn]["user_name"] == "bob"
