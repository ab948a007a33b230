"""`keywarden audit` over 20,000 audit items in the sandbox: exact answers, page after page, Query only.

The items are built by the workflow's own `build_record_items` and put straight into moto.
Expected answers are computed here from the seeded list, independently of keywarden.audit.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from domain.audit_record import RemediationFacts, build_record_items
from domain.compliance_event import RemediationRequest
from domain.results import PasswordResult, RemediationOutcome
from keywarden.audit.periods import Period
from keywarden.audit.queries import Criteria, QueryStats, plan_history, read_items
from keywarden.cli import app
from keywarden.sandbox import Sandbox
from keywarden.sandbox.fixtures.seed import SEED_ACCOUNTS, seed_audit_table, synthetic_history

pytestmark = pytest.mark.e2e
runner = CliRunner()
SEEDED_ITEMS = 20_000
EDGE_ACCOUNT = "999999999999"
EDGE_TIMES = (
    "2026-08-31T23:59:59.999Z",
    "2026-09-01T00:00:00.000Z",
    "2026-09-01T00:00:00.001Z",
    "2026-09-30T23:59:59.999Z",
    "2026-10-01T00:00:00.000Z",
)


def _edge_items() -> list[dict[str, Any]]:
    """One remediation at each edge moment, in an account of its own."""
    items = []
    for n, moment in enumerate(EDGE_TIMES):
        at = datetime.fromisoformat(moment)
        items += build_record_items(
            RemediationFacts(
                execution_arn=f"arn:aws:states:us-east-1:{EDGE_ACCOUNT}:execution:keywarden-remediation:edge-{n}",
                execution_name=f"edge-{n}",
                recorded_at=at,
                request=RemediationRequest(
                    accepted=True, user_id="AIDAEDGEEDGEEDGEEDGE0", account_id=EDGE_ACCOUNT
                ),
                user_id="AIDAEDGEEDGEEDGEEDGE0",
                user_name="edge",
                outcome=RemediationOutcome.NO_CHANGE,
                reason="edge",
                keys=(),
                password=PasswordResult.NO_PASSWORD,
                automation=None,
                owner=None,
                notification_subject=None,
                max_access_key_age_days=90,
                max_credential_usage_age_days=90,
                retention_days=0,
            )
        )
    return items


class Seeded:
    def __init__(self, sandbox: Sandbox, items: list[dict[str, Any]], now: datetime) -> None:
        self.sandbox = sandbox
        self.items = items
        self.now = now
        self.summaries = [i for i in items if i["sk"] == "REMEDIATION"]
        self.key_items = [i for i in items if i["sk"].startswith("KEY#")]

    def query(self, criteria: Criteria, page_size: int | None) -> tuple[list[dict[str, Any]], QueryStats]:
        stats = QueryStats()
        client = self.sandbox.client("dynamodb")
        table = self.sandbox.stack.table_name
        plan = plan_history(criteria)
        found = list(read_items(client, table, plan, criteria.period, page_size=page_size, stats=stats))
        return found, stats


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    now = datetime.now(UTC).replace(microsecond=0)
    items = synthetic_history(SEEDED_ITEMS, now=now) + _edge_items()
    with Sandbox() as sandbox:
        seed_audit_table(sandbox.stack.table_name, sandbox.region, sandbox.account_id, items)
        yield Seeded(sandbox, items, now)


def in_period(item: dict[str, Any], period: Period) -> bool:
    since, until = period.bounds()
    return (since is None or item["recorded_at"] >= since) and (until is None or item["recorded_at"] <= until)


def pks(items: list[dict[str, Any]]) -> list[str]:
    return [i["pk"] for i in sorted(items, key=lambda i: (i["recorded_at"], i["pk"]))]


def assert_exact(found: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    times = [i["recorded_at"] for i in found]
    assert times == sorted(times), "oldest first"
    assert sorted(i["pk"] for i in found) == sorted(i["pk"] for i in expected)
    assert len(found) == len(expected)  # no duplicates across pages or shards


def test_the_sandbox_holds_twenty_thousand_audit_items(seeded: Seeded) -> None:
    """Given the seeded sandbox, When its items are counted,
    Then there are 20,000 or more, over 8,000 remediations."""
    assert len(seeded.items) >= SEEDED_ITEMS
    assert len(seeded.summaries) > 8000


def _busiest(values: list[str]) -> str:
    return Counter(values).most_common(1)[0][0]


PATTERNS: dict[str, Callable[[Seeded], tuple[Criteria, list[dict[str, Any]]]]] = {
    "user name": lambda s: (
        Criteria(user=(name := _busiest([i["user_name"] for i in s.summaries if "user_name" in i]))),
        [i for i in s.summaries if i.get("user_name") == name],
    ),
    "user id": lambda s: (
        Criteria(user=(uid := _busiest([i["user_id"] for i in s.summaries if i["outcome"] == "REJECTED"]))),
        [i for i in s.summaries if i["user_id"] == uid],  # rejected events have no name, only the id
    ),
    "access key": lambda s: (
        Criteria(key=(key := _busiest([i["access_key_id"] for i in s.key_items]))),
        [i for i in s.key_items if i["access_key_id"] == key],
    ),
    "account and last 90 days": lambda s: (
        Criteria(account=SEED_ACCOUNTS[0], period=(p := Period(since=s.now - timedelta(days=90)))),
        [i for i in s.summaries if i["account_id"] == SEED_ACCOUNTS[0] and in_period(i, p)],
    ),
    "outcome and a quarter": lambda s: (
        Criteria(
            outcomes=(RemediationOutcome.KEYS_LEFT_ACTIVE,),
            period=(p := Period(s.now - timedelta(days=180), s.now - timedelta(days=90))),
        ),
        [i for i in s.summaries if i["outcome"] == "KEYS_LEFT_ACTIVE" and in_period(i, p)],
    ),
    "two outcomes": lambda s: (
        Criteria(outcomes=(RemediationOutcome.FAILED, RemediationOutcome.TIMED_OUT)),
        [i for i in s.summaries if i["outcome"] in {"FAILED", "TIMED_OUT"}],
    ),
    "everything": lambda s: (Criteria(), s.summaries),
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_access_pattern_returns_exactly_the_expected_items_across_pages(
    seeded: Seeded, pattern: str
) -> None:
    """Given 20,000 seeded items and an auditor's question (user, key, account, outcome, period, everything),
    When it is answered in small pages,
    Then exactly the expected items come, oldest first, over several pages, every item read returned."""
    criteria, expected = PATTERNS[pattern](seeded)
    assert len(expected) > 1
    partitions = len(plan_history(criteria))
    # Small pages, so that an answer spans several (moto costs a pass over the table per page).
    page_size = min(250, max(2, len(expected) // (2 * partitions)))
    found, stats = seeded.query(criteria, page_size)
    assert_exact(found, expected)
    assert stats.pages > len(plan_history(criteria))  # more than one page somewhere
    assert stats.items_read == stats.items_returned == len(expected)  # the key condition did all the work


def test_default_pages_of_one_megabyte_give_the_same_answer(seeded: Seeded) -> None:
    """Given an account and the last 90 days, When read with DynamoDB's default pages,
    Then the answer is the same exact set."""
    criteria, expected = PATTERNS["account and last 90 days"](seeded)
    found, stats = seeded.query(criteria, page_size=None)
    assert_exact(found, expected)
    assert stats.pages >= len(plan_history(criteria))


def test_criteria_beyond_the_index_are_filters_and_cost_reads(seeded: Seeded) -> None:
    """Given an account and an outcome, When answered, Then the outcome is a filter:
    exactly the matching items return, but every item of the account is read."""
    account = SEED_ACCOUNTS[1]
    found, stats = seeded.query(Criteria(account=account, outcomes=(RemediationOutcome.FAILED,)), 250)
    expected = [i for i in seeded.summaries if i["account_id"] == account and i["outcome"] == "FAILED"]
    assert_exact(found, expected)
    assert stats.items_read == len([i for i in seeded.summaries if i["account_id"] == account])
    assert stats.items_returned == len(expected)


def test_a_key_history_spans_its_remediations(seeded: Seeded) -> None:
    """Given the busiest access key, When its history is read two at a time,
    Then there is one item per remediation of it, all of one user, its results in time order."""
    criteria, expected = PATTERNS["access key"](seeded)
    found, _ = seeded.query(criteria, 2)
    assert len({i["pk"] for i in found}) == len(found) > 1  # one item per remediation of that key
    assert all(i["user"]["user_id"] == found[0]["user"]["user_id"] for i in found)
    assert [i["result"] for i in found] == [
        i["result"] for i in sorted(expected, key=lambda i: i["recorded_at"])
    ]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2026-09-01", "2026-09-30", EDGE_TIMES[1:4]),  # whole days, both ends included
        ("2026-09-01", "2026-09-01", EDGE_TIMES[1:3]),
        ("2026-09-01T00:00:00.001Z", None, EDGE_TIMES[2:]),  # a bound is inclusive to the millisecond
        (None, "2026-09-01T00:00:00Z", EDGE_TIMES[:2]),
        ("2026-09-01T02:00:00+02:00", "2026-09-30T19:59:59.999-04:00", EDGE_TIMES[1:4]),  # offsets
        ("2026-08-31T23:59:59.999", "2026-08-31T23:59:59.999", EDGE_TIMES[:1]),  # no offset: UTC
        ("2026-10-01T00:00:00.001Z", None, ()),
    ],
)
def test_date_range_edges(
    seeded: Seeded, since: str | None, until: str | None, expected: tuple[str, ...]
) -> None:
    """Given one remediation at each moment around September's edges,
    When the CLI reads a period (dates, times to the millisecond, offsets, no offset),
    Then exactly the remediations inside it, both ends included, are returned."""
    result = runner.invoke(
        app,
        ["audit", "history", "--account", EDGE_ACCOUNT, "--format", "json", "--table", "keywarden-audit"]
        + (["--since", since] if since else [])
        + (["--until", until] if until else []),
    )
    assert result.exit_code == 0, result.output
    assert [r["recorded_at"] for r in json.loads(result.stdout)] == list(expected)


def test_the_cli_answers_an_auditor_in_json(seeded: Seeded) -> None:
    """Given an account and the last 30 days, When the CLI answers in JSON with --stats,
    Then it prints exactly the expected remediations, and on stderr one read per returned item."""
    since = (seeded.now - timedelta(days=30)).date()
    result = runner.invoke(
        app,
        ["audit", "history", "--account", SEED_ACCOUNTS[2], "--since", since.isoformat(),
         "--format", "json", "--table", "keywarden-audit", "--stats"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    period = Period(since=datetime(since.year, since.month, since.day, tzinfo=UTC))
    expected = [i for i in seeded.summaries if i["account_id"] == SEED_ACCOUNTS[2] and in_period(i, period)]
    assert pks(json.loads(result.stdout)) == pks(expected)
    assert f"{len(expected)} items read, {len(expected)} returned (1.00 read per returned)" in result.stderr


def test_the_cli_writes_csv_rows_per_key(seeded: Seeded) -> None:
    """Given the busiest user name, When the CLI answers in CSV,
    Then there is the header and one row per key (one for a remediation without keys)."""
    criteria, expected = PATTERNS["user name"](seeded)
    result = runner.invoke(
        app,
        ["audit", "history", "--user", str(criteria.user), "--format", "csv", "--table", "keywarden-audit"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode("utf-8").removeprefix("\ufeff").split("\r\n")
    assert lines[0].startswith("recorded_at,account_id,region,user_name,user_id,outcome,reason,access_key_id")
    assert len([line for line in lines[1:] if line]) == sum(max(1, len(i.get("keys", []))) for i in expected)


def test_summary_counts_per_outcome_and_account(seeded: Seeded) -> None:
    """Given the last 120 days, or one account, When summary runs in JSON,
    Then its totals per outcome and per account are the seeded counts."""
    since = (seeded.now - timedelta(days=120)).date()
    result = runner.invoke(
        app,
        ["audit", "summary", "--since", since.isoformat(), "--format", "json", "--table", "keywarden-audit"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    period = Period(since=datetime(since.year, since.month, since.day, tzinfo=UTC))
    inside = [i for i in seeded.summaries if in_period(i, period)]
    assert summary["total"] == len(inside)
    assert {k: v for k, v in summary["by_outcome"].items() if v} == dict(
        Counter(i["outcome"] for i in inside)
    )
    for account in SEED_ACCOUNTS:
        counts = Counter(i["outcome"] for i in inside if i["account_id"] == account)
        assert summary["by_account"][account] == {"total": sum(counts.values()), **counts}
    one = runner.invoke(
        app,
        ["audit", "summary", "--account", SEED_ACCOUNTS[4], "--format", "json", "--table", "keywarden-audit"],
    )
    assert json.loads(one.stdout)["total"] == len(
        [i for i in seeded.summaries if i["account_id"] == SEED_ACCOUNTS[4]]
    )


@pytest.fixture
def api_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every AWS API call (and its parameters) made by any boto3 client created from now on,
    seen by botocore's before-parameter-build event."""
    calls: list[tuple[str, dict[str, Any]]] = []
    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, *args, **kwargs)

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            calls.append((model.name, params))

        made.meta.events.register("before-parameter-build.*.*", record)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return calls


