"""`keywarden findings list` and `audit summary`'s findings, against a findings table in moto.

The table is made as the stack makes it (FindingsTable.indexes(), every attribute projected) and
seeded with CURRENT items as the sweep writes them, plus history items that must never be listed.
Expected answers are written out here from the seeded dates, not computed by keywarden.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from domain.finding_items import current_item
from domain.findings import Finding, FindingStatus, Resolution, TransitionKind
from domain.tables import FindingsTable
from keywarden.cli import app
from keywarden.sandbox.fixtures.iam_users import create_user
from keywarden.scenario import UserSpec
from tests.e2e.findings_tables import create_audit_table, create_findings_table
from tests.e2e.test_audit_errors import stub_cloudformation

pytestmark = pytest.mark.e2e
runner = CliRunner()
REGION = "us-east-1"
ACCOUNT = "123456789012"
FINDINGS = "keywarden-findings"
AUDIT = "keywarden-audit"
TODAY = datetime.now(UTC).date()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@dataclass(frozen=True)
class Seeded:
    bob: str
    alice: str
    findings: dict[str, Finding]
    """By a short name: k1 ... k7."""

    def key(self, name: str) -> str:
        return self.findings[name].access_key_id


def _findings(bob: str, alice: str) -> dict[str, Finding]:
    def finding(n: int, user_id: str, user_name: str, opened: int, **changes: Any) -> Finding:
        fields: dict[str, Any] = {
            "access_key_id": f"AKIA{n:016d}",
            "user_id": user_id,
            "user_name": user_name,
            "account_id": ACCOUNT,
            "opened_on": day(opened),
            "first_notice_on": day(opened),
            "deadline": day(opened + 14),
        }
        return Finding(**(fields | changes))

    return {
        # bob: escalated six days ago, still open; and one whose deadline is today
        "k1": finding(
            1,
            bob,
            "bob",
            -20,
            reminder_days_sent=(2, 7),
            reminded_on=(day(-13), day(-8)),
            escalated_on=day(-6),
        ),
        "k2": finding(2, bob, "bob", -14, reminder_days_sent=(2, 7), reminded_on=(day(-7), day(-2))),
        # alice: open, nine days left; and one she rotated after five days
        "k3": finding(3, alice, "alice", -5),
        "k4": finding(
            4,
            alice,
            "alice",
            -30,
            status=FindingStatus.RESOLVED,
            closed_on=day(-25),
            resolution=Resolution.DELETED,
        ),
        "k5": finding(
            5,
            "AIDAAAAAAAAAAAAAAAAC5",
            "carol",
            -40,
            status=FindingStatus.ENFORCED,
            escalated_on=day(-26),
            enforced_on=day(-19),
            closed_on=day(-19),
        ),
        "k6": finding(6, "AIDAAAAAAAAAAAAAAAAD6", "dave", -3, status=FindingStatus.EXEMPT, closed_on=day(-3)),
        "k7": finding(
            7, "AIDAAAAAAAAAAAAAAAAG7", "gone", -50, status=FindingStatus.USER_DELETED, closed_on=day(-33)
        ),
    }


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    """One seeded account for the module: no test writes to it."""
    with pytest.MonkeyPatch.context() as environment, mock_aws():
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            environment.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "KEYWARDEN_FINDINGS_TABLE", "KEYWARDEN_AUDIT_TABLE"):
            environment.delenv(name, raising=False)
        # With IAM-shaped unique ids (AIDA...): moto's own are random lowercase
        bob = create_user(UserSpec(name="bob"), datetime.now(UTC), ACCOUNT, REGION).user_id
        alice = create_user(UserSpec(name="alice"), datetime.now(UTC), ACCOUNT, REGION).user_id
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_findings_table(dynamodb, FINDINGS)
        create_audit_table(dynamodb, AUDIT)
        table = boto3.resource("dynamodb", region_name=REGION).Table(FINDINGS)
        findings = _findings(bob, alice)
        for finding in findings.values():
            table.put_item(Item=current_item(finding))
            # Its history: no status, no user_id, so in neither index
            table.put_item(
                Item={
                    "pk": FindingsTable.finding_pk(finding.access_key_id),
                    "sk": FindingsTable.transition_sk(finding.opened_on, TransitionKind.OPENED.value),
                    "transition": "OPENED",
                    "access_key_id": finding.access_key_id,
                    "user_name": finding.user_name,
                    "account_id": finding.account_id,
                }
            )
        table.put_item(
            Item={"pk": FindingsTable.redrive_pk(bob), "sk": TODAY.isoformat(), "reason": "FAILED"}
        )
        yield Seeded(bob, alice, findings)


def findings(*arguments: str) -> Any:
    return runner.invoke(app, ["findings", "list", *arguments, "--table", FINDINGS, "--region", REGION])


def listed(*arguments: str) -> list[str]:
    result = findings(*arguments, "--format", "json")
    assert result.exit_code == 0, result.output
    return [entry["access_key_id"] for entry in json.loads(result.stdout)]


def keys(seeded: Seeded, *names: str) -> list[str]:
    return [seeded.key(name) for name in names]


def test_every_finding_is_listed_by_deadline_and_history_is_not(seeded: Seeded) -> None:
    """Given seven findings and their history items, When listed with no filter,
    Then every finding is listed once, by deadline, and no history item."""
    # Deadlines: k7 -36, k5 -26, k4 -16, k1 -6, k2 0, k6 +11, k3 +9 -> by deadline
    assert listed() == keys(seeded, "k7", "k5", "k4", "k1", "k2", "k3", "k6")


def test_open_and_overdue(seeded: Seeded) -> None:
    """Given three open findings, two past their deadline (one due today), When listed --open or --overdue,
    Then the open ones, or only those from their deadline day on, are listed."""
    assert listed("--open") == keys(seeded, "k1", "k2", "k3")
    # Overdue from the deadline day on: k2's deadline is today
    assert listed("--overdue") == keys(seeded, "k1", "k2")


def test_a_user_is_found_by_name_through_iam_and_listed_by_opening_day(seeded: Seeded) -> None:
    """Given bob's and alice's findings, When listed by user name (through IAM) or by unique id (as is),
    Then that user's findings come by opening day, narrowed by --open or --overdue."""
    assert listed("--user", "bob") == keys(seeded, "k1", "k2")
    assert listed("--user", "alice") == keys(seeded, "k4", "k3")
    assert listed("--user", "alice", "--open") == keys(seeded, "k3")
    assert listed("--user", "bob", "--overdue") == keys(seeded, "k1", "k2")
    # A unique id is used as it is, without IAM (carol is not in IAM)
    assert listed("--user", seeded.alice) == keys(seeded, "k4", "k3")
    assert listed("--user", "AIDAAAAAAAAAAAAAAAAC5") == keys(seeded, "k5")


