"""Posting JSON to a chat service's incoming webhook: timeout, retries with back-off, Retry-After.

A webhook URL is a secret (anyone holding it can post to the channel): it is never logged,
never put in an error message, and only https is accepted (plain http only on loopback, for
the local sandbox). The webhook secret holds a bare URL or {"default": url, "channels": {...}}.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class WebhookDeliveryError(Exception):
    """The message could not be posted; the message says why, never where."""


def safe_url(url: str) -> str:
    """The URL, if it is https (or http on loopback); the error never echoes it."""
    parts = urlsplit(url.strip())
    secure = parts.scheme == "https" and bool(parts.hostname)
    if secure or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url.strip()
    raise ValueError("a webhook URL must be https:// (http:// only on loopback)")


class Webhooks(BaseModel):
    """A webhook secret's value: the default webhook, and optional webhooks per channel name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # repr=False: printing or logging the model must not show the URLs.
    default: str = Field(repr=False)
    channels: dict[str, str] = Field(default_factory=dict, repr=False)

    @field_validator("default")
    @classmethod
    def _default_is_safe(cls, url: str) -> str:
        return safe_url(url)

    @field_validator("channels")
    @classmethod
    def _channels_are_safe(cls, channels: dict[str, str]) -> dict[str, str]:
        return {name: safe_url(url) for name, url in channels.items()}


ChannelName = Callable[[str], str | None]
"""Normalises a channel name of the secret (`payments` -> `#payments`); None when it is not one."""


def parse_webhooks(secret_value: str, service: str, channel_name: ChannelName | None = None) -> Webhooks:
    """A bare webhook URL, or {"default": url, "channels": {name: url}} (channels only where
    `channel_name` says what a channel is). Refused without echoing the value."""
    text = secret_value.strip()
    try:
        webhooks = (
            Webhooks.model_validate(json.loads(text)) if text.startswith("{") else Webhooks(default=text)
        )
    except ValidationError as error:
        # Locations and messages only: the input values are secrets.
        where = "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in error.errors())
        raise WebhookDeliveryError(f"the {service} webhook secret is not usable ({where})") from None
    except ValueError:
        raise WebhookDeliveryError(f"the {service} webhook secret is not usable (not JSON)") from None
    if webhooks.channels and channel_name is None:
        raise WebhookDeliveryError(
            f"the {service} webhook secret is not usable (channels: {service} webhooks are not "
            "routed per channel; give the default webhook only)"
        )
    normalised = {}
    for name, url in webhooks.channels.items():
        channel = channel_name(name) if channel_name else None
        if channel is None:
            raise WebhookDeliveryError(
                f"the {service} webhook secret is not usable (channels: {name!r} is not a channel name)"
            )
        normalised[channel] = url
    return webhooks.model_copy(update={"channels": normalised})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    timeout_seconds: float = 5.0
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 20.0
    jitter: bool = True


@dataclass(frozen=True)
class Attempt:
    status: int | None
    """HTTP status, None when no answer came (timeout, connection refused)."""
    error: str | None
    waited_seconds: float


@dataclass(frozen=True)
class Delivered:
    attempts: tuple[Attempt, ...]


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _monotonic() -> float:
    return time.monotonic()


def _retry_after(value: str | None) -> float | None:
    """Retry-After is seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _backoff(attempt: int, policy: RetryPolicy) -> float:
    ceiling = min(policy.max_delay_seconds, policy.base_delay_seconds * 2 ** (attempt - 1))
    return random.uniform(0, ceiling) if policy.jitter else ceiling  # noqa: S311 - jitter, not crypto


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook never redirects; following one could send the message somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post_once(
    url: str, body: bytes, timeout: float, service: str
) -> tuple[int | None, str | None, float | None]:
    """(status, error, Retry-After seconds) of one POST; never lets the URL reach an error."""
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in safe_url
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return int(answer.status), None, None
    except urllib.error.HTTPError as error:
        try:
            detail = error.read(200).decode("utf-8", "replace").strip()
        except OSError:
            detail = ""
        retry_after = _retry_after(error.headers.get("Retry-After"))
        return error.code, f"{service} answered {error.code} {detail}".strip(), retry_after
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        kind = "timed out" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else "failed"
        return None, f"the request {kind} ({type(reason).__name__})", None


def post_json(
    url: str,
    payload: dict[str, Any],
    policy: RetryPolicy,
    budget_seconds: float,
    service: str,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] | None = None,
) -> Delivered:
    """POST `payload` to `service`'s webhook; retry 429 and 5xx (waiting Retry-After when given) and
    timeouts with exponential back-off, within `budget_seconds`. Raises WebhookDeliveryError."""
    pause, clock = sleep or _sleep, monotonic or _monotonic
    started = clock()
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    attempts: list[Attempt] = []
    waited = 0.0
    for number in range(1, policy.max_attempts + 1):
        remaining = budget_seconds - (clock() - started)
        timeout = min(policy.timeout_seconds, max(remaining, 0.1))
        status, error, retry_after = _post_once(url, body, timeout, service)
        attempts.append(Attempt(status, error, waited))
        if status is not None and 200 <= status < 300:
            return Delivered(tuple(attempts))
        retryable = status is None or status in RETRYABLE_STATUS
        if not retryable:
            raise WebhookDeliveryError(f"{error}; not retried (attempt {number})")
        if number == policy.max_attempts:
            break
        waited = retry_after if retry_after is not None else _backoff(number, policy)
        if clock() - started + waited + policy.timeout_seconds > budget_seconds:
            raise WebhookDeliveryError(
                f"{error}; gave up after {number} attempt(s): the next one (in {waited:.0f} s) "
                "would not finish within the function's time"
            )
        pause(waited)
    raise WebhookDeliveryError(f"{attempts[-1].error}; gave up after {policy.max_attempts} attempts")
