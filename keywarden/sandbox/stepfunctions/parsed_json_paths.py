"""Parse each JSONPath of the workflow once, not at every evaluation.

moto's interpreter reads a path (`$.user.name`, a Choice variable, a Parameters `.$` field) by
parsing it with jsonpath_ng every time it evaluates it (`json_path.extract_json`): a few
milliseconds per path, dozens of paths per execution; its ResultPath does the same with
jsonpath_ng's own `parse`, which builds a new parser (its grammar tables) at every call. A parsed
jsonpath_ng expression is not changed by `find` or `update_or_create` (its fields are set only
when it is built), so the expression parsed for a path's text serves every later evaluation.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

PATHS_KEPT = 4096
"""More than the distinct paths of any workflow the sandbox runs (keywarden's has about a hundred)."""


@contextlib.contextmanager
def json_paths_parsed_once() -> Iterator[None]:
    """Keep each parsed path while the context is open."""
    with (
        mock.patch.object(json_path, "parse", functools.lru_cache(maxsize=PATHS_KEPT)(json_path.parse)),
        mock.patch.object(result_path, "parse", functools.lru_cache(maxsize=PATHS_KEPT)(result_path.parse)),
    ):
        yield
