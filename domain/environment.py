"""Settings read from environment variables, validated when a Lambda function starts.

The workflow's functions (lambdas/settings.py) and the channels' forwarders
(notifications/settings.py) each describe theirs as one of these models.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict


class EnvironmentSettings(BaseModel):
    """Fields named by their variable (the alias); other variables are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Validate the environment; a bad value fails the function's start with the variable's name."""
        return cls.model_validate(dict(os.environ if environ is None else environ))

    def to_environment(self) -> dict[str, str]:
        """The variables that configure a function so (what deployment/ writes): the values given,
        not the defaults, which the function applies itself."""
        values = self.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
        return {
            name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items()
        }
