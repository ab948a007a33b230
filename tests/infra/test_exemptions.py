"""Exemptions in the stack: the table, who reads it, who alone writes it, and dry-run mode."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from deployment.workflow import WORKFLOW_HANDLERS
from domain.tables import ExemptionTable
from statemachine import render_definition
from tests.infra.conftest import SECURITY_ADMIN_ROLE, SSO_SECURITY_ADMIN_ROLE, Synthesized
from tests.infra.template import (
    account_arn,
    arn_of,
    as_list,
    of_type,
    only,
    policy_documents,
    ref,
    render,
    statements,
)
from tests.infra.test_workflow_definition import resolve, state_machine

PREPARE_HANDLER = WORKFLOW_HANDLERS["PrepareFunctionArn"]

ITEM_WRITES = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
]
"""Every IAM action that writes a DynamoDB item (transactions are authorized by the item actions)."""

VIA_DYNAMODB = {
    "StringEquals": {
        "kms:ViaService": {"Fn::Join": ["", ["dynamodb.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
}


def exemption_table(stack: Synthesized, prefix: str = "keywarden") -> tuple[str, dict[str, Any]]:
    return only(stack.resources, "AWS::DynamoDB::Table", TableName=f"{prefix}-exemptions")


def key_arn(stack: Synthesized) -> dict[str, list[str]]:
    return arn_of(only(stack.resources, "AWS::KMS::Key")[0])


def prepare_function(stack: Synthesized) -> tuple[str, dict[str, Any]]:
    return only(stack.resources, "AWS::Lambda::Function", Handler=PREPARE_HANDLER)


def writes(action: str) -> bool:
    """Whether an allowed action (IAM wildcards and case included) lets a principal write items."""
    return any(fnmatchcase(write.lower(), action.lower()) for write in ITEM_WRITES)


class TestTheTable:
    def test_one_item_per_user_pattern_encrypted_recoverable_and_kept(
        self, default_stack: Synthesized
    ) -> None:
        _, table = exemption_table(default_stack)
        properties = table["Properties"]
        assert properties["KeySchema"] == [{"AttributeName": ExemptionTable.PARTITION_KEY, "KeyType": "HASH"}]
        assert properties["AttributeDefinitions"] == [
            {"AttributeName": ExemptionTable.PARTITION_KEY, "AttributeType": "S"}
        ]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["SSESpecification"] == {
            "KMSMasterKeyId": key_arn(default_stack),
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["DeletionProtectionEnabled"] is True
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
        # An expired exemption is kept: the workflow records that it no longer applies.
        assert "TimeToLiveSpecification" not in properties

    def test_its_name_is_a_stack_output(self, default_stack: Synthesized, custom_stack: Synthesized) -> None:
        for stack, prefix in ((default_stack, "keywarden"), (custom_stack, "kw-test")):
            table_id, _ = exemption_table(stack, prefix)
            assert stack.template["Outputs"]["ExemptionTableName"]["Value"] == ref(table_id)


class TestPrepare:
    def test_the_asl_prepare_state_runs_the_prepare_function(self, default_stack: Synthesized) -> None:
        """Given the stack, when the workflow's Prepare state runs, then it invokes keywarden-prepare."""
        properties = state_machine(default_stack)
        function_id, function = prepare_function(default_stack)
        assert properties["DefinitionSubstitutions"]["PrepareFunctionArn"] == arn_of(function_id)
        values = {k: resolve(v, default_stack) for k, v in properties["DefinitionSubstitutions"].items()}
        rendered = json.loads(render_definition(values))
        assert rendered["States"]["Prepare"]["Resource"] == f"<AWS::Lambda::Function {function_id}>"
        assert function["Properties"]["FunctionName"] == "keywarden-prepare"

    def test_its_environment_names_the_table_and_carries_the_settings(
        self, default_stack: Synthesized, custom_stack: Synthesized
    ) -> None:
        for stack, prefix, dry_run, max_days, rule in (
            (default_stack, "keywarden", "false", "90", "keywarden-access-keys-rotated"),
            (custom_stack, "kw-test", "true", "30", "org-access-keys-rotated"),
        ):
            table_id, _ = exemption_table(stack, prefix)
            coordination_id, _ = only(
                stack.resources, "AWS::DynamoDB::Table", TableName=f"{prefix}-coordination"
            )
            variables = prepare_function(stack)[1]["Properties"]["Environment"]["Variables"]
            assert variables == {
                "CONFIG_RULE_NAME": rule,
                "DRY_RUN": dry_run,
                "EXEMPTION_TABLE_NAME": ref(table_id),
                "MAX_EXEMPTION_DAYS": max_days,
                "COORDINATION_TABLE_NAME": ref(coordination_id),
                "POWERTOOLS_SERVICE_NAME": "keywarden",
            }

    def test_its_role_reads_the_exemptions_by_scan_and_decrypts_through_dynamodb_only(
        self, default_stack: Synthesized
    ) -> None:
        resources = default_stack.resources
        role_id = prepare_function(default_stack)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
        table_id, _ = exemption_table(default_stack)
        log_group_id = prepare_function(default_stack)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        (policy,) = [
            p["Properties"]["PolicyDocument"]
            for p in of_type(resources, "AWS::IAM::Policy").values()
            if ref(role_id) in p["Properties"]["Roles"]
        ]
        on_tables_or_keys = [
            s
            for s in statements(policy)
            if str(s["Action"]).startswith(("dynamodb:", "kms:", "['dynamodb", "['kms"))
            and s["Sid"] not in {"ClaimEventsAndLockUsers", "EncryptCoordination"}  # test_permissions.py
        ]
        assert log_group_id
        assert on_tables_or_keys == [
            {
                "Action": "dynamodb:Scan",
                "Effect": "Allow",
                "Resource": arn_of(table_id),
                "Sid": "ReadExemptions",
            },
            {
                "Action": "kms:Decrypt",
                "Condition": VIA_DYNAMODB,
                "Effect": "Allow",
                "Resource": key_arn(default_stack),
                "Sid": "DecryptExemptionsThroughDynamoDB",
            },
        ]
        assert "ManagedPolicyArns" not in resources[role_id]["Properties"]
        assert "Policies" not in resources[role_id]["Properties"]


