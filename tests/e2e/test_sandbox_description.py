"""GET /keywarden/sandbox names what the commands need to find in a running sandbox: the sweep too."""

from __future__ import annotations

import pytest

from keywarden.sandbox import Sandbox
from keywarden.sandbox.servers.server import KeywardenApi

pytestmark = pytest.mark.e2e


def test_the_description_names_the_workflows_and_the_tables() -> None:
    # Given a running sandbox, When it is described (what `keywarden findings` and `sweep` read)
    with Sandbox() as sandbox:
        described = KeywardenApi(sandbox, moto_app=lambda environ, start_response: []).describe()
        # Then the sweep workflow and the findings table are named, as deployed
        stack = sandbox.stack
        assert described["sweep_state_machine_arn"] == stack.sweep_state_machine_arn
        assert described["findings_table_name"] == stack.findings_table_name == "keywarden-findings"
        assert described["state_machine_arn"] == stack.state_machine_arn
        assert stack.sweep_state_machine_arn.endswith(":stateMachine:keywarden-sweep")
