"""Benchmark: the first evaluation's burst, N flagged users at once, at SSM's default quota.

Prints figures; asserts nothing. Three policies run against the same emulated SSM (100 running,
1,000 queued, then AutomationExecutionLimitExceeded), the same users (one stale, unused key each)
and the same runbook duration, each in a fresh sandbox on the virtual clock:

- keywarden: every user's Config event at t = 0 through the real workflow (EventBridge, Step
  Functions, the functions, DynamoDB), as deployed with the default settings;
- ASR: Automated Security Response's pacing, one StartAutomationExecution per 3 s per account and
  Region, then GetAutomationExecution every 10 s until a terminal status (a refused start is a
  failure: one attempt, as scheduled);
- Config: AWS Config's built-in remediation with the seed's settings, every resource at t = 0,
  a refused start retried up to 5 attempts, 60 s apart, then given up.

For each: makespan (first event to last outcome, simulated) and its ratio to the bound
ceil(N / 100) x T; remediated / FAILED / TIMED_OUT / lost (a flagged user with no outcome);
duplicate automations (a user with more than one); per remediation: start calls accepted and
refused, get calls, throttled calls, state transitions (retries included, as billed) and function
invocations; the list-price cost per 1,000 remediations; real time. Then the detection lag after
the automation ends (p50 / p95) for runbook durations drawn from 5-300 s, and a PNG of
completions over simulated time.

Run: make bench-burst   (or .venv/bin/python benchmarks/burst.py [--users N] [--lag-users M])
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from domain.runbook import AUTOMATION_TERMINAL, RUNBOOK_NAME, AutomationStatus
from keywarden.sandbox import Sandbox
from keywarden.sandbox.ssm.automation import AutomationBehaviour
from keywarden.scenario import AutomationSpec, KeySpec, UserSpec

RUNBOOK_SECONDS = 30.0
QUOTA = 100
# List prices, us-east-1 (aws.amazon.com/step-functions/pricing, aws.amazon.com/lambda/pricing):
# Standard workflows $0.025 per 1,000 state transitions, retries included; Lambda $0.20 per million
# requests. Lambda duration, DynamoDB, SNS and the automation itself (the same runbook for all
# three policies) are left out: the sandbox does not measure them.
PRICE_PER_TRANSITION = 0.025 / 1000
PRICE_PER_INVOCATION = 0.20 / 1_000_000
LIMIT_EXCEEDED = "AutomationExecutionLimitExceededException"
PNG = Path("build/burst.png")


@dataclass
class PolicyRun:
    policy: str
    users: int
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    """Why users were not remediated: outcome and the recorded reason."""
    completions: list[float] = field(default_factory=list)
    """Simulated seconds after the burst at which each remediated user's run ended, as the policy saw it."""
    lags: list[float] = field(default_factory=list)
    """Seconds between an automation's end and the policy acting on it."""
    lost: int = 0
    duplicate_automations: int = 0
    starts_accepted: int = 0
    starts_refused: int = 0
    get_calls: int = 0
    throttled_calls: int = 0
    transitions: int = 0
    invocations: int = 0
    real_seconds: float = 0.0

    @property
    def makespan(self) -> float:
        return max(self.completions, default=0.0)

    @property
    def remediated(self) -> int:
        return self.outcomes["REMEDIATED"]

    def per_remediation(self, count: int) -> float:
        return count / self.remediated if self.remediated else float("nan")

    @property
    def cost_per_thousand(self) -> float:
        spent = self.transitions * PRICE_PER_TRANSITION + self.invocations * PRICE_PER_INVOCATION
        return 1000 * spent / self.remediated if self.remediated else float("nan")


def stale_users(count: int, durations: list[float] | None = None) -> list[UserSpec]:
    """`count` users with one 120-day-old key never used: the runbook deactivates each."""
    return [
        UserSpec(
            name=f"burst{number:05d}",
            keys=[KeySpec(created_days_ago=120)],
            automation=AutomationSpec(duration_seconds=durations[number]) if durations else None,
        )
        for number in range(count)
    ]


