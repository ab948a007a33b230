"""The findings table, as the template configures it (domain/tables.py FindingsTable)."""

from __future__ import annotations

from deployment.outputs import FINDINGS_TABLE_OUTPUT
from domain.tables import FindingsTable
from tests.infra.conftest import Synthesized
from tests.infra.template import arn_of, only, ref


def test_the_findings_table_is_keyed_indexed_encrypted_recoverable_and_kept(
    default_stack: Synthesized,
) -> None:
    """Given the default stack, Then the findings table has pk/sk string keys, by_status and by_user
    (projecting everything), keywarden's key, point-in-time recovery, deletion protection, no TTL,
    and is kept when the stack is deleted."""
    _, table = only(default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-findings")
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: (
            [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
            index["Projection"],
        )
        for index in properties["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "by_status": ([("status", "HASH"), ("deadline", "RANGE")], {"ProjectionType": "ALL"}),
        "by_user": ([("user_id", "HASH"), ("opened_on", "RANGE")], {"ProjectionType": "ALL"}),
    }
    assert set(indexes) == set(FindingsTable.indexes())
    attributes = {d["AttributeName"]: d["AttributeType"] for d in properties["AttributeDefinitions"]}
    assert attributes == dict.fromkeys(("pk", "sk", "status", "deadline", "user_id", "opened_on"), "S")
    assert properties["SSESpecification"] == {
        "KMSMasterKeyId": arn_of(only(default_stack.resources, "AWS::KMS::Key")[0]),
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["DeletionProtectionEnabled"] is True
    assert "TimeToLiveSpecification" not in properties
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_findings_table_name_is_an_output_the_cli_can_read(
    default_stack: Synthesized, custom_stack: Synthesized
) -> None:
    """Given the stack (and one with another prefix), Then FindingsTableName names its findings table."""
    assert FINDINGS_TABLE_OUTPUT == "FindingsTableName"
    for stack, name in ((default_stack, "keywarden-findings"), (custom_stack, "kw-test-findings")):
        table_id, _ = only(stack.resources, "AWS::DynamoDB::Table", TableName=name)
        assert stack.template["Outputs"][FINDINGS_TABLE_OUTPUT]["Value"] == ref(table_id)
