"""Benchmark: the real time one remediation costs in the sandbox, `keywarden simulate` end to end.

Prints figures; asserts nothing. Runs `keywarden simulate --json` as a separate process on a
scenario of 1 user and of N users (each with one access key 120 days old; half never used it and
have it deactivated, half used it today and have their owner told, by email and Slack), and
reports each run's real and CPU time (the process and its threads) and the marginal cost of a
remediation, (t_N - t_1) / (N - 1): what each further user adds once the sandbox has started.
The target (issue 12) is at most 0.1 s of real time per remediation, N = 100, on a quiet machine:
on a busy one, real time says more about the neighbours than about keywarden.

Run: make bench-remediation   (or .venv/bin/python benchmarks/remediation_cost.py [--users N])
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KEYWARDEN = [sys.executable, "-m", "keywarden.cli"]


def scenario(users: int) -> dict[str, Any]:
    def user(n: int) -> dict[str, Any]:
        if n % 2 == 0:
            return {"name": f"user{n:04d}", "keys": [{"created_days_ago": 120, "last_used_days_ago": None}]}
        return {
            "name": f"user{n:04d}",
            "tags": {"owner-email": f"owner{n}@example.com", "slack-channel": "payments-alerts"},
            "keys": [{"created_days_ago": 120, "last_used_days_ago": 0}],
        }

    return {"max_access_key_age": 90, "users": [user(n) for n in range(users)]}


def timed_simulate(path: Path) -> tuple[float, float, int]:
    """Real seconds, CPU seconds and executions of one `keywarden simulate --json` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*KEYWARDEN, "simulate", str(path), "--json"], capture_output=True, text=True, check=True
    )
    real = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    executions = sum(1 for user in json.loads(finished.stdout)["users"] if user["execution"])
    return real, cpu, executions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=100, help="N, the larger scenario's users (default 100)")
    users = parser.parse_args().users
    with tempfile.TemporaryDirectory() as folder:
        figures = {}
        for count in (1, users):
            path = Path(folder) / f"users-{count}.json"
            path.write_text(json.dumps(scenario(count)))
            figures[count] = timed_simulate(path)
            real, cpu, executions = figures[count]
            print(f"{count:5d} users: {real:6.1f} s real, {cpu:6.1f} s CPU, {executions} executions")
    (real_1, cpu_1, _), (real_n, cpu_n, _) = figures[1], figures[users]
    print(
        f"marginal cost of a remediation: {(real_n - real_1) / (users - 1):.3f} s real, "
        f"{(cpu_n - cpu_1) / (users - 1):.3f} s CPU"
    )


if __name__ == "__main__":
    main()
