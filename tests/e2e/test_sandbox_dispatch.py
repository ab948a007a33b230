"""The sandbox finds moto's handler methods as moto does, without listing their classes."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from moto.core import responses
from moto.core.responses import BaseResponse
from moto.core.utils import method_names_from_class
from moto.dynamodb.responses import DynamoHandler
from moto.iam.responses import IamResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.stepfunctions.responses import StepFunctionResponse

from keywarden.sandbox import Sandbox
from keywarden.sandbox.aws.moto_dispatch import MethodNames

pytestmark = pytest.mark.e2e
CLASSES = [DynamoHandler, IamResponse, SimpleSystemManagerResponse, StepFunctionResponse, BaseResponse]


def _names_to_ask(cls: type) -> list[Any]:
    return [*dir(cls), "no_such_action", "", "__init__", "query ", 42]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_name_is_found_as_moto_finds_it(cls: type) -> None:
    # Given a moto response class, when each of its attributes (and names it lacks) is looked up,
    # then the sandbox answers what moto's listing answers
    listed = method_names_from_class(cls)
    assert [name in MethodNames(cls) for name in _names_to_ask(cls)] == [
        name in listed for name in _names_to_ask(cls)
    ]
    assert "get_item" in MethodNames(DynamoHandler)


def test_a_method_added_or_replaced_later_is_found_as_moto_finds_it() -> None:
    # Given the lookup made before, when a method is added to a class and another one replaced by
    # something that is not a function, then the next lookup sees both changes, as moto's does
    names = MethodNames(SimpleSystemManagerResponse)
    assert "describe_everything" not in names

    def describe_everything(self: Any) -> str:
        return "{}"

    with (
        mock.patch.object(
            SimpleSystemManagerResponse, "describe_everything", describe_everything, create=True
        ),
        mock.patch.object(SimpleSystemManagerResponse, "get_parameter", mock.Mock()),
    ):
        listed = method_names_from_class(SimpleSystemManagerResponse)
        assert ("describe_everything" in names, "get_parameter" in names) == (True, False)
        assert ("describe_everything" in listed, "get_parameter" in listed) == (True, False)
    assert "describe_everything" not in names
    assert "get_parameter" in names


def test_the_sandbox_dispatches_with_the_direct_lookup() -> None:
    # Given a running sandbox, when its clients call moto, then moto looks actions up directly,
    # and answers as before
    with Sandbox() as sandbox:
        assert responses.method_names_from_class is MethodNames
        assert sandbox.stack.table_name in sandbox.client("dynamodb").list_tables()["TableNames"]
    assert responses.method_names_from_class is method_names_from_class
