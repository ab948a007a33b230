"""Benchmark: `keywarden audit history --account` over 20,000 audit items in the sandbox.

Prints figures; asserts nothing. For each case: wall time (median of the runs), items returned,
items DynamoDB read (ScannedCount, before filters) and so items read per item returned, pages
and queries. The data are the tests' (keywarden.sandbox.fixtures.seed): whole remediations, a summary
item and one item per key, built by the workflow's own code.

Cases:
- library: the query code in process, against moto (no HTTP, no rendering);
- cli over http: `keywarden audit history ... --format json` as a separate process against
  `keywarden sandbox` (what an auditor waits for: Python start-up, HTTP, JSON out).
moto is not DynamoDB: it walks the whole table for every page, so times here say little about
AWS; the read/returned ratio is the design's own (key conditions read only what they return).

Run: make bench-audit   (or .venv/bin/python benchmarks/audit_history.py [--runs N])
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.results import RemediationOutcome
from keywarden.audit.periods import Period
from keywarden.audit.queries import Criteria, QueryStats, plan_history, read_items
from keywarden.sandbox import Sandbox
from keywarden.sandbox.fixtures.seed import SEED_ACCOUNTS, seed_audit_table, synthetic_history
from keywarden.sandbox.servers.server import SandboxServer

ITEMS = 20_000
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _library(sandbox: Sandbox, criteria: Criteria, runs: int) -> tuple[list[float], QueryStats, int]:
    times, stats, returned = [], QueryStats(), 0
    client, table = sandbox.client("dynamodb"), sandbox.stack.table_name
    for _ in range(runs):
        stats = QueryStats()
        started = time.perf_counter()
        found = read_items(client, table, plan_history(criteria), criteria.period, stats=stats)
        returned = sum(1 for _ in found)
        times.append(time.perf_counter() - started)
    return times, stats, returned


def _cli(url: str, arguments: list[str], runs: int) -> tuple[list[float], str, int]:
    times, stats_line, size = [], "", 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "keywarden.cli", "audit", "history", *arguments,
             "--endpoint-url", url, "--format", "json", "--stats"],
            capture_output=True, text=True, timeout=1800, check=True,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        stats_line, size = done.stderr.strip().replace("\n", " "), len(done.stdout.encode())
    return times, stats_line, size


def _report(name: str, times: list[float], stats: QueryStats, returned: int) -> None:
    ratio = stats.items_read / returned if returned else float("nan")
    each = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"  {name:<48} median {statistics.median(times):7.2f} s (runs: {each})\n"
        f"  {'':<48} returned {returned}, read {stats.items_read} -> {ratio:.3f} read per returned; "
        f"{stats.pages} pages, {stats.queries} queries"
    )


def _case(title: str, items: list[dict[str, Any]], account: str, runs: int) -> None:
    summaries = [i for i in items if i["sk"] == "REMEDIATION"]
    per_account = Counter(i["account_id"] for i in summaries)
    key_items = len(items) - len(summaries)
    print(
        f"\n{title}: {len(items)} items ({len(summaries)} remediations, {key_items} key items); "
        f"account {account} holds {per_account[account]} remediations"
    )
    with Sandbox() as sandbox:
        started = time.perf_counter()
        seed_audit_table(sandbox.stack.table_name, sandbox.region, sandbox.account_id, items)
        print(f"  seeded in {time.perf_counter() - started:.1f} s (straight into moto)")
        for label, criteria in (
            ("library: --account", Criteria(account=account)),
            (
                "library: --account --since 90d",
                Criteria(account=account, period=Period(since=NOW - timedelta(days=90))),
            ),
            (
                "library: --account --outcome FAILED (a filter)",
                Criteria(account=account, outcomes=(RemediationOutcome.FAILED,)),
            ),
        ):
            _report(label, *_library(sandbox, criteria, runs))
        with SandboxServer(sandbox) as server:
            times, stats_line, size = _cli(server.url, ["--account", account], runs)
            print(
                f"  {'cli over http: --account':<48} median {statistics.median(times):7.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in times)}), {size / 1e6:.1f} MB of JSON\n"
                f"  {'':<48} {stats_line}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    runs = parser.parse_args().runs
    print(f"keywarden audit history benchmark: {ITEMS} audit items in the sandbox (moto), {runs} runs each")
    _case("Five accounts (the tests' data)", synthetic_history(ITEMS, now=NOW), SEED_ACCOUNTS[0], runs)
    _case(
        "One account (a single-account deployment: --account returns every remediation)",
        synthetic_history(ITEMS, now=NOW, accounts=SEED_ACCOUNTS[:1]),
        SEED_ACCOUNTS[0],
        runs,
    )


if __name__ == "__main__":
    main()
