"""AWS Config's configuration recorder in the sandbox: the one the account has, and what it records.

keywarden runs in an account where Config is already set up. The sandbox sets up the recorder
Config's console creates: named "default", recording all supported resource types, started, with
or without the global IAM resource types (the console's "include global resources" box; the
runbook needs it: automated-security-response-on-aws issue #55).

moto answers PutConfigurationRecorder, StartConfigurationRecorder and
DescribeConfigurationRecorders itself. What it lacks, and this module adds:
- nothing in moto reads a recording group: `records_iam_users` applies the rules of
  https://docs.aws.amazon.com/config/latest/APIReference/API_RecordingGroup.html, and the
  inventory (config_inventory.py) discovers IAM users only when the recorder records them;
- DescribeConfigurationRecorderStatus
  (https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigurationRecorderStatus.html):
  moto turns its naive UTC "now" into epoch seconds with time.mktime, i.e. as the host's local
  time, so lastStartTime is off by the host's UTC offset; here Config's times are the virtual
  clock's, in UTC. moto also writes lastStatus "PENDING", not one of the documented values
  (Pending | Success | Failure | NotApplicable): the sandbox's recorder records at once, so its
  last recording event is a Success.
"""

from __future__ import annotations

import calendar
import contextlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
from moto.config import models as config_models
from moto.config.models import ConfigRecorderStatus, config_backends

from domain.config_rule import IAM_USER_RESOURCE_TYPE
from keywarden.sandbox.clock import VirtualClock

RECORDER_NAME = "default"
"""The name Config gives a recorder created without one (the console's)."""


def recording_group(records_iam_users: bool) -> dict[str, Any]:
    """The console's recording group: all supported resource types, global IAM ones or not."""
    return {"allSupported": True, "includeGlobalResourceTypes": records_iam_users}


def records_iam_users(group: Mapping[str, Any]) -> bool:
    """Whether a recording group (as DescribeConfigurationRecorders shows it) records AWS::IAM::User."""
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        # "global IAM resource types will still be automatically recorded in this option unless
        # those resource types are specifically listed as exclusions"
        excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
        return IAM_USER_RESOURCE_TYPE not in excluded
    if IAM_USER_RESOURCE_TYPE in (group.get("resourceTypes") or []):
        return True  # listed types are recorded "regardless of" includeGlobalResourceTypes
    # allSupported records "all supported resource types, excluding the global IAM resource types"
    # unless includeGlobalResourceTypes adds them.
    return bool(group.get("allSupported") and group.get("includeGlobalResourceTypes"))


def recorder_records_iam_users(account_id: str, region: str) -> bool:
    """Whether the region's recorder exists, is recording, and records AWS::IAM::User."""
    recorders = config_backends[account_id][region].recorders
    # Config allows one customer managed recorder per account and region.
    recorder = next(iter(recorders.values()), None)
    return bool(
        recorder is not None
        and recorder.status.recording
        and records_iam_users(recorder.recording_group.to_dict())
    )


def set_up_recorder(account_id: str, region: str, records_iam_users: bool) -> None:
    """Create, give a delivery channel to (Config requires one to start) and start the recorder."""
    config = boto3.client("config", region_name=region)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": RECORDER_NAME,
            "roleARN": f"arn:aws:iam::{account_id}:role/aws-service-role/config.amazonaws.com/"
            "AWSServiceRoleForConfig",
            "recordingGroup": recording_group(records_iam_users),
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": RECORDER_NAME, "s3BucketName": f"config-bucket-{account_id}"}
    )
    config.start_configuration_recorder(ConfigurationRecorderName=RECORDER_NAME)


def change_recording_group(region: str, records_iam_users: bool) -> None:
    """PutConfigurationRecorder on the running recorder: from now on it records IAM users, or not."""
    config = boto3.client("config", region_name=region)
    [recorder] = config.describe_configuration_recorders(ConfigurationRecorderNames=[RECORDER_NAME])[
        "ConfigurationRecorders"
    ]
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": recorder["name"],
            "roleARN": recorder["roleARN"],
            "recordingGroup": recording_group(records_iam_users),
        }
    )


@contextlib.contextmanager
def recorder_on_clock(clock: VirtualClock) -> Iterator[None]:
    """Config's timestamps read the virtual clock, in UTC; a started recorder's last event succeeded."""
    original_start = ConfigRecorderStatus.start

    def naive_utc_now() -> datetime:
        return clock.now().astimezone(UTC).replace(tzinfo=None)  # moto's form: naive UTC

    def epoch_seconds(moment: datetime) -> int:
        return calendar.timegm(moment.timetuple())  # a naive moment is UTC, whatever the host's zone

    def start(self: ConfigRecorderStatus) -> None:
        original_start(self)
        self.last_status = "Success"

    with (
        mock.patch.object(config_models, "utcnow", naive_utc_now),
        mock.patch.object(config_models, "datetime2int", epoch_seconds),
        mock.patch.object(ConfigRecorderStatus, "start", start),
    ):
        yield
