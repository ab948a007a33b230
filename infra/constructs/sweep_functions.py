"""The daily sweep's two functions (deployment/sweep.py), each with its own least-privilege role.

FollowFlagged reads the rule's NON_COMPLIANT users from Config, re-drives through the remediation
workflow the ones whose remediation did not succeed, and opens a finding for each stale active key
(telling the owner when no remediation did); FollowFindings follows each open finding (reminder,
escalation, enforcement, close). Only FollowFlagged reads Config or starts remediations; only
FollowFindings (with enforceAfterDeadline on) may deactivate a key.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.sweep import (
    FOLLOW_FINDINGS,
    FOLLOW_FLAGGED,
    SWEEP_FUNCTIONS,
    SweepResources,
    sweep_function_environments,
)
from domain.tables import AuditTable, FindingsTable
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.exemption_table import ExemptionTable
from infra.constructs.functions import (
    FunctionPackage,
    allow_config_lookup,
    allow_user_reads,
    iam_users_arn,
    keywarden_function,
)
from infra.nag import acknowledge

PAGE_TIMEOUT: Final = Duration.minutes(5)
"""One page: up to 100 users (Config's largest page) or a page of findings, each read from IAM and
written to the tables one by one; the state machine retries a throttled page from its start."""


def index_arn(table: dynamodb.ITable, index_name: str) -> str:
    """One global secondary index of `table`, by name (no `index/*`)."""
    return f"{table.table_arn}/index/{index_name}"


def config_rule_arn(scope: Construct, rule_arn: str | None) -> str:
    """The rule's ARN when the stack creates it; else every rule of the account and region: an ARN
    names a rule by its id (`config-rule/config-rule-ab12cd`), unknown when synthesizing for an
    existing rule, which is given by name (configRuleName)."""
    return rule_arn or Stack.of(scope).format_arn(service="config", resource="config-rule", resource_name="*")


class SweepFunctions(Construct):
    """FollowFlagged and FollowFindings, keyed by their ASL substitution name."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
        package: FunctionPackage,
        resources: SweepResources,
        created_rule_arn: str | None,
        findings: dynamodb.ITable,
        audit: dynamodb.ITable,
        notification_state: dynamodb.ITable,
        exemptions: ExemptionTable,
        owners: sns.ITopic,
        remediation: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        environments = sweep_function_environments(settings, resources)
        enforcing = settings.enforce_after_deadline
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for function in SWEEP_FUNCTIONS:
            self.functions[function.substitution], self.roles[function.substitution] = keywarden_function(
                self,
                function.substitution.removesuffix("FunctionArn"),
                handler=function.handler,
                package=package,
                settings=settings,
                names=names,
                key=key,
                environment=environments[function.substitution],
                timeout=PAGE_TIMEOUT,
                purpose=function.purpose,
                wildcard_reason=(
                    " config:ListDiscoveredResources and config:DescribeConfigurationRecorder* (the flagged "
                    "user's name from its id, as Prepare finds it) authorize no resource but '*'."
                    if function is FOLLOW_FLAGGED
                    else ""
                ),
            )
            exemptions.allow_reading(self.roles[function.substitution], key)
            self.roles[function.substitution].add_to_policy(key.table_items("EncryptSweepItems"))
        flagged, follow = self.roles[FOLLOW_FLAGGED.substitution], self.roles[FOLLOW_FINDINGS.substitution]
        allow_user_reads(flagged, names.function(FOLLOW_FLAGGED.handler))
        allow_user_reads(
            follow,
            names.function(FOLLOW_FINDINGS.handler),
            also=(
                " With enforceAfterDeadline on, also iam:UpdateAccessKey: it deactivates the overdue key of "
                "whichever user a finding is about."
                if enforcing
                else ""
            ),
        )
        self._allow_following_flagged_users(
            flagged,
            key,
            config_rule_arn(self, created_rule_arn),
            findings,
            audit,
            notification_state,
            owners,
            remediation,
        )
        self._allow_following_findings(follow, key, findings, owners, enforcing=enforcing)
        if created_rule_arn is None:
            acknowledge(
                flagged,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:config:<AWS::Region>:<AWS::AccountId>:"
                "config-rule/*]",
                "An existing Config rule (createConfigRule=false) is known by name only; IAM names a rule by "
                "its id, which synth cannot know. Read-only: the evaluation results of the account's rules.",
            )

    @staticmethod
    def _allow_following_flagged_users(
        role: iam.Role,
        key: EncryptionKey,
        rule_arn: str,
        findings: dynamodb.ITable,
        audit: dynamodb.ITable,
        notification_state: dynamodb.ITable,
        owners: sns.ITopic,
        remediation: sfn.IStateMachine,
    ) -> None:
        """lambdas/flagged_users.py: Config's NON_COMPLIANT users of the rule, each one's name from
        Config's inventory; the user's remediations (audit by_user_id) and what the owner was told
        (notification state); the remediation started again, its re-drive recorded; a finding opened
        (a transaction of conditional puts) and, when no remediation told the owner, the sweep's first
        notice claimed (a conditional put), published and marked sent (an update)."""
        statements = [
            iam.PolicyStatement(
                sid="ReadTheRulesFlaggedUsers",
                actions=["config:GetComplianceDetailsByConfigRule"],
                resources=[rule_arn],
            ),
            iam.PolicyStatement(
                sid="ReadUsersRemediations",
                actions=["dynamodb:Query"],
                resources=[index_arn(audit, AuditTable.BY_USER_ID)],
            ),
            iam.PolicyStatement(
                sid="ReadOwnersNotices",
                actions=["dynamodb:GetItem"],
                resources=[notification_state.table_arn],
            ),
            # TransactWriteItems is authorized per Put as dynamodb:PutItem.
            iam.PolicyStatement(
                sid="OpenFindingsAndRecordRedrives",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[findings.table_arn],
            ),
            iam.PolicyStatement(
                sid="RedriveRemediations",
                actions=["states:StartExecution"],
                resources=[remediation.state_machine_arn],
            ),
            iam.PolicyStatement(
                sid="PublishFirstNotices", actions=["sns:Publish"], resources=[owners.topic_arn]
            ),
            key.publishing("EncryptFirstNotices"),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        allow_config_lookup(role)

    @staticmethod
    def _allow_following_findings(
        role: iam.Role,
        key: EncryptionKey,
        findings: dynamodb.ITable,
        owners: sns.ITopic,
        *,
        enforcing: bool,
    ) -> None:
        """lambdas/finding_followups.py: the open findings (by_status), each one read (CURRENT), its day's
        transition claimed (a conditional put, read back when refused), the owner's message published and
        marked sent (an update), its state saved (a put); with enforceAfterDeadline on, the key
        deactivated."""
        statements = [
            iam.PolicyStatement(
                sid="ReadOpenFindings",
                actions=["dynamodb:Query"],
                resources=[index_arn(findings, FindingsTable.BY_STATUS)],
            ),
            iam.PolicyStatement(
                sid="FollowFindings",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                resources=[findings.table_arn],
            ),
            iam.PolicyStatement(
                sid="PublishOwnerMessages", actions=["sns:Publish"], resources=[owners.topic_arn]
            ),
            key.publishing("EncryptOwnerMessages"),
        ]
        if enforcing:
            statements.append(
                iam.PolicyStatement(
                    sid="DeactivateOverdueKeys",
                    actions=["iam:UpdateAccessKey"],
                    resources=[iam_users_arn(role)],
                )
            )
        for statement in statements:
            role.add_to_policy(statement)
