"""`keywarden exemptions`: what it refuses, and what it writes (against the in-process sandbox)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from keywarden.cli import app
from keywarden.sandbox import Sandbox
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def exemptions(sandbox: Sandbox, *arguments: str) -> Any:
    return runner.invoke(
        app,
        ["exemptions", *arguments, "--table", sandbox.stack.exemption_table_name, "--region", sandbox.region],
    )


class TestRefusals:
    """One sandbox for every refusal (torn down before the next test starts its own): each test
    shows its table still empty after its own refusal."""

    @pytest.fixture(scope="class")
    @classmethod
    def sandbox(cls) -> Iterator[Sandbox]:
        with Sandbox() as running:
            yield running

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (["bob", "--expires", "30d"], "an exemption needs a reason"),
            (["bob", "--reason", "   ", "--expires", "30d"], "an exemption needs a reason"),
            (["bob", "--reason", "vendor"], "an exemption needs an expiry"),
            (["bob", "--reason", "vendor", "--expires", "91d"], "more than 90 days away"),
            (["bob", "--reason", "vendor", "--expires", "2020-01-01"], "is in the past"),
            (
                ["bob", "--reason", "vendor", "--expires", "next week"],
                "--expires 'next week': use a duration",
            ),
            (["*", "--reason", "everyone", "--expires", "1d"], "would exempt every user"),
            (["bob", "--reason", "vendor", "--expires", "40d", "--max-days", "30"], "more than 30 days away"),
        ],
    )
    def test_refusals_write_nothing(self, sandbox: Sandbox, arguments: list[str], message: str) -> None:
        # Given an empty exemption table
        # When `exemptions add` is given a missing, invalid or too-broad argument
        result = exemptions(sandbox, "add", *arguments)

        # Then it exits 2 with a one-line reason, no traceback, and the table is still empty
        assert result.exit_code == 2
        assert message in " ".join(result.stderr.split())
        assert "Traceback" not in result.output
        listed = exemptions(sandbox, "list", "--format", "json")
        assert json.loads(listed.stdout) == []


def test_add_list_replace_remove(sandbox: Sandbox) -> None:
    # Given an empty exemption table
    # When svc-acme-* is exempted, then exempted again without --replace
    added = exemptions(sandbox, "add", "svc-acme-*", "--reason", "vendor migration", "--expires", "30d")
    assert added.exit_code == 0, added.output
    again = exemptions(sandbox, "add", "svc-acme-*", "--reason", "again", "--expires", "10d")

    # Then the second add is refused
    assert again.exit_code == 2
    assert "already has an exemption" in again.stderr

    # When it is replaced
    replaced = exemptions(
        sandbox, "add", "svc-acme-*", "--reason", "shorter", "--expires", "10d", "--replace"
    )
    assert replaced.exit_code == 0, replaced.output

    # Then the list shows only the replacement, active, with who added it
    [listed] = json.loads(exemptions(sandbox, "list", "--format", "json").stdout)
    assert (listed["user"], listed["reason"], listed["status"]) == ("svc-acme-*", "shorter", "ACTIVE")
    assert listed["added_by"].startswith("arn:aws:")
    assert "svc-acme-*" in exemptions(sandbox, "list").stdout

    # When it is removed twice, Then the second removal says there is none
    assert exemptions(sandbox, "remove", "svc-acme-*").exit_code == 0
    missing = exemptions(sandbox, "remove", "svc-acme-*")
    assert missing.exit_code == 1
    assert "no exemption for 'svc-acme-*'" in missing.stderr


def test_an_exemption_added_with_the_cli_protects_the_user(sandbox: Sandbox) -> None:
    """Given a 200-day-old key of svc-acme-sync, When an exemption for svc-acme-* is added with the CLI and
    the user's event arrives, Then it is recorded EXEMPT; once the exemption is removed, the next event
    remediates."""
    user = sandbox.add_user(UserSpec(name="svc-acme-sync", keys=[KeySpec(created_days_ago=200)]))
    assert exemptions(sandbox, "add", "svc-acme-*", "--reason", "vendor", "--expires", "2w").exit_code == 0
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    assert sandbox.audit_items(execution)[0]["outcome"] == "EXEMPT"
    assert exemptions(sandbox, "remove", "svc-acme-*").exit_code == 0
    [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
    assert sandbox.audit_items(execution)[0]["outcome"] == "REMEDIATED"


def test_a_missing_table_is_a_short_error(sandbox: Sandbox) -> None:
    """Given a table name that does not exist, When exemptions are listed, Then the CLI exits 1 with a
    short error naming it."""
    result = runner.invoke(app, ["exemptions", "list", "--table", "nope", "--region", sandbox.region])
    assert result.exit_code == 1
    assert "exemption table 'nope' not found" in result.stderr