class TestOnlyAdministratorsWrite:
    def test_the_administrators_policy_adds_lists_and_removes_and_nothing_else(
        self, default_stack: Synthesized
    ) -> None:
        table_id, _ = exemption_table(default_stack)
        _, policy = only(
            default_stack.resources,
            "AWS::IAM::ManagedPolicy",
            ManagedPolicyName="keywarden-exemption-administrators",
        )
        assert statements(policy["Properties"]["PolicyDocument"]) == [
            {
                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Scan"],
                "Effect": "Allow",
                "Resource": arn_of(table_id),
                "Sid": "ManageExemptions",
            },
            {
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Condition": VIA_DYNAMODB,
                "Effect": "Allow",
                "Resource": key_arn(default_stack),
                "Sid": "EncryptExemptionsThroughDynamoDB",
            },
            {
                "Action": "cloudformation:DescribeStacks",
                "Effect": "Allow",
                "Resource": {"Ref": "AWS::StackId"},
                "Sid": "FindTheExemptionTable",
            },
        ]
        # Attached to no keywarden role: security administrators attach it to theirs.
        for role in of_type(default_stack.resources, "AWS::IAM::Role").values():
            assert "ManagedPolicyArns" not in role["Properties"]

    def test_no_other_identity_policy_of_the_stack_can_write_the_table(
        self, default_stack: Synthesized, custom_stack: Synthesized
    ) -> None:
        for stack, prefix in ((default_stack, "keywarden"), (custom_stack, "kw-test")):
            table_id, _ = exemption_table(stack, prefix)
            table_arns = [arn_of(table_id), account_arn("dynamodb", f"table/{prefix}-exemptions")]
            writers = set()
            for name, document in policy_documents(stack.resources):
                if stack.resources[name]["Type"] not in {
                    "AWS::IAM::Policy",
                    "AWS::IAM::ManagedPolicy",
                    "AWS::IAM::Role",
                }:
                    continue
                for statement in statements(document):
                    resources = as_list(statement.get("Resource", []))
                    reaches = any(r in table_arns or "*" in str(render(r)) for r in resources)
                    actions = as_list(statement.get("Action", []))
                    if statement["Effect"] == "Allow" and reaches and any(writes(a) for a in actions):
                        writers.add(stack.resources[name]["Properties"].get("ManagedPolicyName", name))
            assert writers == {f"{prefix}-exemption-administrators"}

    def test_the_workflow_never_names_the_table(self, default_stack: Synthesized) -> None:
        table_id, _ = exemption_table(default_stack)
        substitutions = state_machine(default_stack)["DefinitionSubstitutions"]
        # Every ARN and name the ASL uses is a substitution: none is the exemption table.
        assert table_id not in json.dumps(substitutions)

    def test_the_resource_policy_denies_every_keywarden_role_any_write(
        self, default_stack: Synthesized, custom_stack: Synthesized, minimal_stack: Synthesized
    ) -> None:
        for stack, prefix in (
            (default_stack, "keywarden"),
            (custom_stack, "kw-test"),
            (minimal_stack, "keywarden"),
        ):
            _, table = exemption_table(stack, prefix)
            deny = statements(table["Properties"]["ResourcePolicy"]["PolicyDocument"])[0]
            assert deny["Sid"] == "KeywardenRolesNeverWriteExemptions"
            assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", ITEM_WRITES)
            assert (
                render(deny["Resource"])
                == f"arn:aws:dynamodb:eu-west-1:111122223333:table/{prefix}-exemptions"
            )
            denied = deny["Condition"]["ArnEquals"]["aws:PrincipalArn"]
            # Every role the stack creates, whichever optional parts it has.
            assert sorted(arn["Fn::GetAtt"][0] for arn in denied) == sorted(
                of_type(stack.resources, "AWS::IAM::Role")
            )
            assert all(arn["Fn::GetAtt"][1] == "Arn" for arn in denied)
            assert state_machine(stack)["RoleArn"] in denied
            assert prepare_function(stack)[1]["Properties"]["Role"] in denied

    def test_without_administrators_named_keywarden_roles_are_the_only_deny(
        self, default_stack: Synthesized
    ) -> None:
        _, table = exemption_table(default_stack)
        (deny,) = statements(table["Properties"]["ResourcePolicy"]["PolicyDocument"])
        assert deny["Sid"] == "KeywardenRolesNeverWriteExemptions"

    def test_with_administrators_named_everyone_else_is_denied_writes(
        self, custom_stack: Synthesized
    ) -> None:
        _, table = exemption_table(custom_stack, "kw-test")
        keywarden_roles, everyone_else = statements(table["Properties"]["ResourcePolicy"]["PolicyDocument"])
        assert keywarden_roles["Sid"] == "KeywardenRolesNeverWriteExemptions"
        assert everyone_else == {
            "Sid": "OnlyExemptionAdministratorsWrite",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ITEM_WRITES,
            "Resource": account_arn("dynamodb", "table/kw-test-exemptions"),
            "Condition": {
                "ArnNotEquals": {"aws:PrincipalArn": [SECURITY_ADMIN_ROLE, SSO_SECURITY_ADMIN_ROLE]}
            },
        }

    def test_synth_warns_when_no_administrator_is_named(
        self, default_stack: Synthesized, custom_stack: Synthesized
    ) -> None:
        def warnings(stack: Synthesized) -> list[str]:
            manifest = json.loads((stack.outdir / "manifest.json").read_text())
            (artifact,) = [
                a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"
            ]
            metadata = json.loads((stack.outdir / artifact["additionalMetadataFile"]).read_text())
            return [
                str(entry["data"])
                for entries in metadata.values()
                for entry in entries
                if entry["type"] == "aws:cdk:warning"
            ]

        (warning,) = warnings(default_stack)
        assert warning.startswith("exemptionAdministratorArns is empty: any principal of the account")
        assert warnings(custom_stack) == []
