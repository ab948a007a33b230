"""AWS's rules where moto's interpreter is more lenient about paths, values and payload fields.

Each rule lives in a module of its own, whose docstring cites the AWS page it follows:
- stepfunctions_choice_paths: a Choice rule on a missing path fails the execution (States.Runtime);
- stepfunctions_format_arguments: States.Format needs one argument per {} (States.Runtime);
- stepfunctions_result_path: a ResultPath through a non-object fails (States.ReferencePathConflict);
- stepfunctions_fail_paths: a Fail state's ErrorPath / CausePath must select a string (States.Runtime);
- stepfunctions_payload_fields: CreateStateMachine refuses a "<key>.$" field holding a plain value;
- stepfunctions_branch_errors: a Parallel branch's / Map iteration's States.* error (the failures
  above among them) reaches its state as itself, not as a ValueError about custom error names.
Where moto already applies AWS's rule (a missing path in Parameters, ResultSelector, ItemSelector,
ItemsPath, InputPath, OutputPath, SecondsPath, TimestampPath, ErrorPath, CausePath, intrinsic
arguments), nothing is added.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from keywarden.sandbox.stepfunctions.branch_errors import branch_errors_keep_their_name
from keywarden.sandbox.stepfunctions.choice_paths import choice_paths_must_exist
from keywarden.sandbox.stepfunctions.fail_paths import fail_paths_must_select_strings
from keywarden.sandbox.stepfunctions.format_arguments import format_arguments_must_match
from keywarden.sandbox.stepfunctions.payload_fields import payload_fields_must_be_paths
from keywarden.sandbox.stepfunctions.result_path import result_path_parent_must_be_object


@contextlib.contextmanager
def aws_strict_paths(strict: bool = True) -> Iterator[None]:
    """Apply every rule while open; with strict=False, leave moto's lenient behaviour in place."""
    with contextlib.ExitStack() as rules:
        if strict:
            rules.enter_context(choice_paths_must_exist())
            rules.enter_context(format_arguments_must_match())
            rules.enter_context(result_path_parent_must_be_object())
            rules.enter_context(fail_paths_must_select_strings())
            rules.enter_context(payload_fields_must_be_paths())
            rules.enter_context(branch_errors_keep_their_name())
        yield