def test_a_user_iam_no_longer_knows_is_matched_by_name(seeded: Seeded) -> None:
    """Given a deleted user's finding, When listed by that name,
    Then it is found by the name, with a note that IAM no longer knows the user."""
    result = findings("--user", "gone", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [f["access_key_id"] for f in json.loads(result.stdout)] == keys(seeded, "k7")
    assert "no IAM user 'gone' now" in result.stderr


def test_json_is_the_finding_as_stored_with_its_days_to_close(seeded: Seeded) -> None:
    """Given alice's resolved finding, When listed as JSON,
    Then it is the finding as stored, with its days to close."""
    result = findings("--user", "alice", "--format", "json")
    resolved = json.loads(result.stdout)[0]
    assert resolved == {
        "access_key_id": seeded.key("k4"),
        "user_id": seeded.alice,
        "user_name": "alice",
        "account_id": ACCOUNT,
        "status": "RESOLVED",
        "owner_email": None,
        "opened_on": day(-30).isoformat(),
        "first_notice_on": day(-30).isoformat(),
        "deadline": day(-16).isoformat(),
        "reminder_days_sent": [],
        "reminded_on": [],
        "escalated_on": None,
        "enforcement_previewed_on": None,
        "enforced_on": None,
        "closed_on": day(-25).isoformat(),
        "resolution": "DELETED",
        "days_to_close": 5,
    }


def test_csv_has_one_row_per_finding(seeded: Seeded) -> None:
    """Given three open findings, When listed as CSV, Then there is the header and one row per finding."""
    result = findings("--open", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode("utf-8").removeprefix("\ufeff").split("\r\n")
    assert lines[0] == (
        "access_key_id,user_name,user_id,account_id,status,opened_on,first_notice_on,deadline,"
        "reminded_on,escalated_on,enforced_on,closed_on,days_to_close,resolution"
    )
    assert lines[1] == (
        f"{seeded.key('k1')},bob,{seeded.bob},{ACCOUNT},OPEN,{day(-20)},{day(-20)},{day(-6)},"
        f"{day(-13)} {day(-8)},{day(-6)},,,,"
    )
    assert len([line for line in lines[1:] if line]) == 3


def test_the_table_shows_every_column(seeded: Seeded) -> None:
    """Given the seeded findings, When listed as a table,
    Then every column is shown and the count at the end."""
    result = findings()
    assert result.exit_code == 0, result.output
    for header in ("key id", "first notice", "deadline", "reminders", "escalated", "enforced", "days to"):
        assert header in result.stdout
    assert seeded.key("k5") in result.stdout
    assert result.stdout.rstrip().endswith("7 finding(s)")


@pytest.fixture
def api_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every AWS API call made by a boto3 client created from now on (botocore's own event)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, *args, **kwargs)
        made.meta.events.register(
            "before-parameter-build.*.*", lambda model, params, **_: calls.append((model.name, params))
        )
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return calls


def test_every_question_is_a_query_on_an_index(
    seeded: Seeded, api_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    """Given the seeded tables, When findings are listed every way and the summary runs,
    Then every AWS call is a Query on an index."""
    for question in (["--open"], ["--overdue"], [], ["--user", seeded.alice]):
        assert findings(*question, "--format", "json").exit_code == 0
    summary = runner.invoke(
        app,
        [
            "audit",
            "summary",
            "--table",
            AUDIT,
            "--findings-table",
            FINDINGS,
            "--region",
            REGION,
            "--format",
            "json",
        ],
    )
    assert summary.exit_code == 0, summary.output
    assert set(Counter(name for name, _ in api_calls)) == {"Query"}
    assert all(params.get("IndexName") for _, params in api_calls)


@pytest.mark.parametrize(
    ("arguments", "exit_code", "fragment"),
    [
        (["--user", "bob smith"], 2, "--user: IAM user names are 1 to 64 characters"),
        (["--table", "nope"], 1, "findings table 'nope' not found"),
    ],
)
def test_bad_input_is_one_line(seeded: Seeded, arguments: list[str], exit_code: int, fragment: str) -> None:
    """Given a malformed user name or a missing table, When listed,
    Then it exits 2 or 1 with one line saying so, no traceback."""
    result = runner.invoke(app, ["findings", "list", "--region", REGION, "--table", FINDINGS, *arguments])
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert fragment in " ".join(result.stderr.split())


def test_the_table_name_comes_from_the_stack_output(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given no table named but the stack's FindingsTableName output, When listed --open,
    Then the table the output names is read."""
    stub_cloudformation(monkeypatch, "keywarden", {"FindingsTableName": FINDINGS})
    result = runner.invoke(app, ["findings", "list", "--region", REGION, "--open", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 3


def test_a_stack_without_the_output_says_how_to_name_the_table(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a stack without the FindingsTableName output, When listed,
    Then it exits 1 saying so and how to name the table."""
    stub_cloudformation(monkeypatch, "keywarden", {"AuditTableName": AUDIT})
    result = runner.invoke(app, ["findings", "list", "--region", REGION])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "stack keywarden in us-east-1 has no FindingsTableName output" in message
    assert "pass --findings-table or set KEYWARDEN_FINDINGS_TABLE" in message


def summary(*arguments: str) -> Any:
    return runner.invoke(app, ["audit", "summary", "--table", AUDIT, "--region", REGION, *arguments])


def test_the_summary_counts_the_findings_opened_in_the_period(seeded: Seeded) -> None:
    """Given the seeded findings, When the summary runs for all time, the last ten days or another account,
    Then it counts the findings opened, resolved, overdue and enforced, and the days to resolve."""
    # All time: k4 resolved in 5 days, before its deadline; k1 and k2 overdue; k5 enforced
    result = summary("--findings-table", FINDINGS, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == {
        "opened": 7,
        "resolved": 1,
        "resolved_before_deadline": 1,
        "overdue": 2,
        "enforced": 1,
        "median_days_to_resolve": 5.0,
        "p90_days_to_resolve": 5,
    }
    # The last ten days: k3 and k6 opened
    recent = summary("--findings-table", FINDINGS, "--since", day(-10).isoformat(), "--format", "json")
    assert json.loads(recent.stdout)["findings"]["opened"] == 2
    assert json.loads(recent.stdout)["findings"]["overdue"] == 0
    # Another account: none
    other = summary("--findings-table", FINDINGS, "--account", "999999999999", "--format", "json")
    assert json.loads(other.stdout)["findings"]["opened"] == 0


def test_the_summary_in_csv_and_as_a_table(seeded: Seeded) -> None:
    """Given the seeded findings, When the summary is written as CSV or as a table,
    Then both show the counts."""
    csv_lines = summary("--findings-table", FINDINGS, "--format", "csv").stdout_bytes.decode().split("\r\n")
    assert ",findings_opened,7" in csv_lines
    assert ",findings_median_days_to_resolve,5.0" in csv_lines
    table = summary("--findings-table", FINDINGS).stdout
    assert "Findings opened in the period: 7" in table
    assert "resolved before the deadline" in table


def test_an_audit_table_named_by_hand_without_a_findings_table_summarizes_remediations_only(
    seeded: Seeded,
) -> None:
    """Given an audit table named by hand and no findings table, When the summary runs,
    Then it has no findings, and a note says how to name their table."""
    result = summary("--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] is None
    assert "findings not summarized: name their table with --findings-table" in " ".join(
        result.stderr.split()
    )
