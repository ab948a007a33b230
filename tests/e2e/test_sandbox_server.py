"""`keywarden sandbox` outlives one command: demo and audit from separate processes.

Each command is a real process (subprocess, with timeouts); the server is always stopped.
"""

from __future__ import annotations

import json
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
KEYWARDEN = [sys.executable, "-m", "keywarden.cli"]
START_TIMEOUT = 60


def quiet_aws_environment(home: Path) -> dict[str, str]:
    """No AWS credentials, profile or region anywhere: nothing here can reach real AWS."""
    (home / "empty").write_text("")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(home / "empty"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "empty"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@dataclass
class RunningSandbox:
    process: subprocess.Popen[str]
    url: str
    output: queue.Queue[str]
    home: Path

    def run(self, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [*KEYWARDEN, *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=quiet_aws_environment(self.home),
            check=False,
        )


def _read_lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    home = tmp_path_factory.mktemp("home")
    # A developer signed in to a real account, whose calls would go to a dead endpoint: the
    # workflow inside the sandbox must not use any of it (it runs against the in-process mock).
    (home / "config").write_text("[profile production]\nregion = eu-west-3\n")
    (home / "credentials").write_text(
        "[production]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    environment = quiet_aws_environment(home) | {
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PROFILE": "production",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*KEYWARDEN, "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    output: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, output), daemon=True)
    reader.start()
    try:
        url = None
        while url is None:
            line = output.get(timeout=START_TIMEOUT)
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        yield RunningSandbox(process, url, output, home)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        reader.join(timeout=5)


def test_demo_then_audit_history_from_separate_processes(sandbox_server: RunningSandbox) -> None:
    """Given a running sandbox server (and a real-looking AWS profile it must ignore),
    When the demo runs, then audit history for bob, each in its own process,
    Then the history holds bob's demo remediation: key left active, owner told, time recorded."""
    demo = sandbox_server.run("demo", "--endpoint-url", sandbox_server.url)
    assert demo.returncode == 0, demo.stderr
    assert "bob - KEYS_LEFT_ACTIVE" in demo.stdout
    assert "alice - REMEDIATED" in demo.stdout

    history = sandbox_server.run(
        "audit",
        "history",
        "--user",
        "bob",
        "--endpoint-url",
        sandbox_server.url,
        "--format",
        "json",
        timeout=60,
    )
    assert history.returncode == 0, history.stderr
    [bob] = json.loads(history.stdout)
    assert (bob["user_name"], bob["outcome"]) == ("bob", "KEYS_LEFT_ACTIVE")
    [key] = bob["keys"]
    assert (key["result"], key["status_after"], key["days_since_last_use"]) == (
        "SKIPPED_RECENTLY_USED",
        "Active",
        0,
    )
    assert bob["owner"]["email"] == "bob.owner@example.com"
    assert bob["notification_message_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", bob["recorded_at"])


def test_a_second_demo_adds_to_the_history(sandbox_server: RunningSandbox) -> None:
    """Given the running server, When the demo runs twice and the summary and bob's history are read,
    Then every run's records stay (append-only): one CSV row per bob remediation."""
    for _ in range(2):
        assert sandbox_server.run("demo", "--endpoint-url", sandbox_server.url).returncode == 0
    summary = sandbox_server.run("audit", "summary", "--endpoint-url", sandbox_server.url, "--format", "json")
    assert summary.returncode == 0, summary.stderr
    counts = json.loads(summary.stdout)
    # The demo replaces alice and bob each time; their earlier records stay (append-only).
    assert counts["by_outcome"]["KEYS_LEFT_ACTIVE"] == counts["by_outcome"]["REMEDIATED"]
    assert counts["by_outcome"]["KEYS_LEFT_ACTIVE"] >= 2
    bob = sandbox_server.run(
        "audit",
        "history",
        "--user",
        "bob",
        "--endpoint-url",
        sandbox_server.url,
        "--format",
        "csv",
        timeout=60,
    )
    rows = [line for line in bob.stdout.removeprefix("\ufeff").splitlines() if line]
    assert len(rows) == 1 + counts["by_outcome"]["KEYS_LEFT_ACTIVE"]


def test_a_scenario_with_other_settings_is_refused_clearly(sandbox_server: RunningSandbox) -> None:
    """Given the running server (90-day limit), When a scenario with a 30-day limit is simulated on it,
    Then it exits 1 saying the settings differ, no traceback."""
    scenario = sandbox_server.home / "strict.json"
    scenario.write_text(json.dumps({"max_access_key_age": 30, "users": [{"name": "carl", "keys": []}]}))
    result = sandbox_server.run("simulate", str(scenario), "--endpoint-url", sandbox_server.url)
    assert result.returncode == 1
    assert "max_access_key_age 30 (the sandbox has 90)" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_a_short_error(sandbox_server: RunningSandbox) -> None:
    """Given the running server's port, When a second server is started on it,
    Then it exits 1 saying it cannot serve there, no traceback."""
    port = sandbox_server.url.rsplit(":", 1)[1]
    result = sandbox_server.run("sandbox", "--port", port, timeout=60)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_without_a_sandbox_is_a_short_error(tmp_path: Path) -> None:
    """Given a port nobody listens on, When the demo is pointed at it,
    Then it exits 1 saying no sandbox answers there."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        result = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [*KEYWARDEN, "demo", "--endpoint-url", f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60, env=quiet_aws_environment(tmp_path), check=False,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"no keywarden sandbox answers at http://127.0.0.1:{port}" in " ".join(result.stderr.split())


def test_the_server_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """Given a server started and listening, When it gets SIGTERM, Then it exits 0 and says it stopped."""
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [*KEYWARDEN, "sandbox", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=quiet_aws_environment(tmp_path),
    )  # fmt: skip
    output: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, output), daemon=True).start()
    try:
        while "listening on" not in output.get(timeout=START_TIMEOUT):
            pass
        process.terminate()
        assert process.wait(timeout=15) == 0
        lines = []
        while not output.empty():
            lines.append(output.get())
        assert any("keywarden sandbox stopped" in line for line in lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def test_exemptions_from_separate_processes_protect_a_user(sandbox_server: RunningSandbox) -> None:
    """Given the running server,
    When svc-payroll is exempted, listed, simulated, unexempted and simulated again,
    each in its own process,
    Then the exemption is listed ACTIVE with who added it, the user is EXEMPT, then REMEDIATED."""
    url = sandbox_server.url
    added = sandbox_server.run(
        "exemptions", "add", "svc-payroll", "--reason", "payroll freeze until year end",
        "--expires", "14d", "--endpoint-url", url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "exempted 'svc-payroll' until" in added.stdout
    listed = sandbox_server.run("exemptions", "list", "--format", "json", "--endpoint-url", url)
    [exemption] = [e for e in json.loads(listed.stdout) if e["user"] == "svc-payroll"]
    assert (exemption["reason"], exemption["status"]) == ("payroll freeze until year end", "ACTIVE")
    assert exemption["added_by"].startswith("arn:aws:")

    scenario = sandbox_server.home / "payroll.json"
    scenario.write_text(json.dumps({"users": [{"name": "svc-payroll", "keys": [{"created_days_ago": 200}]}]}))
    exempt = sandbox_server.run("simulate", str(scenario), "--json", "--endpoint-url", url)
    assert exempt.returncode == 0, exempt.stderr
    [user] = json.loads(exempt.stdout)["users"]
    assert user["outcome"] == "EXEMPT"
    assert user["exemption"]["reason"] == "payroll freeze until year end"

    removed = sandbox_server.run("exemptions", "remove", "svc-payroll", "--endpoint-url", url)
    assert removed.returncode == 0, removed.stderr
    remediated = sandbox_server.run("simulate", str(scenario), "--json", "--endpoint-url", url)
    [user] = json.loads(remediated.stdout)["users"]
    assert user["outcome"] == "REMEDIATED"
