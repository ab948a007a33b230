"""Each notification channel's deployment settings, named after the channel in the registry.

For every channel of notifications/channels/ the context may set `<name>Severities` (what its
forwarder receives), `<name>ForwarderConcurrency` (its reserved concurrency, 0: none) and, for a
webhook channel, `<name>WebhookSecretName`. A new channel gets them without a line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.results import Severity
from notifications.channels import CHANNELS, Channel, UnknownChannelError, WebhookChannel, channel_named

SECRET_NAME_PATTERN: Final = r"^[A-Za-z0-9/_+=.@-]{1,512}$"  # noqa: S105 - a pattern, not a secret


class ChannelSettings(BaseModel):
    """One channel's settings, defaults from its registry entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severities: tuple[Severity, ...] = Field(default=tuple(Severity), min_length=1)
    forwarder_concurrency: int = Field(ge=0, le=100)
    webhook_secret_name: str | None = Field(default=None, pattern=SECRET_NAME_PATTERN)


def split_list(value: Any) -> Any:
    """A comma-separated string (as `cdk deploy -c name=a,b` gives it) becomes a tuple."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _keys(channel: Channel) -> dict[str, str]:
    """Field of ChannelSettings -> its context key (camelCase, as in cdk.json)."""
    keys = {"severities": channel.severities_setting, "forwarder_concurrency": channel.concurrency_setting}
    if isinstance(channel, WebhookChannel):
        keys["webhook_secret_name"] = channel.secret_setting
    return keys


def _snake(key: str) -> str:
    """`slackWebhookSecretName` -> `slack_webhook_secret_name` (the name in Python)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def take_channel_settings(values: dict[str, Any]) -> tuple[dict[str, ChannelSettings], list[str]]:
    """Remove every channel's keys from `values` (by context key or Python name) and validate
    them: the settings per channel, and the problems, each naming its setting."""
    settings: dict[str, ChannelSettings] = {}
    problems: list[str] = []
    for channel in CHANNELS.values():
        keys = _keys(channel)
        raw: dict[str, Any] = {"forwarder_concurrency": channel.default_concurrency}
        if isinstance(channel, WebhookChannel):
            raw["webhook_secret_name"] = channel.secret.default_name
        for field, key in keys.items():
            for given in (key, _snake(key)):
                if given in values:
                    value = values.pop(given)
                    raw[field] = split_list(value) if field == "severities" else value
        try:
            settings[channel.name] = ChannelSettings.model_validate(raw)
        except ValidationError as error:
            for problem in error.errors():
                field, *rest = (str(part) for part in problem["loc"])
                problems.append(f"{'.'.join([keys.get(field, field), *rest])}: {problem['msg']}")
    return settings, problems


def check_channel_names(names: Sequence[str]) -> tuple[str, ...]:
    """The names, each a channel of the registry and none twice; ValueError says which is not."""
    for name in names:
        try:
            channel_named(name)
        except UnknownChannelError as error:
            raise ValueError(str(error)) from None
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise ValueError(f"channels named more than once: {', '.join(repeated)}")
    return tuple(names)


def shared_secrets(selected: Sequence[str], settings: Mapping[str, ChannelSettings]) -> list[str]:
    """Problems: two selected webhook channels given the same secret (one would read the other's URL)."""
    owners: dict[str, str] = {}
    problems = []
    for name in selected:
        channel, secret = channel_named(name), settings[name].webhook_secret_name
        if not isinstance(channel, WebhookChannel) or secret is None:
            continue
        if secret in owners:
            problems.append(f"{channel.secret_setting}: {secret!r} is already the secret of {owners[secret]}")
        owners[secret] = channel.secret_setting
    return problems
