"""The auditors' managed policy: the contract's document, read-only, on the audit table alone."""

from __future__ import annotations

from typing import Any

from deployment.policies import auditor_policy as contract_policy
from tests.infra.conftest import Synthesized
from tests.infra.template import (
    SAMPLE_PSEUDO_PARAMETERS,
    account_arn,
    actions_to_resources,
    arn_of,
    of_type,
    only,
    render,
    statements,
)


def auditor_policy(stack: Synthesized, prefix: str = "keywarden") -> tuple[str, dict[str, Any]]:
    name, policy = only(stack.resources, "AWS::IAM::ManagedPolicy", ManagedPolicyName=f"{prefix}-auditors")
    return name, policy["Properties"]


def test_auditors_may_query_and_get_items_of_the_audit_and_findings_tables_and_their_indexes_only(
    default_stack: Synthesized,
) -> None:
    """Given the default stack, When its auditors' policy is read, Then it grants Query and GetItem on the
    audit and findings tables and their indexes, decryption through DynamoDB, and finding the stack."""
    _, policy = auditor_policy(default_stack)
    key_id, _ = only(default_stack.resources, "AWS::KMS::Key")
    granted = actions_to_resources(statements(policy["PolicyDocument"]))
    assert granted == {
        "dynamodb:Query": [
            account_arn("dynamodb", "table/keywarden-audit"),
            account_arn("dynamodb", "table/keywarden-audit/index/*"),
            account_arn("dynamodb", "table/keywarden-findings"),
            account_arn("dynamodb", "table/keywarden-findings/index/*"),
        ],
        "dynamodb:GetItem": [
            account_arn("dynamodb", "table/keywarden-audit"),
            account_arn("dynamodb", "table/keywarden-audit/index/*"),
            account_arn("dynamodb", "table/keywarden-findings"),
            account_arn("dynamodb", "table/keywarden-findings/index/*"),
        ],
        "kms:Decrypt": [arn_of(key_id)],
        "cloudformation:DescribeStacks": [{"Ref": "AWS::StackId"}],
    }
    (decrypt,) = [s for s in statements(policy["PolicyDocument"]) if s["Action"] == "kms:Decrypt"]
    assert render(decrypt["Condition"]) == {
        "StringEquals": {"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}
    }


def test_the_document_is_the_contracts_plus_finding_the_stack(default_stack: Synthesized) -> None:
    _, policy = auditor_policy(default_stack)
    key_id, _ = only(default_stack.resources, "AWS::KMS::Key")
    deployed = render(policy["PolicyDocument"])
    contract = contract_policy(
        "arn:aws:dynamodb:eu-west-1:111122223333:table/keywarden-audit",
        f"<{key_id}.Arn>",
        findings_table_arn="arn:aws:dynamodb:eu-west-1:111122223333:table/keywarden-findings",
    )
    *from_contract, find_the_stack = deployed["Statement"]
    assert {**deployed, "Statement": from_contract} == contract
    assert find_the_stack == {
        "Sid": "FindTheAuditTable",
        "Effect": "Allow",
        "Action": "cloudformation:DescribeStacks",
        "Resource": SAMPLE_PSEUDO_PARAMETERS["AWS::StackId"],
    }


def test_the_policy_names_the_prefixed_table_and_is_attached_to_no_keywarden_role(
    custom_stack: Synthesized,
) -> None:
    name, policy = auditor_policy(custom_stack, "kw-test")
    (read,) = [s for s in statements(policy["PolicyDocument"]) if s.get("Sid") == "ReadAuditHistory"]
    assert render(read["Resource"]) == [
        "arn:aws:dynamodb:eu-west-1:111122223333:table/kw-test-audit",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/kw-test-audit/index/*",
    ]
    # The policy's table is the stack's audit table.
    only(custom_stack.resources, "AWS::DynamoDB::Table", TableName="kw-test-audit")
    for role in of_type(custom_stack.resources, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    assert custom_stack.template["Outputs"]["AuditorPolicyArn"]["Value"] == {"Ref": name}
