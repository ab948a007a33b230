"""One boto3 client per service and configuration, not a new one for every call.

Creating a client costs milliseconds (its service model, endpoint rules and event handlers are
built each time), and the sandbox creates many: moto's interpreter builds a new client for every
aws-sdk Task (`boto_client_for`), the emulated runbook for every step, the sandbox's own helpers
for every inspection. boto3 clients are thread-safe, so a client made once is reused by every
later call that asks for the same one: same session, service, region (as resolved at the call),
endpoint, credentials, API version, TLS settings, client Config, and the same AWS_* environment
(which botocore reads for credentials, endpoints, retries and the region).
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from typing import Any
from unittest import mock

import boto3.session
from botocore.config import Config


def _config_key(config: Config | None) -> Hashable:
    if config is None:
        return None
    options: dict[str, Any] = vars(config)["_user_provided_options"]  # what the caller set
    return repr(sorted(options.items()))


def _environment_key() -> Hashable:
    return tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_")))


@contextlib.contextmanager
def cached_clients() -> Iterator[None]:
    """Reuse boto3 clients while the context is open; every client made in it is dropped at the end."""
    original: Callable[..., Any] = boto3.session.Session.client
    clients: weakref.WeakKeyDictionary[boto3.session.Session, dict[Hashable, Any]] = (
        weakref.WeakKeyDictionary()
    )
    creating = threading.RLock()  # reentrant: a client made while another is being made waits for none

    def client(self: boto3.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if args:  # positional options: not worth a key of their own, and rare
            return original(self, service_name, *args, **kwargs)
        config = kwargs.get("config")
        region = kwargs.get("region_name") or (config.region_name if config else None)
        key = (
            service_name,
            region or self._session.get_config_variable("region"),
            tuple(sorted((name, repr(value)) for name, value in kwargs.items() if name != "config")),
            _config_key(config),
            _environment_key(),
        )
        with creating:
            per_session = clients.setdefault(self, {})
            made = per_session.get(key)
            if made is None:
                made = original(self, service_name, **kwargs)
                per_session[key] = made
        return made

    with mock.patch.object(boto3.session.Session, "client", client):
        yield
