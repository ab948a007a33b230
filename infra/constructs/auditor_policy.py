"""The auditors' managed policy: Query and GetItem on the audit and findings tables and their indexes,
nothing else.

Its document is `deployment.policies.auditor_policy`, the one the CLI's tests prove
enough for `keywarden audit`; this stack adds only `cloudformation:DescribeStacks` on itself, so
that `keywarden audit` can find the table from the stack's output without `--table`.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from deployment.policies import auditor_policy
from infra.constructs.encryption_key import EncryptionKey
from infra.nag import acknowledge


class AuditorPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        policy_name: str,
        table_name: str,
        findings_table_name: str,
        key: EncryptionKey,
    ) -> None:
        super().__init__(scope, construct_id)
        # From the table's name, not its attribute: the contract reads the region out of the ARN.
        stack = Stack.of(self)
        table_arn = stack.format_arn(service="dynamodb", resource="table", resource_name=table_name)
        findings_arn = stack.format_arn(
            service="dynamodb", resource="table", resource_name=findings_table_name
        )
        document = iam.PolicyDocument.from_json(
            auditor_policy(table_arn, key.key.key_arn, findings_table_arn=findings_arn)
        )
        document.add_statements(
            iam.PolicyStatement(
                sid="FindTheAuditTable", actions=["cloudformation:DescribeStacks"], resources=[Aws.STACK_ID]
            )
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=policy_name,
            description="keywarden: read the remediation history (keywarden audit), nothing else",
            document=document,
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:"
            f"table/{table_name}/index/*]",
            f"Auditors query {table_name} through its indexes (by user name, user id, access key, "
            "account, outcome: AuditTable.indexes()); index/* names this table's indexes only.",
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:"
            f"table/{findings_table_name}/index/*]",
            f"Auditors query {findings_table_name} through its indexes (by status, by user: "
            "FindingsTable.indexes()); index/* names this table's indexes only.",
        )
