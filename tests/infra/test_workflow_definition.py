"""The state machine in the template is the ASL file, every `${...}` bound to the right resource."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from deployment.workflow import WORKFLOW_HANDLERS
from domain.runbook import RUNBOOK_NAME
from domain.tables import AuditTable
from statemachine import SUBSTITUTIONS, definition_text, placeholders, render_definition
from tests.infra.conftest import Synthesized
from tests.infra.template import arn_of, only, ref, remediation_state_machine


def state_machine(stack: Synthesized) -> dict[str, Any]:
    return remediation_state_machine(stack.resources)[1]["Properties"]


def resolve(value: Any, stack: Synthesized) -> str:
    """A readable stand-in for a substitution's value: the resource it points at, or the literal."""
    if isinstance(value, str):
        return value
    logical_id = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
    return f"<{stack.resources[logical_id]['Type']} {logical_id}>"


def test_the_definition_is_the_asl_file_inline(default_stack: Synthesized) -> None:
    properties = state_machine(default_stack)
    assert properties["DefinitionString"] == definition_text()
    assert "DefinitionS3Location" not in properties


def test_every_placeholder_has_a_substitution_and_no_more(default_stack: Synthesized) -> None:
    substitutions = state_machine(default_stack)["DefinitionSubstitutions"]
    assert set(substitutions) == set(SUBSTITUTIONS) == placeholders(definition_text())


def test_function_substitutions_point_at_the_function_running_that_handler(
    default_stack: Synthesized,
) -> None:
    substitutions = state_machine(default_stack)["DefinitionSubstitutions"]
    for name, handler in WORKFLOW_HANDLERS.items():
        function_id = substitutions[name]["Fn::GetAtt"][0]
        function = default_stack.resources[function_id]
        assert substitutions[name] == arn_of(function_id)
        assert function["Type"] == "AWS::Lambda::Function"
        assert function["Properties"]["Handler"] == handler


def test_resource_substitutions_point_at_the_right_resources(default_stack: Synthesized) -> None:
    resources = default_stack.resources
    substitutions = state_machine(default_stack)["DefinitionSubstitutions"]
    table_id, table = only(resources, "AWS::DynamoDB::Table", TableName="keywarden-audit")
    operators_id, _ = only(resources, "AWS::SNS::Topic", TopicName="keywarden-operators")
    automation_id = substitutions["AutomationRoleArn"]["Fn::GetAtt"][0]
    trust = resources[automation_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]

    assert substitutions["AuditTableName"] == ref(table_id)
    assert table["Properties"]["KeySchema"][0]["AttributeName"] == AuditTable.PARTITION_KEY
    assert substitutions["OperatorsTopicArn"] == ref(operators_id)
    assert substitutions["AutomationRoleArn"] == arn_of(automation_id)
    assert [s["Principal"] for s in trust] == [{"Service": "ssm.amazonaws.com"}]


def test_value_substitutions_come_from_the_settings(
    default_stack: Synthesized, custom_stack: Synthesized
) -> None:
    defaults = state_machine(default_stack)["DefinitionSubstitutions"]
    custom = state_machine(custom_stack)["DefinitionSubstitutions"]
    assert {k: defaults[k] for k in ("RunbookName", "RunbookVersion", "MaxCredentialUsageAge")} == {
        "RunbookName": RUNBOOK_NAME,
        "RunbookVersion": "1",
        "MaxCredentialUsageAge": "90",
    }
    assert (defaults["PollIntervalSeconds"], defaults["MaxPollAttempts"]) == ("15", "40")
    assert (custom["MaxCredentialUsageAge"], custom["PollIntervalSeconds"], custom["MaxPollAttempts"]) == (
        "45",
        "30",
        "20",
    )
    # The slots ReserveAutomationSlot allows: the account's SSM quota by default, lower when shared.
    assert (defaults["MaxConcurrentAutomations"], custom["MaxConcurrentAutomations"]) == ("200", "40")


def test_rendered_with_its_substitutions_the_template_runs_the_asl_file(default_stack: Synthesized) -> None:
    properties = state_machine(default_stack)
    values = {k: resolve(v, default_stack) for k, v in properties["DefinitionSubstitutions"].items()}
    rendered = json.loads(render_definition(values))
    # What CloudFormation hands Step Functions: the template's string with each ${Name} replaced.
    deployed = properties["DefinitionString"]
    for name, value in values.items():
        deployed = deployed.replace("${" + name + "}", value)
    assert json.loads(deployed) == rendered
    assert "${" not in deployed
    assert rendered["States"]["Prepare"]["Resource"].startswith("<AWS::Lambda::Function ")
    assert rendered["States"]["StartAutomation"]["Parameters"]["DocumentName"] == RUNBOOK_NAME


def test_the_workflow_is_standard_logged_in_full_and_traced(default_stack: Synthesized) -> None:
    properties = state_machine(default_stack)
    log_group_id = properties["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"][
        "LogGroupArn"
    ]["Fn::GetAtt"][0]
    log_group = default_stack.resources[log_group_id]["Properties"]
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["StateMachineName"] == "keywarden-remediation"
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert log_group["LogGroupName"] == "/aws/vendedlogs/states/keywarden-remediation"
    assert log_group["KmsKeyId"] == arn_of(only(default_stack.resources, "AWS::KMS::Key")[0])
    assert log_group["RetentionInDays"] == 365


def dynamodb_tasks(states: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(state name, action, table) of every DynamoDB task (optimized or aws-sdk), nested ones included."""
    for name, state in states.items():
        resource = state.get("Resource", "")
        if resource.startswith(("arn:aws:states:::dynamodb:", "arn:aws:states:::aws-sdk:dynamodb:")):
            parameters = state["Parameters"]
            yield (
                name,
                resource.rsplit(":", 1)[-1],
                parameters.get("TableName", parameters.get("TransactItems.$")),
            )
        for processor in ("ItemProcessor", "Iterator"):
            if processor in state:
                yield from dynamodb_tasks(state[processor]["States"])
        for branch in state.get("Branches", []):
            yield from dynamodb_tasks(branch["States"])


def test_the_workflow_writes_the_audit_table_and_reserves_slots_in_the_coordination_table(
    default_stack: Synthesized,
) -> None:
    """Given the stack, then every DynamoDB task of the workflow reads or writes the audit table (the
    records as Conclude built them, a read-back, the last-resort record), except the one update that
    reserves an automation slot in the coordination table."""
    properties = state_machine(default_stack)
    values = {k: resolve(v, default_stack) for k, v in properties["DefinitionSubstitutions"].items()}
    rendered = json.loads(render_definition(values))
    audit_id, _ = only(default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-audit")
    coordination_id, _ = only(
        default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-coordination"
    )
    tasks = sorted(dynamodb_tasks(rendered["States"]))
    assert tasks == [
        ("ConfirmRecorded", "getItem", f"<AWS::DynamoDB::Table {audit_id}>"),
        ("RecordFailure", "putItem", f"<AWS::DynamoDB::Table {audit_id}>"),
        ("RecordRemediation", "transactWriteItems", "$.conclusion.transact_items"),
        ("ReserveAutomationSlot", "updateItem", f"<AWS::DynamoDB::Table {coordination_id}>"),
    ]