def _seconds(moment: datetime, since: datetime) -> float:
    return (moment - since).total_seconds()


def _history(sandbox: Sandbox, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    pages = sandbox.client("stepfunctions").get_paginator("get_execution_history")
    for page in pages.paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def _automation_end(sandbox: Sandbox, execution_id: str) -> datetime | None:
    automation = sandbox.automation.executions.get(execution_id)
    return automation.ended_at if automation else None


def run_keywarden(specs: list[UserSpec]) -> PolicyRun:
    """Every user's NON_COMPLIANT event at once, through the deployed workflow."""
    run = PolicyRun("keywarden", len(specs))
    with Sandbox(automation=AutomationBehaviour(duration_seconds=RUNBOOK_SECONDS)) as sandbox:
        users = [sandbox.add_user(spec) for spec in specs]
        began, started = sandbox.clock.now(), time.perf_counter()
        with sandbox.scheduler.paused():
            for user in users:
                sandbox.put_event(sandbox.compliance_change(user.user_id))
        # Every execution EventBridge started, its retries included: past StartExecution's burst
        # (1,300) a delivery is throttled and retried later, after put_event returned.
        executions = sorted({d.execution_arn for d in sandbox.delivery.deliveries if d.execution_arn})
        run.real_seconds = time.perf_counter() - started
        recorded: set[str] = set()
        for arn in executions:
            _read_execution(sandbox, arn, began, run, recorded)
        run.lost = sum(1 for user in users if user.user_id not in recorded)
        _automation_counts(sandbox, run)
    return run


def _read_execution(sandbox: Sandbox, arn: str, began: datetime, run: PolicyRun, recorded: set[str]) -> None:
    items = sandbox.audit_items(arn)
    if not items:
        return
    summary = items[0]
    run.outcomes[str(summary["outcome"])] += 1
    recorded.add(str(summary["user_id"]))
    events = _history(sandbox, arn)
    entered = [e for e in events if "stateEnteredEventDetails" in e]
    scheduled = [e for e in events if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled")]
    task_entries = sum(1 for e in entered if e["type"] == "TaskStateEntered")
    run.transitions += len(entered) + (len(scheduled) - task_entries)  # each retry is billed
    run.invocations += sum(1 for e in scheduled if e["type"] == "LambdaFunctionScheduled")
    run.get_calls += sum(
        1
        for e in scheduled
        if e.get("taskScheduledEventDetails", {}).get("resource") == "getAutomationExecution"
    )
    run.throttled_calls += sum(
        1
        for e in events
        if "Throttl" in str(e.get("taskFailedEventDetails", {}).get("error", ""))
        or "Throttl" in str(e.get("lambdaFunctionFailedEventDetails", {}).get("error", ""))
    )
    if summary["outcome"] != "REMEDIATED":
        run.reasons[f"{summary['outcome']}: {summary.get('reason')}"] += 1
        return
    conclude = next(e for e in entered if e["stateEnteredEventDetails"]["name"] == "Conclude")
    run.completions.append(_seconds(conclude["timestamp"], began))
    execution_id = (summary.get("automation") or {}).get("execution_id")
    ended = _automation_end(sandbox, str(execution_id)) if execution_id else None
    if ended is not None:
        run.lags.append(_seconds(conclude["timestamp"], ended))


def _automation_counts(sandbox: Sandbox, run: PolicyRun) -> None:
    counters = sandbox.automation.counters
    run.starts_accepted = counters.accepted
    run.starts_refused = counters.refused
    run.duplicate_automations = sum(1 for count in counters.per_resource_id.values() if count > 1)


def _start_parameters(sandbox: Sandbox, user_id: str) -> dict[str, Any]:
    return {
        "DocumentName": RUNBOOK_NAME,
        "DocumentVersion": "1",
        "Parameters": {
            "AutomationAssumeRole": [sandbox.stack.automation_role_arn],
            "IAMResourceId": [user_id],
            "MaxCredentialUsageAge": [str(sandbox.settings.credential_usage_age)],
        },
    }


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__))


