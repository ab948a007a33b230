"""moto's DynamoDB Query, reading one partition instead of sorting the whole table on every page.

moto's `Table.query` answers each page by sorting every item of the table by its primary key
(`all_items`), keeping those of the asked partition, sorting them again by the index's key, then
walking from the first item past every item of the previous pages (each step building new
DynamoType values): over 20,000 audit items, about half a second a page, and more the further
the page. DynamoDB reads only the partition, from where the previous page stopped.

The sandbox keeps moto's answer and changes only how it gets there:
- the partition's items are picked in one pass over the stored items, by moto's own tests (the
  partition key's value, the index's range key present), without sorting the table first:
  moto sorts them afterwards by the index's key and the table's key, a total order (the
  table's key is unique), so the order it started from cannot change the answer;
- the items of the previous pages are skipped by bisection with moto's own comparison
  (`_item_comes_before_dct`), which is true for a prefix of that sorted list and false after;
- the rest (Limit, the 1 MB page, the range condition, ScannedCount, LastEvaluatedKey, the
  index's projection, FilterExpression, ProjectionExpression) is moto's code, less its deep
  copy of the page (nothing after it changes an item).
Queries of other shapes (multi-attribute keys, an index partition key that is not a string,
an index without a range key, legacy QueryFilter, errors) go to moto's own.
tests/e2e/test_sandbox_dynamodb.py compares the answers, page by page, with and without.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

HashConditions = list[tuple[str, DynamoType]]
RangeConditions = list[tuple[str, str, list[DynamoType]]]


@dataclass(frozen=True)
class _Partition:
    """The items a Query reads, sorted as moto sorts them, and the attributes of that order."""

    items: list[Item]
    hash_attrs: list[str]
    range_attrs: list[str | None]
    range_attribute: str | None
    """The attribute the range condition reads (for the table, None: the item's range key)."""


def _stored_items(table: Table) -> list[Item]:
    """Every item of the table, in no particular order (moto's `all_items` without its sort)."""
    if table.range_key_attr:
        return [item for stored in table.items.values() for item in stored.values() if isinstance(item, Item)]
    return [item for item in table.items.values() if isinstance(item, Item)]  # moto stores the item itself


def _in_partition(items: list[Item], name: str, value: str, range_key: str) -> list[Item]:
    """The items moto's tests keep for `name = value` (a string): a missing value, or a different
    one, is not in the partition (a DynamoType is never false; two differ when their types or
    their values do); and an index holds only the items that have all its key attributes."""
    return [
        item
        for item in items
        if (found := item.attrs.get(name)) is not None
        and found.type == "S"
        and found.value == value
        and item.attrs.get(range_key)
    ]


def _index_partition(
    table: Table, index_name: str, hash_conditions: HashConditions, range_conditions: RangeConditions
) -> _Partition | None:
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    if index is None:
        return None  # moto's error
    hash_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    range_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) != 1 or len(range_conditions) > 1:
        return None  # multi-attribute keys, or no range key: moto's own way
    if len(hash_conditions) != 1 or hash_conditions[0][1].type != "S":
        return None  # a number or binary partition key: moto's own way
    (name, value), range_key = hash_conditions[0], range_keys[0]
    items = _in_partition(_stored_items(table), name, value.value, range_key)
    hash_attrs = [hash_keys[0], table.hash_key_attr]
    range_attrs: list[str | None] = [range_key, table.range_key_attr]
    range_attribute = range_conditions[-1][0] if range_conditions else range_key
    return _Partition(
        table.sorted_items(hash_attrs, range_attrs, items), hash_attrs, range_attrs, range_attribute
    )


