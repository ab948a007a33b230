"""IAM policies keywarden hands to people (not to its own roles): what auditors may do."""

from __future__ import annotations

from typing import Any


def auditor_policy(
    table_arn: str, kms_key_arn: str | None = None, *, findings_table_arn: str | None = None
) -> dict[str, Any]:
    """The auditors' IAM policy: Query and GetItem on the audit table and its indexes (and on the
    findings table and its indexes: `keywarden findings list`, `audit summary`), nothing else.

    With a customer-managed KMS key, DynamoDB decrypts on the caller's behalf, so the caller
    also needs kms:Decrypt on that key, and only through DynamoDB.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadAuditHistory",
            "Effect": "Allow",
            "Action": ["dynamodb:Query", "dynamodb:GetItem"],
            "Resource": [table_arn, f"{table_arn}/index/*"],
        }
    ]
    if findings_table_arn:
        statements.append(
            {
                "Sid": "ReadFindings",
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                "Resource": [findings_table_arn, f"{findings_table_arn}/index/*"],
            }
        )
    if kms_key_arn:
        region = table_arn.split(":")[3]
        statements.append(
            {
                "Sid": "DecryptAuditHistoryThroughDynamoDB",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
