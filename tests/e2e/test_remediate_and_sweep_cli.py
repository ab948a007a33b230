"""`keywarden remediate` and `keywarden sweep` against moto's Step Functions.

State machines made in the test stand in for keywarden's workflows: enough to see what the
commands start (ARN, name, exact input) and how --wait reports the end. The input is then read
by Prepare's own reader (domain.compliance_event.read_compliance_event).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from domain.compliance_event import read_compliance_event
from domain.config_rule import CLI_EVENT_SOURCE, DEFAULT_CONFIG_RULE_NAME
from keywarden.cli import app
from keywarden.findings.cli_event import cli_compliance_event
from keywarden.sandbox.fixtures.iam_users import create_user
from keywarden.scenario import UserSpec
from tests.e2e.findings_tables import create_audit_table
from tests.e2e.test_audit_errors import stub_cloudformation

pytestmark = pytest.mark.e2e
runner = CliRunner()
REGION = "us-east-1"
ACCOUNT = "123456789012"
AUDIT = "keywarden-audit"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/keywarden-workflow"
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"

RECORDS_A_REMEDIATION = {
    "StartAt": "Record",
    "States": {
        "Record": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": AUDIT,
                "Item": {
                    "pk": {"S.$": "States.Format('REMEDIATION#{}', $$.Execution.Name)"},
                    "sk": {"S": "REMEDIATION"},
                    "recorded_at": {"S.$": "$.time"},
                    "account_id": {"S.$": "$.account"},
                    "user_id": {"S.$": "$.detail.resourceId"},
                    "user_name": {"S": "bob"},
                    "outcome": {"S": "KEYS_LEFT_ACTIVE"},
                    "reason": {"S": "a key used 2 days ago was left active"},
                },
            },
            "End": True,
        }
    },
}
FAILS = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "planted"}}}
SWEEPS = {
    "StartAt": "Totals",
    "States": {
        "Totals": {
            "Type": "Pass",
            "Result": {"reminders": 2, "escalations": 1},
            "ResultPath": "$.sweep",
            "End": True,
        }
    },
}


@dataclass(frozen=True)
class Account:
    bob_id: str
    sfn: Any

    def state_machine(self, name: str, definition: dict[str, Any]) -> str:
        made = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
        return str(made["stateMachineArn"])

    def execution(self, arn: str) -> dict[str, Any]:
        return dict(self.sfn.describe_execution(executionArn=arn))


def _aws(monkeypatch: pytest.MonkeyPatch, execute: bool) -> Iterator[Account]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "KEYWARDEN_STATE_MACHINE_ARN", "KEYWARDEN_AUDIT_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("KEYWARDEN_SWEEP_STATE_MACHINE_ARN", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": execute}}):
        # With an IAM-shaped unique id (AIDA...): moto's own are random lowercase
        bob = create_user(UserSpec(name="bob"), datetime.now(UTC), ACCOUNT, REGION).user_id
        create_audit_table(boto3.client("dynamodb", region_name=REGION), AUDIT)
        yield Account(bob, boto3.client("stepfunctions", region_name=REGION))


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """Executions run (moto's interpreter)."""
    yield from _aws(monkeypatch, execute=True)


@pytest.fixture
def frozen_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """Executions never end (moto without its interpreter keeps them RUNNING)."""
    yield from _aws(monkeypatch, execute=False)


def invoke(*arguments: str) -> Any:
    return runner.invoke(app, [*arguments, "--region", REGION])


def test_remediate_starts_the_workflow_with_a_config_shaped_event(frozen_account: Account) -> None:
    # Given the remediation workflow and an IAM user bob
    workflow = frozen_account.state_machine("keywarden-remediation", FAILS)
    # When a remediation of bob is started
    before = datetime.now(UTC).replace(microsecond=0)
    result = invoke("remediate", "--user", "bob", "--state-machine-arn", workflow)
    # Then stdout is the execution's ARN, named after the event id cli-<uuid4>
    assert result.exit_code == 0, result.output
    execution_arn = result.stdout.strip()
    assert re.fullmatch(f"{workflow.replace(':stateMachine:', ':execution:')}:cli-{UUID4}", execution_arn)
    name = execution_arn.rsplit(":", 1)[1]
    # and its input is Config's event, exactly, with keywarden.cli's source and that id
    started = json.loads(frozen_account.execution(execution_arn)["input"])
    at = datetime.fromisoformat(started["time"])
    assert before <= at <= datetime.now(UTC)
    assert started == cli_compliance_event(
        frozen_account.bob_id,
        event_id=name,
        rule_name=DEFAULT_CONFIG_RULE_NAME,
        account_id=ACCOUNT,
        region=REGION,
        at=at,
    )
    assert started["source"] == CLI_EVENT_SOURCE
    assert started["detail"]["resourceId"] == frozen_account.bob_id
    # and Prepare's reader accepts it for keywarden's rule
    request = read_compliance_event(started, DEFAULT_CONFIG_RULE_NAME)
    assert request.accepted, request.reason
    assert (request.user_id, request.account_id, request.event_id) == (frozen_account.bob_id, ACCOUNT, name)


def test_the_rule_name_follows_the_deployment(frozen_account: Account) -> None:
    workflow = frozen_account.state_machine("keywarden-remediation", FAILS)
    result = invoke(
        "remediate", "--user", "bob", "--state-machine-arn", workflow, "--config-rule-name", "prod-keys"
    )
    started = json.loads(frozen_account.execution(result.stdout.strip())["input"])
    assert read_compliance_event(started, "prod-keys").accepted


def test_wait_prints_the_remediation_s_audit_record(account: Account) -> None:
    # Given a workflow that records its remediation in the audit table
    workflow = account.state_machine("keywarden-remediation", RECORDS_A_REMEDIATION)
    # When bob's remediation is started and waited for
    result = invoke(
        "remediate", "--user", "bob", "--state-machine-arn", workflow, "--audit-table", AUDIT, "--wait"
    )
    # Then the ARN comes first, then the record's outcome and reason
    assert result.exit_code == 0, result.output
    first, *rest = result.stdout.splitlines()
    assert re.fullmatch(f".*:execution:keywarden-remediation:cli-{UUID4}", first)
    printed = "\n".join(rest)
    assert "KEYS_LEFT_ACTIVE" in printed
    assert "a key used 2 days ago was left active" in printed
    assert "1 record(s)" in printed
    assert "execution SUCCEEDED" in result.stderr


def test_a_failed_execution_is_reported_and_exits_non_zero(account: Account) -> None:
    workflow = account.state_machine("keywarden-remediation", FAILS)
    result = invoke(
        "remediate", "--user", "bob", "--state-machine-arn", workflow, "--audit-table", AUDIT, "--wait"
    )
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "execution FAILED: Boom: planted" in message
    assert "no audit record of cli-" in message


def test_wait_gives_up_after_its_timeout(frozen_account: Account) -> None:
    workflow = frozen_account.state_machine("keywarden-remediation", FAILS)
    result = invoke(
        "remediate",
        "--user",
        "bob",
        "--state-machine-arn",
        workflow,
        "--audit-table",
        AUDIT,
        "--wait",
        "--timeout",
        "1",
    )
    assert result.exit_code == 1
    assert "is still running after 1 s (--timeout)" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("arguments", "exit_code", "fragment"),
    [
        (["--user", "nobody"], 1, "no IAM user named 'nobody' in us-east-1"),
        (["--user", "bob/evil"], 2, "--user: IAM user names are 1 to 64 characters"),
    ],
)
def test_remediate_refuses_what_it_cannot_start(
    frozen_account: Account, arguments: list[str], exit_code: int, fragment: str
) -> None:
    workflow = frozen_account.state_machine("keywarden-remediation", FAILS)
    result = invoke("remediate", *arguments, "--state-machine-arn", workflow)
    assert result.exit_code == exit_code, result.output
    assert fragment in " ".join(result.stderr.split())
    assert frozen_account.sfn.list_executions(stateMachineArn=workflow)["executions"] == []