def _table_partition(table: Table, hash_key: DynamoType, range_conditions: RangeConditions) -> _Partition:
    # moto keeps the items by their hash key's value: its `item.hash_key == hash_key`, looked up
    stored: Any = table.items.get(hash_key)
    if stored is None:
        found: list[Item] = []
    elif table.range_key_attr:
        found = [item for item in stored.values() if isinstance(item, Item)]
    else:
        found = [stored] if isinstance(stored, Item) else []
    found.sort(key=lambda item: item.range_key)  # moto's sort
    range_attribute = range_conditions[-1][0] if range_conditions else None
    return _Partition(found, [table.hash_key_attr], [table.range_key_attr], range_attribute)


def _first_after(
    table: Table,
    partition: _Partition,
    ordered: list[Item],
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
) -> int:
    """Where the page starts in `ordered` (the partition in reading order): past every item at or
    before ExclusiveStartKey."""
    if exclusive_start_key is None:
        return 0
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if table._item_comes_before_dct(  # moto's own comparison: the same answer
            ordered[middle], exclusive_start_key, partition.hash_attrs, partition.range_attrs, forward
        ):
            low = middle + 1
        else:
            high = middle
    return low


def _read_page(
    table: Table,
    partition: _Partition,
    index_name: str | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    filter_expression: Any,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    """moto's page loop (Table.query after its sort), from the page's first item on."""
    ordered = partition.items if scan_index_forward else partition.items[::-1]
    results: list[Item] = []
    result_size = 0
    scanned_count = 0
    last_evaluated_key = None
    for result in ordered[_first_after(table, partition, ordered, exclusive_start_key, scan_index_forward) :]:
        if len(results) == limit or (result_size + (size := result.size())) > RESULT_SIZE_LIMIT:
            last_evaluated_key = table._get_last_evaluated_key(results[-1], index_name)
            break
        if not range_comparison:
            matches = True
        elif (attribute := partition.range_attribute) and (value := result.attrs.get(attribute)):
            matches = value.compare(range_comparison, range_objs)
        elif not index_name:  # moto: the table's range key when the item lacks the attribute
            matches = result.range_key.compare(range_comparison, range_objs)
        else:
            matches = False
        if matches:
            results.append(result)
            result_size += size
            scanned_count += 1
    # moto deep-copies the page here; no step after it changes an item (each builds new ones:
    # a projection a new Item, the answer new dicts), so the sandbox answers without the copy.
    if index_name:
        index = table.get_index(index_name)
        results = [index.project(r) for r in results]
    if filter_expression is not None:
        results = [item for item in results if filter_expression.expr(item)]
    if projection_expressions:
        results = [r.project(projection_expressions) for r in results]
    return results, scanned_count, last_evaluated_key


@contextlib.contextmanager
def partition_queries() -> Iterator[None]:
    """Query reads only the asked partition while the context is open."""
    original = Table.query

    def query(
        self: Table,
        hash_key: DynamoType | None,
        range_comparison: str | None,
        range_objs: list[DynamoType],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: HashConditions | None = None,
        range_key_conditions: RangeConditions | None = None,
        **filter_kwargs: Any,
    ) -> tuple[list[Item], int, dict[str, Any] | None]:
        partition: _Partition | None = None
        if filter_kwargs or (index_name and consistent_read):
            pass  # legacy QueryFilter, or moto's refusal of a consistent read on an index
        elif index_name:
            partition = _index_partition(
                self, index_name, hash_key_conditions or [], range_key_conditions or []
            )
        elif hash_key is not None and len(range_key_conditions or []) <= 1:
            partition = _table_partition(self, hash_key, range_key_conditions or [])
        if partition is None:
            answer: tuple[list[Item], int, dict[str, Any] | None] = original(
                self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
                projection_expressions, index_name, consistent_read, filter_expression,
                hash_key_conditions=hash_key_conditions, range_key_conditions=range_key_conditions,
                **filter_kwargs,
            )  # fmt: skip
            return answer
        return _read_page(
            self, partition, index_name, range_comparison, range_objs, limit, exclusive_start_key,
            scan_index_forward, projection_expressions, filter_expression,
        )  # fmt: skip

    with mock.patch.object(Table, "query", query):
        yield
