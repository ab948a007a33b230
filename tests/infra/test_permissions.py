"""Least privilege, as written in the template: every role's permissions, exactly."""

from __future__ import annotations

from typing import Any

import pytest

from deployment.sweep import SWEEP_HANDLERS
from deployment.workflow import WORKFLOW_HANDLERS
from domain.runbook import RUNBOOK_NAME
from tests.infra.conftest import Synthesized
from tests.infra.template import (
    account_arn,
    actions_to_resources,
    arn_of,
    as_list,
    of_type,
    only,
    policy_documents,
    ref,
    remediation_state_machine,
    role_statements,
    statements,
)

USERS = account_arn("iam", "user/*", region=False)
EXECUTIONS = account_arn("ssm", "automation-execution/*")
RUNBOOK = account_arn("ssm", f"document/{RUNBOOK_NAME}", account=False)

# Actions AWS authorizes on Resource "*" only; no other action may be granted on "*".
WILDCARD_ONLY_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "config:ListDiscoveredResources",
    "config:DescribeConfigurationRecorders",
    "config:DescribeConfigurationRecorderStatus",
}


def role_of_state_machine(stack: Synthesized) -> str:
    state_machine = remediation_state_machine(stack.resources)[1]
    return str(state_machine["Properties"]["RoleArn"]["Fn::GetAtt"][0])


def role_of_function(stack: Synthesized, handler: str) -> str:
    function = only(stack.resources, "AWS::Lambda::Function", Handler=handler)[1]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def automation_role(stack: Synthesized) -> str:
    state_machine = remediation_state_machine(stack.resources)[1]
    return str(state_machine["Properties"]["DefinitionSubstitutions"]["AutomationRoleArn"]["Fn::GetAtt"][0])


def trust(stack: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return statements(stack.resources[role_id]["Properties"]["AssumeRolePolicyDocument"])


def allow_statements(stack: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, s)
        for name, document in policy_documents(stack.resources)
        for s in statements(document)
        if s["Effect"] == "Allow"
    ]


def test_no_statement_allows_every_action(default_stack: Synthesized, custom_stack: Synthesized) -> None:
    for stack in (default_stack, custom_stack):
        for name, statement in allow_statements(stack):
            actions = as_list(statement.get("Action", []))
            assert "*" not in actions, name
            assert "NotAction" not in statement, name


def test_service_wide_actions_only_in_the_key_policy_for_the_account(default_stack: Synthesized) -> None:
    key_id, _ = only(default_stack.resources, "AWS::KMS::Key")
    wide = [
        (name, statement)
        for name, statement in allow_statements(default_stack)
        if any(action.endswith(":*") for action in as_list(statement["Action"]))
    ]
    # CDK's default key policy: the account's IAM policies decide who uses the key.
    assert [name for name, _ in wide] == [key_id]
    assert wide[0][1]["Action"] == "kms:*"
    assert wide[0][1]["Principal"] == {
        "AWS": {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"],
            ]
        }
    }


def test_resource_star_only_for_actions_aws_authorizes_on_star_alone(default_stack: Synthesized) -> None:
    for role_id in of_type(default_stack.resources, "AWS::IAM::Role"):
        for action, resources in actions_to_resources(
            role_statements(default_stack.resources, role_id)
        ).items():
            if "*" in resources:
                assert action in WILDCARD_ONLY_ACTIONS, (role_id, action)


