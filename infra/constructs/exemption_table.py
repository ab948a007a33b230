"""The DynamoDB exemption table: users protected from remediation, written by security administrators only.

Two locks keep it so (README, "Deploying to AWS"):
- IAM: only the managed policy `<prefix>-exemption-administrators` allows writing it; keywarden's
  DecideAction function may only Scan it, and no other keywarden role may touch it.
- Its resource policy denies every write to keywarden's own roles, and, when
  `exemptionAdministratorArns` names the administrators, to every principal but them: even a
  principal whose IAM policies allow `dynamodb:*` cannot add an exemption.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Annotations, Aws, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from domain.tables import ExemptionTable as Layout
from infra.constructs.durable_table import durable_table
from infra.constructs.encryption_key import EncryptionKey, through

WRITE_ACTIONS: Final = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    # PartiQL writes (ExecuteStatement, BatchExecuteStatement) are authorized by these, not by the above.
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)
"""Every action that writes an item; a transaction is authorized by the item actions it holds."""

ADMINISTRATOR_ACTIONS: Final = (
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:Scan",
)
"""`keywarden exemptions add|remove|list`: put one, delete one, read one, read all."""


class ExemptionTable(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_name: str,
        policy_name: str,
        key: EncryptionKey,
    ) -> None:
        super().__init__(scope, construct_id)
        # Who was exempted, why and by whom is evidence too.
        self.table = durable_table(
            self, table_name=table_name, key=key.key, partition_key=Layout.PARTITION_KEY
        )
        # The table's own ARN from its name: its resource policy cannot reference the table's
        # attributes (the table would depend on itself).
        self.arn_by_name = Stack.of(self).format_arn(
            service="dynamodb", resource="table", resource_name=table_name
        )
        self.administrator_policy = iam.ManagedPolicy(
            self,
            "AdministratorPolicy",
            managed_policy_name=policy_name,
            description="keywarden: add, list and remove exemptions (attach to security administrators only)",
            statements=[
                iam.PolicyStatement(
                    sid="ManageExemptions",
                    actions=list(ADMINISTRATOR_ACTIONS),
                    resources=[self.table.table_arn],
                ),
                # What the workflow's writers get on this key, through DynamoDB only.
                iam.PolicyStatement(
                    sid="EncryptExemptionsThroughDynamoDB",
                    actions=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    resources=[key.key.key_arn],
                    conditions=through("dynamodb"),
                ),
                # `keywarden exemptions` finds the table from the stack's output.
                iam.PolicyStatement(
                    sid="FindTheExemptionTable",
                    actions=["cloudformation:DescribeStacks"],
                    resources=[Aws.STACK_ID],
                ),
            ],
        )

    def allow_reading(self, role: iam.IRole, key: EncryptionKey) -> None:
        """`role` may read every exemption (a consistent Scan, paginated) and nothing else."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadExemptions", actions=["dynamodb:Scan"], resources=[self.table.table_arn]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptExemptionsThroughDynamoDB",
                actions=["kms:Decrypt"],
                resources=[key.key.key_arn],
                conditions=through("dynamodb"),
            )
        )

    def deny_writes(self, keywarden_role_arns: Sequence[str], administrator_arns: Sequence[str]) -> None:
        """The resource policy: no keywarden role ever writes; with administrators named, only they do.

        Call it once every role of the stack exists. The conditions compare `aws:PrincipalArn`,
        the role (not the session) a caller assumed, or the user.
        """
        self.table.add_to_resource_policy(
            iam.PolicyStatement(
                sid="KeywardenRolesNeverWriteExemptions",
                effect=iam.Effect.DENY,
                principals=[iam.StarPrincipal()],
                actions=list(WRITE_ACTIONS),
                resources=[self.arn_by_name],
                conditions={"ArnEquals": {"aws:PrincipalArn": list(keywarden_role_arns)}},
            )
        )
        if administrator_arns:
            self.table.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="OnlyExemptionAdministratorsWrite",
                    effect=iam.Effect.DENY,
                    principals=[iam.StarPrincipal()],
                    actions=list(WRITE_ACTIONS),
                    resources=[self.arn_by_name],
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": list(administrator_arns)}},
                )
            )
        else:
            Annotations.of(self.table).add_warning_v2(
                "keywarden:exemption-administrators",
                "exemptionAdministratorArns is empty: any principal of the account whose IAM policies "
                "allow writing the exemption table (the exemption administrators' policy, or broad "
                "grants such as AdministratorAccess) can add an exemption. Name the security "
                "administrators' roles to deny everyone else.",
            )
