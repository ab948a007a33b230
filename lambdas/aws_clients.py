"""The functions' AWS clients: IAM's and Config's read APIs throttle under a burst, so retry them.

AWS publishes no per-API rate for IAM or Config reads; botocore's standard retry mode backs off
exponentially with jitter on throttling and 5xx errors. A function that still fails after that
fails its Task, and the workflow's failure path records it.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

PATIENT: Config = Config(retries={"mode": "standard", "max_attempts": 8})


def client(service: str) -> Any:
    """A boto3 client that retries throttled calls patiently."""
    return boto3.client(service, config=PATIENT)  # type: ignore[call-overload]