def test_the_state_machine_role_has_exactly_what_the_workflow_calls(default_stack: Synthesized) -> None:
    resources = default_stack.resources
    role_id = role_of_state_machine(default_stack)
    granted = actions_to_resources(role_statements(resources, role_id))
    functions = [
        arn_of(only(resources, "AWS::Lambda::Function", Handler=h)[0]) for h in WORKFLOW_HANDLERS.values()
    ]
    table_id, _ = only(resources, "AWS::DynamoDB::Table", TableName="keywarden-audit")
    coordination_id, _ = only(resources, "AWS::DynamoDB::Table", TableName="keywarden-coordination")
    operators_id, _ = only(resources, "AWS::SNS::Topic", TopicName="keywarden-operators")
    key = arn_of(only(resources, "AWS::KMS::Key")[0])

    workflow = {action: r for action, r in granted.items() if action.split(":")[0] not in {"logs", "xray"}}
    # ReserveAutomationSlot's conditional update is all the workflow does to the coordination table.
    assert workflow == {
        "lambda:InvokeFunction": functions,
        "ssm:StartAutomationExecution": [RUNBOOK, EXECUTIONS],
        "ssm:GetAutomationExecution": [EXECUTIONS],
        "iam:PassRole": [arn_of(automation_role(default_stack))],
        "sns:Publish": [ref(operators_id)],
        "dynamodb:PutItem": [arn_of(table_id)],
        "dynamodb:GetItem": [arn_of(table_id)],
        "dynamodb:UpdateItem": [arn_of(coordination_id)],
        "kms:GenerateDataKey": [key, key],
        "kms:Decrypt": [key, key],
        "kms:Encrypt": [key],
        "kms:DescribeKey": [key],
    }
    # What AWS requires besides (log delivery, X-Ray), on "*" because those actions take no resource.
    assert {a for a in granted if a.split(":")[0] in {"logs", "xray"}} <= WILDCARD_ONLY_ACTIONS
    assert [s["Principal"] for s in trust(default_stack, role_id)] == [{"Service": "states.amazonaws.com"}]