def _peer(
    name: str,
    specs: list[UserSpec],
    start_at: Callable[[int], float],
    attempts: int,
    retry_seconds: float,
    poll_seconds: float | None,
) -> PolicyRun:
    """A remediation service that calls SSM itself: one task per user, on the same virtual clock."""
    run = PolicyRun(name, len(specs))
    with Sandbox(automation=AutomationBehaviour(duration_seconds=RUNBOOK_SECONDS)) as sandbox:
        users = [sandbox.add_user(spec) for spec in specs]
        ssm, clock = sandbox.client("ssm"), sandbox.clock
        began, started = clock.now(), time.perf_counter()
        seen: dict[str, datetime | None] = {}
        """Automation id -> when the policy saw it end (None: Config, which follows it itself)."""

        def remediate(user_id: str) -> None:
            for attempt in range(attempts):
                try:
                    answer = ssm.start_automation_execution(**_start_parameters(sandbox, user_id))
                    break
                except ssm.exceptions.ClientError as error:
                    code = _error_code(error)
                    run.throttled_calls += "Throttl" in code
                    if (code != LIMIT_EXCEEDED and "Throttl" not in code) or attempt == attempts - 1:
                        run.outcomes["FAILED"] += 1
                        return
                    clock.sleep(retry_seconds)
            execution_id = answer["AutomationExecutionId"]
            seen[execution_id] = None
            while poll_seconds is not None:
                clock.sleep(poll_seconds)
                run.get_calls += 1
                try:
                    status = ssm.get_automation_execution(AutomationExecutionId=execution_id)
                except ssm.exceptions.ClientError as error:
                    run.throttled_calls += "Throttl" in _error_code(error)
                    continue
                state = status["AutomationExecution"]["AutomationExecutionStatus"]
                if AutomationStatus(state) in AUTOMATION_TERMINAL:
                    seen[execution_id] = clock.now()
                    return

        for number, user in enumerate(users):
            sandbox.scheduler.spawn(
                lambda user_id=user.user_id: remediate(user_id),
                name=f"{name}-{number}",
                at=began + timedelta(seconds=start_at(number)),
            )
        sandbox.scheduler.run_until_idle()
        clock.sleep(86_400)  # Config's automations run on after its last call: let every one end
        for execution_id, seen_at in seen.items():
            sandbox.automation.describe(execution_id)
            automation = sandbox.automation.executions[execution_id]
            succeeded = automation.status is AutomationStatus.SUCCESS and automation.ended_at is not None
            run.outcomes["REMEDIATED" if succeeded else "FAILED"] += 1
            if succeeded and automation.ended_at is not None:
                acted = seen_at or automation.ended_at
                run.completions.append(_seconds(acted, began))
                run.lags.append(_seconds(acted, automation.ended_at))
        run.real_seconds = time.perf_counter() - started
        run.lost = len(users) - sum(run.outcomes.values())
        _automation_counts(sandbox, run)
    return run


def run_asr(specs: list[UserSpec]) -> PolicyRun:
    return _peer("ASR", specs, start_at=lambda n: 3.0 * n, attempts=1, retry_seconds=0, poll_seconds=10)


