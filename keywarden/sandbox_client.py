"""Talk to a running `keywarden sandbox` from another process (no moto needed on this side).

Besides the AWS APIs (moto's server), a sandbox answers two keywarden requests:
- GET  /keywarden/sandbox    -> where things are: region, account, audit table name;
- POST /keywarden/scenarios  -> run a scenario inside the sandbox process, answer its report.
Scenarios run there because only that process can back-date IAM keys (they are set on moto's
objects) and run the workflow with its in-process Lambda handlers.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

DESCRIBE_PATH = "/keywarden/sandbox"
SCENARIOS_PATH = "/keywarden/scenarios"


class SandboxError(Exception):
    """The sandbox could not be reached, or refused the request; the message says why."""


@dataclass(frozen=True)
class SandboxDescription:
    url: str
    region: str
    account_id: str
    table_name: str
    exemption_table_name: str
    state_machine_arn: str | None = None
    """The remediation workflow (absent from sandboxes that do not say)."""
    sweep_state_machine_arn: str | None = None
    findings_table_name: str | None = None


def checked_url(url: str) -> str:
    """An http(s) URL without a trailing slash; anything else is refused."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise SandboxError(f"{url!r} is not an http:// or https:// URL")
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    """True for endpoints on this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _request(url: str, body: dict[str, Any] | None, timeout: float) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - checked_url allows http(s) only
        url, data=data, method="POST" if data else "GET", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        return json.loads(answer.read().decode())


def _optional(answer: dict[str, Any], name: str) -> str | None:
    value = answer.get(name)
    return str(value) if value else None


def describe_sandbox(url: str, timeout: float = 3.0) -> SandboxDescription | None:
    """The sandbox at `url`, or None when what answers there is not a keywarden sandbox."""
    try:
        answer = _request(checked_url(url) + DESCRIBE_PATH, None, timeout)
        return SandboxDescription(
            url=checked_url(url),
            region=str(answer["region"]),
            account_id=str(answer["account_id"]),
            table_name=str(answer["table_name"]),
            exemption_table_name=str(answer["exemption_table_name"]),
            state_machine_arn=_optional(answer, "state_machine_arn"),
            sweep_state_machine_arn=_optional(answer, "sweep_state_machine_arn"),
            findings_table_name=_optional(answer, "findings_table_name"),
        )
    except (OSError, ValueError, KeyError, TypeError, SandboxError):
        return None


def run_scenario_remotely(url: str, scenario: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
    """Run a scenario in the sandbox at `url`; its report as JSON values."""
    target = checked_url(url) + SCENARIOS_PATH
    try:
        report: dict[str, Any] = _request(target, scenario, timeout)
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read().decode())["error"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {error.code}: is {url} a keywarden sandbox (`keywarden sandbox --port P`)?"
        raise SandboxError(message) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise SandboxError(
            f"no keywarden sandbox answers at {url} ({reason}); start one with `keywarden sandbox --port P`"
        ) from error
    return report
