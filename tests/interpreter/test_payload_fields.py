"""CreateStateMachine refuses a "<key>.$" payload field holding no path or intrinsic, as AWS does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.interpreter.running import ROLE_ARN


def with_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Build", "States": {"Build": {"Type": "Pass", "Parameters": parameters, "End": True}}}


def schema_error(field: str, pointer: str) -> str:
    return (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field "
        f"'{field}' must be a valid JSONPath or a valid intrinsic function call at {pointer}'"
    )


def create(stepfunctions: Any, definition: dict[str, Any]) -> str:
    answer = stepfunctions.create_state_machine(
        name="payload-fields", definition=json.dumps(definition), roleArn=ROLE_ARN
    )
    return str(answer["stateMachineArn"])


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"user.$": "henry"}, "user.$"),  # a literal where a path was meant
        ({"outer": {"count.$": 3}}, "count.$"),  # nested, not even a string
        ({"items": [{"key.$": "request.user_id"}]}, "key.$"),  # in an array, "$" forgotten
    ],
    ids=["literal", "nested-number", "in-array"],
)
def test_a_dollar_field_holding_a_plain_value_is_refused(
    stepfunctions: Any, parameters: dict[str, Any], field: str
) -> None:
    # Given a definition whose Parameters give a ".$" field a value that is no path
    # When it is created
    with pytest.raises(ClientError) as refused:
        create(stepfunctions, with_parameters(parameters))

    # Then CreateStateMachine refuses it, as AWS does at deploy time
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert refused.value.response["Error"]["Message"] == schema_error(field, "/States/Build/Parameters")


def test_a_dollar_field_in_a_map_item_selector_is_checked_too(stepfunctions: Any) -> None:
    # Given a Map state whose ItemSelector has the same mistake
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"item.$": "Map.Item.Value"},
                "ItemProcessor": {"StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }

    # When it is created
    with pytest.raises(ClientError) as refused:
        create(stepfunctions, definition)

    # Then it is refused, pointing at the ItemSelector
    assert refused.value.response["Error"]["Message"] == schema_error("item.$", "/States/Each/ItemSelector")


def test_paths_context_paths_and_intrinsics_are_accepted(stepfunctions: Any) -> None:
    # Given every kind of value a ".$" field may hold, and plain fields holding plain values
    parameters = {
        "whole.$": "$",
        "user.$": "$.user",
        "started.$": "$$.Execution.StartTime",
        "ids.$": "States.Array($.user)",
        "note": "a plain field keeps its literal",
    }

    # When the definition is created
    arn = create(stepfunctions, with_parameters(parameters))

    # Then it is accepted
    assert arn.endswith(":stateMachine:payload-fields")
