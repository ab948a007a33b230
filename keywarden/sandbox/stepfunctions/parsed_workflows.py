"""Parse each workflow definition once, not once per execution.

moto's interpreter runs the ANTLR-generated ASL parser on the state machine's definition at the
start of every execution (`ExecutionWorker._get_evaluation_entrypoint`), about a tenth of a
second for keywarden's workflow. The program it builds holds no per-execution state (an
execution's data lives in its `Environment`), so one program per definition text serves every
execution. A definition that fails to parse is not kept: it fails again, the same way, each time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from unittest import mock

from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker


@contextlib.contextmanager
def workflows_parsed_once() -> Iterator[dict[str, EvalComponent]]:
    """Keep each definition's parsed program while the context is open (yields the cache)."""
    original = ExecutionWorker._get_evaluation_entrypoint
    programs: dict[str, EvalComponent] = {}
    parsing = threading.Lock()

    def evaluation_entrypoint(self: ExecutionWorker) -> EvalComponent:
        definition: str = self._evaluation_details.state_machine_details.definition
        program = programs.get(definition)
        if program is None:
            with parsing:
                program = programs.get(definition)
                if program is None:
                    program = original(self)
                    programs[definition] = program
        return program

    with mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", evaluation_entrypoint):
        yield programs
