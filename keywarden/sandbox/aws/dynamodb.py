"""moto's DynamoDB, fast enough for an audit table of tens of thousands of records.

Costs in moto that grow with the data far beyond what they must:
- an item's 400 KB limit is checked after each attribute is added, re-measuring the whole
  item every time (quadratic in its attributes): the sandbox measures it once, when complete,
  with the same limit and the same error;
- Query answers are serialized attribute by attribute through botocore's shape model (about
  6 ms per audit record): the sandbox writes the same JSON directly (DynamoDB's wire format
  is the attribute-value JSON moto already holds);
- every Query compares key values (strings) through a generic cast, for each item of the
  table, on every page: string-to-string comparisons take a direct path, with the same result;
- every Query page sorts the whole table and walks past the previous pages: the sandbox reads
  only the asked partition, from where the previous page stopped (dynamodb_query.py).
tests/e2e/test_sandbox_dynamodb.py checks that answers are the same with and without them.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler

from keywarden.sandbox.aws.dynamodb_query import partition_queries

ITEM_SIZE_LIMIT = 405_000  # moto's own figure (AWS: 400 KB, measured between 409 and 410 KB)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    converted = {name: DynamoType(value) for name, value in attrs.items()}
    if sum(bytesize(name) + value.size() for name, value in converted.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    dict.update(self.attrs, converted)  # the limit was checked once, above


def as_wire_json(value: Any) -> Any:
    """moto's answer (with DynamoType values inside) as DynamoDB's JSON."""
    if isinstance(value, DynamoType):
        kind, inner = value.type, value.value
        if kind == "M":
            return {"M": {name: as_wire_json(v) for name, v in inner.items()}}
        if kind == "L":
            return {"L": [as_wire_json(v) for v in inner]}
        return {kind: inner}  # bytes (B, BS) are base64-encoded by json.dumps(default=_base64)
    if isinstance(value, dict):
        return {name: as_wire_json(v) for name, v in value.items()}
    if isinstance(value, list):
        return [as_wire_json(v) for v in value]
    return value


def _string_fast_path(name: str) -> Any:
    """A DynamoType comparison that compares two strings directly, else as moto does."""
    original = getattr(DynamoType, name)
    compare = getattr(str, name)

    def comparison(self: DynamoType, other: Any) -> Any:
        if type(other) is DynamoType and self.type == "S" and other.type == "S":
            return compare(self.value, other.value)
        return original(self, other)

    return comparison


def _base64(value: Any) -> str:
    """Binary values travel base64-encoded in DynamoDB's JSON."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@contextlib.contextmanager
def fast_dynamodb() -> Iterator[None]:
    """Apply the speed-ups while the context is open."""
    original_query = DynamoHandler.query

    def query(self: DynamoHandler) -> str:
        answer = original_query(self)  # errors are raised here, and serialized by moto as before
        return json.dumps(as_wire_json(answer.result), default=_base64)

    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.object(Item, "__init__", _item_init))
        patches.enter_context(mock.patch.object(DynamoHandler, "query", query))
        patches.enter_context(partition_queries())
        for name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
            patches.enter_context(mock.patch.object(DynamoType, name, _string_fast_path(name)))
        yield
