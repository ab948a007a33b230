"""A payload field named "<key>.$" must hold a path or an intrinsic call, or CreateStateMachine refuses it.

AWS's page on Parameters (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html)
says a key ending in ".$" takes its value from a path or an intrinsic function; a definition
whose ".$" field holds anything else is refused by CreateStateMachine / UpdateStateMachine with
InvalidDefinition: "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for
the field 'x.$' must be a valid JSONPath or a valid intrinsic function call at /States/S/Parameters'".

moto 5.2.5 accepts the definition and, when the state runs, passes the literal on under the key
"x.$" itself (a typo that AWS would have refused at deploy time goes unnoticed). (moto's own
InvalidDefinition also answers with an empty error code: the one raised here carries AWS's.)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from moto.core.exceptions import AWSError
from moto.stepfunctions.parser.models import StepFunctionsParserBackend


class InvalidDefinitionError(AWSError):  # type: ignore[misc]  # moto is untyped (skipped by mypy)
    """CreateStateMachine's InvalidDefinition, with its code (moto's parser api class sends none)."""

    TYPE = "InvalidDefinition"
    STATUS = 400


PAYLOAD_TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector")
"""The fields of a state (and of a Map's ItemReader / ResultWriter) whose value is a payload template."""


def _is_path_or_intrinsic(value: Any) -> bool:
    # "$…" covers "$", "$.x", "$$.Context" and "$variable"; intrinsics all live under "States.".
    return isinstance(value, str) and (value.startswith("$") or value.startswith("States."))


def _template_errors(template: Any, pointer: str) -> Iterator[str]:
    if isinstance(template, dict):
        for key, value in template.items():
            if key.endswith(".$") and not _is_path_or_intrinsic(value):
                yield (
                    f"SCHEMA_VALIDATION_FAILED: The value for the field '{key}' must be a valid JSONPath "
                    f"or a valid intrinsic function call at {pointer}"
                )
            elif not key.endswith(".$"):
                yield from _template_errors(value, pointer)
    elif isinstance(template, list):
        for item in template:
            yield from _template_errors(item, pointer)


def payload_field_errors(node: Any, pointer: str = "") -> Iterator[str]:
    """Every ".$" payload field of a definition (nested states included) whose value is not a path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PAYLOAD_TEMPLATE_FIELDS:
                yield from _template_errors(value, f"{pointer}/{key}")
            else:
                yield from payload_field_errors(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from payload_field_errors(item, f"{pointer}/{index}")


@contextlib.contextmanager
def payload_fields_must_be_paths() -> Iterator[None]:
    """While open, Create/UpdateStateMachine refuse a ".$" payload field that holds a plain value."""
    original = StepFunctionsParserBackend._validate_definition

    def validate(definition: str) -> None:
        original(definition)  # moto's parse first: a definition it cannot read fails as before
        errors = list(payload_field_errors(json.loads(definition)))
        if errors:
            raise InvalidDefinitionError(f"Invalid State Machine Definition: '{', '.join(errors)}'")

    with mock.patch.object(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate)):
        yield
