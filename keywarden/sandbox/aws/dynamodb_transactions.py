"""TransactWriteItems that backs up the items it touches, not every table it names.

moto 5.2.5 deep-copies each table a transaction names before applying it, so that it can put
the copy back if the transaction is cancelled: a cost that grows with the table (keywarden's
audit table gains two items per remediation, and every remediation ends in a transaction). This
version is moto's, step for step, with one difference: before an operation reads or writes an
item, the partition holding it (the items under its partition key) is copied, and the order of
the table's partitions is noted; a cancelled transaction puts those partitions back in that
order and drops the partitions it created, which leaves the table as moto's copy would. A table
with a stream keeps moto's whole-table copy (a rollback also takes back its stream records).
tests/e2e/test_sandbox_dynamodb.py checks that applied, cancelled and refused transactions leave
the same tables and answer the same as moto's.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Hashable, Iterator
from typing import Any
from unittest import mock

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's (and moto's) limit


class _TouchedPartitions:
    """Copies of the partitions a transaction touches, taken before it changes them."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self._backend = backend
        self._order: dict[str, list[Hashable]] = {}
        self._partitions: dict[str, dict[Hashable, Any]] = {}

    def keep(self, table_name: str, key: dict[str, Any]) -> None:
        """Copy the partition of `key` (raises what moto's GetItem would raise for a bad key)."""
        table = self._backend.get_table(table_name)
        hash_key, _ = self._backend.get_keys_value(table, key)
        if table_name not in self._order:
            self._order[table_name] = list(table.items)
            self._partitions[table_name] = {}
        kept = self._partitions[table_name]
        if hash_key not in kept and hash_key in table.items:
            kept[hash_key] = copy.deepcopy(table.items[hash_key])

    def restore(self) -> None:
        for table_name, order in self._order.items():
            table: Table = self._backend.tables[table_name]
            kept = self._partitions[table_name]
            partitions = {key: kept[key] if key in kept else table.items[key] for key in order}
            table.items.clear()
            table.items.update(partitions)


def _transact_write_items(  # moto's function, step for step
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> None:
    if len(transact_items) > MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    touched = _TouchedPartitions(backend)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = backend.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            touched.keep(table_name, key)
            current = backend.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                backend.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                backend.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                backend.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            touched.restore()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # noqa: BLE001 - as moto: any other error cancels the transaction with its name
            errors.append((type(e).__name__, str(e), original_item))

    if any(code is not None for code, _, _ in errors):
        touched.restore()
        raise TransactionCanceledException(errors)


@contextlib.contextmanager
def transactions_without_table_copies() -> Iterator[None]:
    """Apply this TransactWriteItems while the context is open (moto's for tables with streams)."""
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        names = {next(iter(item.values())).get("TableName") for item in transact_items}  # as moto reads them
        if any(self.tables[name].stream_shard is not None for name in names if name in self.tables):
            original(self, transact_items)
            return
        _transact_write_items(self, transact_items)

    with mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