def test_only_conclude_writes_the_notification_state_table_and_only_to_update_items(
    default_stack: Synthesized,
) -> None:
    """Given the stack, Then the statements on the notification-state table are Conclude's UpdateItem and
    the sweep's FollowFlagged GetItem (what the owner was told, for the finding it opens): nothing else."""
    state = arn_of(
        only(default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-notification-state")[0]
    )
    on_the_table = [
        (name, statement)
        for name, statement in allow_statements(default_stack)
        if state in as_list(statement.get("Resource", []))
    ]

    def policies_of(handler: str) -> set[str]:
        return {
            name
            for name, policy in of_type(default_stack.resources, "AWS::IAM::Policy").items()
            if ref(role_of_function(default_stack, handler)) in policy["Properties"]["Roles"]
        }

    conclude = policies_of(WORKFLOW_HANDLERS["ConcludeFunctionArn"])
    follow_flagged = policies_of(SWEEP_HANDLERS["FollowFlaggedFunctionArn"])
    assert sorted(
        ("Conclude" if name in conclude else "FollowFlagged" if name in follow_flagged else name, s["Action"])
        for name, s in on_the_table
    ) == [("Conclude", "dynamodb:UpdateItem"), ("FollowFlagged", "dynamodb:GetItem")]


def test_key_use_is_limited_to_the_service_called(default_stack: Synthesized) -> None:
    role_id = role_of_state_machine(default_stack)
    for statement in role_statements(default_stack.resources, role_id):
        if any(action.startswith("kms:") for action in as_list(statement["Action"])):
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Join"][1]
            assert via[0] in {"sns.", "dynamodb."}
            assert via[1:] == [{"Ref": "AWS::Region"}, ".amazonaws.com"]


def test_pass_role_is_only_the_automation_role_only_to_ssm(default_stack: Synthesized) -> None:
    passes = [
        (name, statement)
        for name, statement in allow_statements(default_stack)
        if "iam:PassRole" in as_list(statement["Action"])
    ]
    assert len(passes) == 1
    _, statement = passes[0]
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    assert statement["Resource"] == arn_of(automation_role(default_stack))
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_the_automation_role_is_for_ssm_alone_with_the_runbooks_permissions(
    default_stack: Synthesized,
) -> None:
    role_id = automation_role(default_stack)
    (assume,) = trust(default_stack, role_id)
    assert assume["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert assume["Action"] == "sts:AssumeRole"
    assert assume["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": EXECUTIONS},
    }
    assert actions_to_resources(role_statements(default_stack.resources, role_id)) == {
        "ssm:StartAutomationExecution": [RUNBOOK, EXECUTIONS],
        "ssm:GetAutomationExecution": [EXECUTIONS],
        "config:ListDiscoveredResources": ["*"],
        "iam:DeleteAccessKey": [USERS],
        "iam:DeleteLoginProfile": [USERS],
        "iam:GetAccessKeyLastUsed": [USERS],
        "iam:GetLoginProfile": [USERS],
        "iam:GetUser": [USERS],
        "iam:ListAccessKeys": [USERS],
        "iam:UpdateAccessKey": [USERS],
    }


@pytest.mark.parametrize("handler", list(WORKFLOW_HANDLERS.values()))
def test_each_function_has_its_own_role_with_its_own_logs(default_stack: Synthesized, handler: str) -> None:
    resources = default_stack.resources
    role_id = role_of_function(default_stack, handler)
    function = only(resources, "AWS::Lambda::Function", Handler=handler)[1]["Properties"]
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    granted = actions_to_resources(role_statements(resources, role_id))
    others = {role_of_function(default_stack, h) for h in WORKFLOW_HANDLERS.values() if h != handler}

    assert role_id not in others
    assert [s["Principal"] for s in trust(default_stack, role_id)] == [{"Service": "lambda.amazonaws.com"}]
    assert "ManagedPolicyArns" not in resources[role_id]["Properties"]
    assert granted["logs:CreateLogStream"] == granted["logs:PutLogEvents"] == [arn_of(log_group_id)]
    assert granted["xray:PutTraceSegments"] == granted["xray:PutTelemetryRecords"] == ["*"]
    iam_actions = {a: r for a, r in granted.items() if a.startswith("iam:")}
    # Both read the flagged user by name (no iam:ListUsers: Config's inventory names it).
    assert iam_actions == {
        "iam:GetUser": [USERS],
        "iam:ListUserTags": [USERS],
        "iam:ListAccessKeys": [USERS],
        "iam:GetAccessKeyLastUsed": [USERS],
        "iam:GetLoginProfile": [USERS],
    }
    data_actions = {a: r for a, r in granted.items() if a.split(":")[0] not in {"logs", "xray", "iam"}}
    key = arn_of(only(resources, "AWS::KMS::Key")[0])
    coordination = arn_of(only(resources, "AWS::DynamoDB::Table", TableName="keywarden-coordination")[0])
    if handler.endswith("prepare.handler"):
        exemptions_id, _ = only(resources, "AWS::DynamoDB::Table", TableName="keywarden-exemptions")
        # Claims the event and locks the user (conditional puts, a refused one read back).
        assert data_actions == {
            "config:ListDiscoveredResources": ["*"],
            "config:DescribeConfigurationRecorders": ["*"],
            "config:DescribeConfigurationRecorderStatus": ["*"],
            "dynamodb:Scan": [arn_of(exemptions_id)],
            "dynamodb:PutItem": [coordination],
            "dynamodb:GetItem": [coordination],
            "kms:Decrypt": [key, key],
            "kms:Encrypt": [key],
            "kms:GenerateDataKey": [key],
            "kms:DescribeKey": [key],
        }
    else:
        state_id, _ = only(resources, "AWS::DynamoDB::Table", TableName="keywarden-notification-state")
        owners_id, _ = only(resources, "AWS::SNS::Topic", TopicName="keywarden-owners")
        # Gives back the lock (conditional delete) and the slot (read, set DELETE), counts deferrals.
        assert data_actions == {
            "dynamodb:UpdateItem": [arn_of(state_id), coordination],
            "dynamodb:GetItem": [coordination],
            "dynamodb:DeleteItem": [coordination],
            "sns:Publish": [ref(owners_id)],
            "kms:GenerateDataKey": [key, key],
            "kms:Decrypt": [key, key],
            "kms:Encrypt": [key],
            "kms:DescribeKey": [key],
        }
    assert set(granted) - set(iam_actions) - set(data_actions) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_eventbridge_may_start_only_the_workflow(default_stack: Synthesized) -> None:
    resources = default_stack.resources
    rule = only(resources, "AWS::Events::Rule")[1]["Properties"]
    (target,) = rule["Targets"]
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    state_machine_id = remediation_state_machine(resources)[0]
    assert [s["Principal"] for s in trust(default_stack, role_id)] == [{"Service": "events.amazonaws.com"}]
    assert actions_to_resources(role_statements(resources, role_id)) == {
        "states:StartExecution": [ref(state_machine_id)]
    }