def test_no_question_is_answered_with_a_scan(
    seeded: Seeded, api_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    """Given every kind of history and summary question, When the CLI answers them,
    Then every AWS call is a Query on an index: never a Scan, never the table."""
    key = _busiest([i["access_key_id"] for i in seeded.key_items])
    questions = [
        ["history", "--user", "user-00001"],
        ["history", "--user", seeded.summaries[0]["user_id"]],
        ["history", "--key", key],
        ["history", "--account", SEED_ACCOUNTS[0], "--since", "90d"],
        ["history", "--outcome", "FAILED", "--since", "2026-01-01", "--until", "2026-12-31"],
        ["history", "--account", SEED_ACCOUNTS[0], "--outcome", "REMEDIATED", "--user", "user-00002"],
        ["history", "--since", "400d"],
        ["summary", "--since", "90d"],
        ["summary", "--account", SEED_ACCOUNTS[3]],
    ]
    for question in questions:
        result = runner.invoke(app, ["audit", *question, "--format", "json", "--table", "keywarden-audit"])
        assert result.exit_code == 0, (question, result.output)
    operations = Counter(name for name, _ in api_calls)
    assert set(operations) == {"Query"}, operations
    assert all(params.get("IndexName") for _, params in api_calls)  # always an index, never the table
    assert operations["Query"] >= len(questions)
