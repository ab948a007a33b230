"""The sandbox is the same whatever the host's time zone: here, the farthest one from UTC (+14:00)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keywarden.sandbox import Sandbox
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.stepfunctions.interpreter import _clock_datetime_module, as_json_value
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e

FAR_OFF_ZONE = "Pacific/Kiritimati"
START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def far_off_time_zone() -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = FAR_OFF_ZONE
    time.tzset()
    try:
        assert time.strftime("%z", time.localtime(START.timestamp())) == "+1400"  # the zone applies
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def _details(history: list[dict[str, object]]) -> str:
    """Every input and output the workflow's states saw, as text (not the events' own timestamps,
    which boto3 renders in the reader's zone)."""
    return json.dumps([{k: v for k, v in event.items() if k.endswith("EventDetails")} for event in history])


def test_the_workflow_state_carries_aws_sdk_timestamps_in_utc(far_off_time_zone: None) -> None:
    """Given a host at UTC+14, when a remediation runs, then the automation's start time reaches the
    workflow's state as the UTC instant it is (botocore hands it over in the host's zone), and no
    +14:00 timestamp is anywhere in the execution's data."""
    with Sandbox(clock=VirtualClock(START)) as sandbox:
        user = sandbox.add_user(UserSpec(name="kiri", keys=[KeySpec(created_days_ago=120)]))
        [execution] = sandbox.put_event(sandbox.compliance_change(user.user_id))
        assert sandbox.execution(execution).status == "SUCCEEDED"
        [automation] = sandbox.automation.executions.values()
        history = sandbox.client("stepfunctions").get_execution_history(
            executionArn=execution, maxResults=1000
        )["events"]
    details = _details(history)
    assert automation.started_at.isoformat() in details  # e.g. 2026-11-28T12:00:01+00:00
    assert automation.started_at.isoformat().endswith("+00:00")
    assert "+14:00" not in details


def test_config_recorder_times_are_the_virtual_clock_in_utc(far_off_time_zone: None) -> None:
    """Given a host at UTC+14, then the recorder's lastStartTime is the instant the sandbox's clock
    started (moto, left alone, is 14 hours off: it reads its UTC wall time as local time)."""
    with Sandbox(clock=VirtualClock(START)) as sandbox:
        [status] = sandbox.client("config").describe_configuration_recorder_status()[
            "ConfigurationRecordersStatus"
        ]
    assert status["lastStartTime"] == START


def test_a_timestamp_in_the_host_zone_becomes_its_utc_instant(far_off_time_zone: None) -> None:
    """Given a datetime in the host's zone (as botocore parses epoch timestamps), then the state gets
    the same instant written in UTC."""
    local = datetime.fromtimestamp(START.timestamp()).astimezone()  # 2026-11-29T02:00:00+14:00
    assert local.utcoffset() is not None
    assert local.isoformat() == "2026-11-29T02:00:00+14:00"
    assert as_json_value({"At": [local]}) == {"At": ["2026-11-28T12:00:00+00:00"]}


def test_the_interpreters_naive_now_is_utc_wall_time(far_off_time_zone: None) -> None:
    """Given a host at UTC+14, then datetime.now() without a zone, as the interpreter's modules see it,
    is the virtual clock's UTC wall time, as moto's naive times are (not 14 hours ahead)."""
    stand_in = _clock_datetime_module(VirtualClock(START)).datetime
    assert stand_in.now() == datetime(2026, 11, 28, 12, 0, 0)  # naive, on purpose
    assert stand_in.now(UTC) == START
