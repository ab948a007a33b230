"""Shared fixtures. Unit tests block sockets (pytest-socket); the sandbox needs none either."""

from __future__ import annotations

import os

import pytest

# Handlers read Powertools settings at import; tests never emit traces or metrics.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "keywarden-tests")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--lenient-paths",
        action="store_true",
        help="run tests/interpreter with the strict-path rules off (moto's own behaviour): they should fail",
    )