def run_config(specs: list[UserSpec]) -> PolicyRun:
    return _peer("Config", specs, start_at=lambda n: 0.0, attempts=5, retry_seconds=60, poll_seconds=None)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def _table(runs: list[PolicyRun]) -> str:
    bound = math.ceil(runs[0].users / QUOTA) * RUNBOOK_SECONDS
    rows = [
        ("makespan (simulated s)", lambda r: f"{r.makespan:,.0f}"),
        (f"makespan / bound ({bound:,.0f} s)", lambda r: f"{r.makespan / bound:.2f}"),
        ("remediated", lambda r: f"{r.remediated:,}"),
        ("FAILED", lambda r: f"{r.outcomes['FAILED']:,}"),
        ("TIMED_OUT", lambda r: f"{r.outcomes['TIMED_OUT']:,}"),
        ("other outcomes", lambda r: _others(r)),
        ("lost (no outcome)", lambda r: f"{r.lost:,}"),
        ("users with duplicate automations", lambda r: f"{r.duplicate_automations:,}"),
        ("start calls accepted / remediation", lambda r: f"{r.per_remediation(r.starts_accepted):.2f}"),
        ("start calls refused / remediation", lambda r: f"{r.per_remediation(r.starts_refused):.2f}"),
        ("get calls / remediation", lambda r: f"{r.per_remediation(r.get_calls):.2f}"),
        ("throttled calls / remediation", lambda r: f"{r.per_remediation(r.throttled_calls):.2f}"),
        ("state transitions / remediation", lambda r: f"{r.per_remediation(r.transitions):.1f}"),
        ("function invocations / remediation", lambda r: f"{r.per_remediation(r.invocations):.2f}"),
        ("cost per 1,000 remediations (USD)", lambda r: f"{r.cost_per_thousand:.4f}"),
        ("real time (s)", lambda r: f"{r.real_seconds:,.0f}"),
    ]
    header = "| | " + " | ".join(r.policy for r in runs) + " |"
    lines = [header, "|---" * (len(runs) + 1) + "|"]
    lines += ["| " + label + " | " + " | ".join(cell(r) for r in runs) + " |" for label, cell in rows]
    return "\n".join(lines)


def _others(run: PolicyRun) -> str:
    others = {k: v for k, v in run.outcomes.items() if k not in ("REMEDIATED", "FAILED", "TIMED_OUT")}
    return ", ".join(f"{k} {v}" for k, v in sorted(others.items())) or "0"


def _plot(runs: list[PolicyRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5))
    for run in runs:
        times = sorted(run.completions)
        axes.step([t / 60 for t in times], range(1, len(times) + 1), where="post", label=run.policy)
    axes.set_xlabel("simulated minutes after the first evaluation")
    axes.set_ylabel("users remediated")
    axes.set_title(
        f"{runs[0].users:,} flagged users, {QUOTA} concurrent automations, {RUNBOOK_SECONDS:.0f} s runbook"
    )
    axes.legend()
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=5000, help="flagged users (default 5,000)")
    parser.add_argument(
        "--lag-users", type=int, default=300, help="users of the detection-lag runs (default 300)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the lag runs' durations")
    arguments = parser.parse_args()
    specs = stale_users(arguments.users)
    print(
        f"burst: {arguments.users:,} flagged users, quota {QUOTA} running / 1,000 queued, "
        f"runbook {RUNBOOK_SECONDS:.0f} s"
    )
    runs = []
    for policy in (run_keywarden, run_asr, run_config):
        runs.append(policy(specs))
        print(f"{runs[-1].policy}: done in {runs[-1].real_seconds:,.0f} s of real time", flush=True)
    print(_table(runs))
    for run in runs[:1]:  # ASR's and Config's failures are refused starts, counted in the table
        for reason, count in run.reasons.most_common():
            print(f"{run.policy}, not remediated: {count:,} x {reason}")
    _plot(runs, PNG)
    print(f"completions over simulated time: {PNG}")

    drawn = random.Random(arguments.seed)  # noqa: S311 - runbook durations, not secrets
    durations = [drawn.uniform(5, 300) for _ in range(arguments.lag_users)]
    lag_specs = stale_users(arguments.lag_users, durations)
    print(
        f"\ndetection lag after the automation ends, {arguments.lag_users} users, "
        f"runbook durations uniform in 5-300 s (seed {arguments.seed}):"
    )
    for run in (run_keywarden(lag_specs), run_asr(lag_specs)):
        print(
            f"  {run.policy:<10} p50 {_percentile(run.lags, 0.5):5.1f} s   "
            f"p95 {_percentile(run.lags, 0.95):5.1f} s   ({len(run.lags)} automations)"
        )


if __name__ == "__main__":
    main()
