"""The base of keywarden's value objects: immutable, and tolerant of fields added later."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
