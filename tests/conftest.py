"""Shared fixtures. Unit tests block sockets (pytest-socket); the sandbox needs none either."""

from __future__ import annotations

import os

# Handlers read Powertools settings at import; tests never emit traces or metrics.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "keywarden-tests")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
