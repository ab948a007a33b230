"""moto's dispatch of an API call to its handler method, without listing the handler's class.

For every request, moto's `BaseResponse.call_action` lists the functions of the response class
(`inspect.getmembers`, a hundred attributes or more, sorted) only to ask whether the action's
method is among them: about 5% of a simulated remediation. The sandbox answers the same
question directly: the name is an attribute of the class or of a base (what `dir` lists for a
class) and that attribute is a function (getmembers' predicate). It is asked at each request, so
methods the sandbox adds or replaces on a response class (SSM's Automation API) count as before.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from unittest import mock

from moto.core import responses


class MethodNames:
    """`name in MethodNames(cls)` is `name in moto.core.utils.method_names_from_class(cls)`."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        owner = next((base for base in self.cls.__mro__ if name in vars(base)), None)
        if owner is None:
            return False  # not in dir(cls)
        try:
            value = getattr(self.cls, name)
        except AttributeError:  # as getmembers does: the attribute as stored
            value = vars(owner)[name]
        return inspect.isfunction(value)


@contextlib.contextmanager
def direct_action_lookup() -> Iterator[None]:
    """moto finds each action's method without listing its class while the context is open."""
    with mock.patch.object(responses, "method_names_from_class", MethodNames):
        yield