def test_sweep_finds_its_workflow_in_the_stack_outputs_and_prints_its_result(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the stack's SweepStateMachineArn output
    workflow = account.state_machine("keywarden-sweep", SWEEPS)
    stub_cloudformation(monkeypatch, "keywarden", {"SweepStateMachineArn": workflow})
    # When the sweep is run now and waited for
    result = invoke("sweep", "--wait")
    # Then its ARN, then its output
    assert result.exit_code == 0, result.output
    first, _, rest = result.stdout.partition("\n")
    assert re.fullmatch(f".*:execution:keywarden-sweep:cli-{UUID4}", first)
    assert json.loads(rest) == {"sweep": {"escalations": 1, "reminders": 2}}
    assert json.loads(account.execution(first)["input"]) == {}


def test_sweep_without_its_output_says_how_to_name_it(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_cloudformation(monkeypatch, "keywarden", {"StateMachineArn": "x"})
    result = invoke("sweep")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "stack keywarden in us-east-1 has no SweepStateMachineArn output" in message
    assert "pass --state-machine-arn or set KEYWARDEN_SWEEP_STATE_MACHINE_ARN" in message


def test_wait_without_an_audit_table_starts_nothing(
    frozen_account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stack that names the workflow but not the audit table
    workflow = frozen_account.state_machine("keywarden-remediation", FAILS)
    stub_cloudformation(monkeypatch, "keywarden", {"StateMachineArn": workflow})
    # When remediate --wait is asked for
    result = invoke("remediate", "--user", "bob", "--wait")
    # Then it is refused before any execution starts
    assert result.exit_code == 1
    assert "has no AuditTableName output" in " ".join(result.stderr.split())
    assert frozen_account.sfn.list_executions(stateMachineArn=workflow)["executions"] == []
