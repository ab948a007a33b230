"""cfn-lint and cdk-nag: clean, with every nag finding acknowledged on its own resource."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Validations
from cfnlint.api import ManualArgs, lint_file

from infra.application import build_app
from tests.infra.conftest import Synthesized

# CDK writes a DependsOn next to a GetAtt it already implies; harmless, and the only accepted warning.
IGNORED_CFN_LINT_CHECKS = ["W3005"]

ACKNOWLEDGED = {
    ("keywarden/Functions/Prepare", "AwsSolutions-L1"),
    ("keywarden/Functions/Conclude", "AwsSolutions-L1"),
    ("keywarden/Functions/PrepareRole", "AwsSolutions-IAM5[Resource::*]"),
    ("keywarden/Functions/ConcludeRole", "AwsSolutions-IAM5[Resource::*]"),
    (
        "keywarden/Functions/PrepareRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
    ),
    (
        "keywarden/Functions/ConcludeRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
    ),
    (
        "keywarden/Auditors/Policy",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:"
        "table/keywarden-audit/index/*]",
    ),
    (
        "keywarden/Automation/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
    ),
    ("keywarden/Automation/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "keywarden/Automation/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-execution/*]",
    ),
    ("keywarden/Workflow/Role", "AwsSolutions-IAM5[Resource::*]"),
    (
        "keywarden/Workflow/Role",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-execution/*]",
    ),
    ("keywarden/Events/DeadLetterQueue", "AwsSolutions-SQS3"),
    ("keywarden/Notifications/Slack/Function", "AwsSolutions-L1"),
    ("keywarden/Notifications/Email/Function", "AwsSolutions-L1"),
    ("keywarden/Notifications/Slack/FunctionRole", "AwsSolutions-IAM5[Resource::*]"),
    ("keywarden/Notifications/Email/FunctionRole", "AwsSolutions-IAM5[Resource::*]"),
    ("keywarden/Notifications/Slack/DeadLetterQueue", "AwsSolutions-SQS3"),
    ("keywarden/Notifications/Email/DeadLetterQueue", "AwsSolutions-SQS3"),
    ("keywarden/Notifications/SlackWebhook", "AwsSolutions-SMG4"),
    # The daily sweep (issue 13): its functions as the workflow's, its state machine's log delivery and
    # X-Ray, its schedule's dead-letter queue.
    ("keywarden/SweepFunctions/FollowFlagged", "AwsSolutions-L1"),
    ("keywarden/SweepFunctions/FollowFindings", "AwsSolutions-L1"),
    ("keywarden/SweepFunctions/FollowFlaggedRole", "AwsSolutions-IAM5[Resource::*]"),
    ("keywarden/SweepFunctions/FollowFindingsRole", "AwsSolutions-IAM5[Resource::*]"),
    (
        "keywarden/SweepFunctions/FollowFlaggedRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
    ),
    (
        "keywarden/SweepFunctions/FollowFindingsRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]",
    ),
    ("keywarden/Sweep/Role", "AwsSolutions-IAM5[Resource::*]"),
    ("keywarden/SweepSchedule/DeadLetterQueue", "AwsSolutions-SQS3"),
}


def acknowledgements(context: dict[str, Any]) -> dict[tuple[str, str], str]:
    app = build_app(context)
    found = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found[(construct.node.path, rule.removeprefix("AwsSolutions::"))] = reason
    return found


STACKS = ["default_stack", "custom_stack", "minimal_stack", "teams_stack"]


@pytest.mark.parametrize("stack_name", STACKS)
def test_cfn_lint_is_clean(stack_name: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(stack_name)
    matches = lint_file(stack.template_path, ManualArgs(ignore_checks=IGNORED_CFN_LINT_CHECKS))
    assert [str(m) for m in matches] == []


@pytest.mark.parametrize("stack_name", STACKS)
def test_cdk_nag_reports_nothing_unacknowledged(stack_name: str, request: pytest.FixtureRequest) -> None:
    stack: Synthesized = request.getfixturevalue(stack_name)
    (report,) = json.loads((stack.outdir / "validation-report.json").read_text())["pluginReports"]
    assert (report["pluginName"], report["conclusion"], report["violations"]) == (
        "AwsSolutions",
        "success",
        [],
    )
    for suppressed in report["suppressedViolations"]:
        # Acknowledged on the resource itself or the construct that owns it, never higher.
        (violating,) = suppressed["violatingConstructs"]
        owner = suppressed["acknowledgedAt"]
        assert violating["constructPath"].startswith(owner + "/"), suppressed["ruleName"]
        assert owner.count("/") >= 2, owner


def test_every_acknowledgement_is_on_one_resource_with_its_own_reason() -> None:
    found = acknowledgements({})
    assert set(found) == ACKNOWLEDGED
    assert all(path.count("/") >= 2 for path, _ in found)  # never the app or the whole stack
    assert all(len(reason) > 60 for reason in found.values())


def test_the_recorder_bucket_adds_one_acknowledgement() -> None:
    found = acknowledgements({"createConfigRecorder": True})
    assert set(found) - ACKNOWLEDGED == {("keywarden/Config/DeliveryBucket", "AwsSolutions-S1")}


def test_an_existing_config_rule_adds_one_acknowledgement_for_reading_it() -> None:
    """Given createConfigRule=false, Then FollowFlagged reads `config-rule/*` (the existing rule's id is
    unknown at synth), acknowledged on its role alone with the reason."""
    found = acknowledgements({"createConfigRule": False})
    rule_reads = (
        "keywarden/SweepFunctions/FollowFlaggedRole",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:config:<AWS::Region>:<AWS::AccountId>:config-rule/*]",
    )
    assert set(found) - ACKNOWLEDGED == {rule_reads}
    assert "its id" in found[rule_reads]


def test_enforcement_says_why_follow_findings_may_update_users_keys() -> None:
    """Given enforceAfterDeadline=true, Then no new finding, and the acknowledgement of FollowFindings'
    `user/*` names iam:UpdateAccessKey, which it is then allowed."""
    users = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*]"
    default = acknowledgements({})[("keywarden/SweepFunctions/FollowFindingsRole", users)]
    enforcing = acknowledgements({"enforceAfterDeadline": True})
    assert set(enforcing) == ACKNOWLEDGED
    assert "iam:UpdateAccessKey" not in default
    assert "iam:UpdateAccessKey" in enforcing[("keywarden/SweepFunctions/FollowFindingsRole", users)]


def test_a_channel_brings_its_own_acknowledgements_and_takes_them_away() -> None:
    found = acknowledgements({"notificationChannels": "email,teams"})
    teams = {
        ("keywarden/Notifications/Teams/Function", "AwsSolutions-L1"),
        ("keywarden/Notifications/Teams/FunctionRole", "AwsSolutions-IAM5[Resource::*]"),
        ("keywarden/Notifications/Teams/DeadLetterQueue", "AwsSolutions-SQS3"),
        ("keywarden/Notifications/TeamsWebhook", "AwsSolutions-SMG4"),
    }
    slack = {entry for entry in ACKNOWLEDGED if entry[0].startswith("keywarden/Notifications/Slack")}
    assert set(found) == (ACKNOWLEDGED - slack) | teams
    assert "Workflows" in found[("keywarden/Notifications/TeamsWebhook", "AwsSolutions-SMG4")]
