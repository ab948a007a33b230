"""The daily sweep as deployed: its schedule, its state machine, its functions, each role exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployment.outputs import SWEEP_STATE_MACHINE_OUTPUT
from deployment.settings import DeploymentSettings
from deployment.sweep import (
    FOLLOW_FINDINGS,
    FOLLOW_FLAGGED,
    SWEEP_HANDLERS,
    SweepResources,
    sweep_function_environments,
)
from statemachine import SWEEP, definition_text
from tests.infra.conftest import Synthesized
from tests.infra.template import (
    account_arn,
    actions_to_resources,
    arn_of,
    as_list,
    only,
    ref,
    role_statements,
    statements,
)

USERS = account_arn("iam", "user/*", region=False)
LOGGING_AND_TRACING = {"logs", "xray"}


def sweep_state_machine(stack: Synthesized, prefix: str = "keywarden") -> tuple[str, dict[str, Any]]:
    return only(stack.resources, "AWS::StepFunctions::StateMachine", StateMachineName=f"{prefix}-sweep")


def remediation_state_machine(stack: Synthesized, prefix: str = "keywarden") -> str:
    name = f"{prefix}-remediation"
    return only(stack.resources, "AWS::StepFunctions::StateMachine", StateMachineName=name)[0]


def table(stack: Synthesized, name: str) -> str:
    return only(stack.resources, "AWS::DynamoDB::Table", TableName=name)[0]


def topic(stack: Synthesized, name: str) -> str:
    return only(stack.resources, "AWS::SNS::Topic", TopicName=name)[0]


def key(stack: Synthesized) -> dict[str, list[str]]:
    return arn_of(only(stack.resources, "AWS::KMS::Key")[0])


def function_role(stack: Synthesized, handler: str) -> str:
    function = only(stack.resources, "AWS::Lambda::Function", Handler=handler)[1]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def grants(stack: Synthesized, role_id: str) -> dict[str, list[Any]]:
    """The role's actions and their resources, logging and tracing aside."""
    return {
        action: resources
        for action, resources in actions_to_resources(role_statements(stack.resources, role_id)).items()
        if action.split(":")[0] not in LOGGING_AND_TRACING
    }


def trusted_by(stack: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return statements(stack.resources[role_id]["Properties"]["AssumeRolePolicyDocument"])


def index(table_id: str, name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [arn_of(table_id), f"/index/{name}"]]}


class TestSchedule:
    def test_the_schedule_starts_the_sweep_daily_at_6_utc_on_time(self, default_stack: Synthesized) -> None:
        """Given the defaults, Then EventBridge Scheduler starts the sweep state machine at
        `cron(0 6 * * ? *)` in UTC, with no flexible window, retries, and a dead-letter queue."""
        resources = default_stack.resources
        _, schedule = only(resources, "AWS::Scheduler::Schedule")
        queue_id, _ = only(resources, "AWS::SQS::Queue", QueueName="keywarden-sweep-schedule-dlq")
        properties = schedule["Properties"]
        assert properties["Name"] == "keywarden-daily-sweep"
        assert properties["ScheduleExpression"] == DeploymentSettings().sweep_schedule == "cron(0 6 * * ? *)"
        assert properties["ScheduleExpressionTimezone"] == "Etc/UTC"
        assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert properties["State"] == "ENABLED"
        target = properties["Target"]
        assert target["Arn"] == ref(sweep_state_machine(default_stack)[0])
        assert json.loads(target["Input"]) == {}
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 6 * 3600}
        assert target["DeadLetterConfig"] == {"Arn": arn_of(queue_id)}

    def test_the_schedule_follows_the_sweep_schedule_setting(self, custom_stack: Synthesized) -> None:
        """Given sweepSchedule=cron(30 4 ? * MON-FRI *), Then that is the schedule's expression, in UTC."""
        _, schedule = only(custom_stack.resources, "AWS::Scheduler::Schedule")
        assert schedule["Properties"]["ScheduleExpression"] == "cron(30 4 ? * MON-FRI *)"
        assert schedule["Properties"]["ScheduleExpressionTimezone"] == "Etc/UTC"
        assert schedule["Properties"]["Target"]["Arn"] == ref(sweep_state_machine(custom_stack, "kw-test")[0])

    def test_the_schedules_role_may_only_start_the_sweep_and_write_its_dead_letter_queue(
        self, default_stack: Synthesized
    ) -> None:
        """Given the schedule's role, Then Scheduler alone assumes it, for this account's default schedule
        group, and it may start the sweep (not the remediation) and send to its own dead-letter queue."""
        resources = default_stack.resources
        _, schedule = only(resources, "AWS::Scheduler::Schedule")
        role_id = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
        queue_id, _ = only(resources, "AWS::SQS::Queue", QueueName="keywarden-sweep-schedule-dlq")
        (trust,) = trusted_by(default_stack, role_id)
        assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
        assert trust["Condition"] == {
            "StringEquals": {
                "aws:SourceAccount": {"Ref": "AWS::AccountId"},
                "aws:SourceArn": account_arn("scheduler", "schedule-group/default"),
            }
        }
        # Scheduler sends a start it gave up on to the dead-letter queue with this same role.
        assert actions_to_resources(role_statements(resources, role_id)) == {
            "states:StartExecution": [ref(sweep_state_machine(default_stack)[0])],
            "sqs:SendMessage": [arn_of(queue_id)],
        }


class TestStateMachine:
    def test_the_sweep_is_a_standard_workflow_inline_with_its_substitutions_logged_and_traced(
        self, default_stack: Synthesized
    ) -> None:
        """Given the stack, Then the sweep runs statemachine/sweep.asl.json as written, inline, every
        placeholder filled with the stack's own resources."""
        resources = default_stack.resources
        _, machine = sweep_state_machine(default_stack)
        properties = machine["Properties"]
        assert properties["StateMachineType"] == "STANDARD"
        assert properties["DefinitionString"] == definition_text(SWEEP)
        assert properties["DefinitionSubstitutions"] == {
            "FollowFlaggedFunctionArn": arn_of(
                only(resources, "AWS::Lambda::Function", Handler=FOLLOW_FLAGGED.handler)[0]
            ),
            "FollowFindingsFunctionArn": arn_of(
                only(resources, "AWS::Lambda::Function", Handler=FOLLOW_FINDINGS.handler)[0]
            ),
            "FindingsTableName": ref(table(default_stack, "keywarden-findings")),
            "OperatorsTopicArn": ref(topic(default_stack, "keywarden-operators")),
        }
        assert properties["TracingConfiguration"] == {"Enabled": True}
        logging = properties["LoggingConfiguration"]
        assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", True)
        (destination,) = logging["Destinations"]
        log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        log_group = resources[log_group_id]["Properties"]
        assert log_group["LogGroupName"] == "/aws/vendedlogs/states/keywarden-sweep"
        assert log_group["KmsKeyId"] == key(default_stack)

    def test_its_role_invokes_its_two_functions_records_failures_and_alerts_operators_only(
        self, default_stack: Synthesized
    ) -> None:
        """Given the sweep's role, Then it may invoke the two sweep functions (not the remediation's),
        put the failure item in the findings table, publish to the operators' topic, nothing else."""
        resources = default_stack.resources
        _, machine = sweep_state_machine(default_stack)
        role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        functions = [
            arn_of(only(resources, "AWS::Lambda::Function", Handler=handler)[0])
            for handler in SWEEP_HANDLERS.values()
        ]
        assert [s["Principal"] for s in trusted_by(default_stack, role_id)] == [
            {"Service": "states.amazonaws.com"}
        ]
        assert grants(default_stack, role_id) == {
            "lambda:InvokeFunction": functions,
            "dynamodb:PutItem": [arn_of(table(default_stack, "keywarden-findings"))],
            "sns:Publish": [ref(topic(default_stack, "keywarden-operators"))],
            "kms:GenerateDataKey": [key(default_stack), key(default_stack)],
            "kms:Decrypt": [key(default_stack), key(default_stack)],
            "kms:Encrypt": [key(default_stack)],
            "kms:DescribeKey": [key(default_stack)],
        }

    def test_the_sweep_state_machine_is_an_output(self, default_stack: Synthesized) -> None:
        """Given the stack, Then SweepStateMachineArn names the sweep, not the remediation, and
        SweepScheduleDeadLetterQueueUrl the schedule's dead-letter queue."""
        assert SWEEP_STATE_MACHINE_OUTPUT == "SweepStateMachineArn"
        outputs = default_stack.template["Outputs"]
        assert outputs[SWEEP_STATE_MACHINE_OUTPUT]["Value"] == ref(sweep_state_machine(default_stack)[0])
        assert outputs["StateMachineArn"]["Value"] == ref(remediation_state_machine(default_stack))
        queue = "keywarden-sweep-schedule-dlq"
        queue_id, _ = only(default_stack.resources, "AWS::SQS::Queue", QueueName=queue)
        assert outputs["SweepScheduleDeadLetterQueueUrl"]["Value"] == ref(queue_id)


class TestFunctions:
    @pytest.mark.parametrize(("substitution", "handler"), list(SWEEP_HANDLERS.items()))
    def test_runtime_role_logs_and_environment(
        self, default_stack: Synthesized, substitution: str, handler: str
    ) -> None:
        """Given each sweep function, Then it runs like the workflow's, with its own role and log group,
        and the environment deployment/sweep.py gives it, filled with the stack's resources."""
        resources = default_stack.resources
        _, function = only(resources, "AWS::Lambda::Function", Handler=handler)
        properties = function["Properties"]
        assert (properties["Runtime"], properties["Architectures"]) == ("python3.13", ["arm64"])
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["Timeout"] == 300
        log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[log_group_id]["Properties"]["LogGroupName"] == (
            f"/aws/lambda/keywarden-{handler.split('.')[-2].replace('_', '-')}"
        )
        placeholders = SweepResources(
            findings_table="<findings>",
            audit_table="<audit>",
            notification_state_table="<notification-state>",
            exemption_table="<exemptions>",
            owners_topic_arn="<owners>",
            operators_topic_arn="<operators>",
            remediation_state_machine_arn="<remediation>",
        )
        resolved = {
            **{
                f"<{name}>": ref(table(default_stack, f"keywarden-{name}"))
                for name in ("findings", "audit", "notification-state", "exemptions")
            },
            "<owners>": ref(topic(default_stack, "keywarden-owners")),
            "<remediation>": ref(remediation_state_machine(default_stack)),
        }
        expected = sweep_function_environments(DeploymentSettings(), placeholders)[substitution]
        assert properties["Environment"]["Variables"] == {
            **{k: resolved.get(v, v) for k, v in expected.items()},
            "POWERTOOLS_SERVICE_NAME": "keywarden",
        }
        assert function_role(default_stack, handler) not in {
            function_role(default_stack, other) for other in SWEEP_HANDLERS.values() if other != handler
        }

    def test_follow_flagged_reads_this_rule_redrives_the_remediation_and_opens_findings(
        self, default_stack: Synthesized
    ) -> None:
        """Given FollowFlagged's role, Then it reads this Config rule's evaluations (its ARN), the users'
        names from Config's inventory, the users, their remediations (audit by_user_id) and notices, the
        exemptions; it writes findings and re-drives, starts the remediation workflow, publishes first
        notices to the owners' topic, and changes no key."""
        role_id = function_role(default_stack, FOLLOW_FLAGGED.handler)
        rule_id, _ = only(default_stack.resources, "AWS::Config::ConfigRule")
        findings = arn_of(table(default_stack, "keywarden-findings"))
        assert grants(default_stack, role_id) == {
            "config:GetComplianceDetailsByConfigRule": [arn_of(rule_id)],
            "config:ListDiscoveredResources": ["*"],
            "config:DescribeConfigurationRecorders": ["*"],
            "config:DescribeConfigurationRecorderStatus": ["*"],
            "iam:GetUser": [USERS],
            "iam:ListUserTags": [USERS],
            "iam:ListAccessKeys": [USERS],
            "iam:GetAccessKeyLastUsed": [USERS],
            "iam:GetLoginProfile": [USERS],
            "dynamodb:Query": [index(table(default_stack, "keywarden-audit"), "by_user_id")],
            "dynamodb:GetItem": [arn_of(table(default_stack, "keywarden-notification-state")), findings],
            "dynamodb:PutItem": [findings],
            "dynamodb:UpdateItem": [findings],
            "dynamodb:Scan": [arn_of(table(default_stack, "keywarden-exemptions"))],
            "states:StartExecution": [ref(remediation_state_machine(default_stack))],
            "sns:Publish": [ref(topic(default_stack, "keywarden-owners"))],
            "kms:Decrypt": [key(default_stack), key(default_stack), key(default_stack)],
            "kms:Encrypt": [key(default_stack)],
            "kms:GenerateDataKey": [key(default_stack), key(default_stack)],
            "kms:DescribeKey": [key(default_stack)],
        }
        assert [s["Principal"] for s in trusted_by(default_stack, role_id)] == [
            {"Service": "lambda.amazonaws.com"}
        ]

    def test_an_existing_rule_is_read_by_any_rule_arn_of_the_account_and_region(
        self, minimal_stack: Synthesized
    ) -> None:
        """Given createConfigRule=false, Then the rule's id is unknown at synth: FollowFlagged reads the
        evaluations of `config-rule/*` of this account and region."""
        role_id = function_role(minimal_stack, FOLLOW_FLAGGED.handler)
        granted = grants(minimal_stack, role_id)
        assert granted["config:GetComplianceDetailsByConfigRule"] == [account_arn("config", "config-rule/*")]

    def test_follow_findings_reads_open_findings_follows_them_and_tells_owners_without_enforcing(
        self, default_stack: Synthesized
    ) -> None:
        """Given the defaults (enforceAfterDeadline off), Then FollowFindings queries open findings
        (by_status), updates them, publishes to the owners' topic, reads users, and may not
        iam:UpdateAccessKey."""
        role_id = function_role(default_stack, FOLLOW_FINDINGS.handler)
        findings_id = table(default_stack, "keywarden-findings")
        granted = grants(default_stack, role_id)
        assert granted == {
            "iam:GetUser": [USERS],
            "iam:ListUserTags": [USERS],
            "iam:ListAccessKeys": [USERS],
            "iam:GetAccessKeyLastUsed": [USERS],
            "iam:GetLoginProfile": [USERS],
            "dynamodb:Query": [index(findings_id, "by_status")],
            "dynamodb:GetItem": [arn_of(findings_id)],
            "dynamodb:PutItem": [arn_of(findings_id)],
            "dynamodb:UpdateItem": [arn_of(findings_id)],
            "dynamodb:Scan": [arn_of(table(default_stack, "keywarden-exemptions"))],
            "sns:Publish": [ref(topic(default_stack, "keywarden-owners"))],
            "kms:Decrypt": [key(default_stack), key(default_stack), key(default_stack)],
            "kms:Encrypt": [key(default_stack)],
            "kms:GenerateDataKey": [key(default_stack), key(default_stack)],
            "kms:DescribeKey": [key(default_stack)],
        }
        assert "iam:UpdateAccessKey" not in granted

    def test_with_enforcement_on_follow_findings_alone_may_deactivate_users_keys(
        self, custom_stack: Synthesized
    ) -> None:
        """Given enforceAfterDeadline=true, Then FollowFindings may iam:UpdateAccessKey on users (and
        nothing else of IAM is added), and FollowFlagged still may not."""
        follow = grants(custom_stack, function_role(custom_stack, FOLLOW_FINDINGS.handler))
        flagged = grants(custom_stack, function_role(custom_stack, FOLLOW_FLAGGED.handler))
        assert follow["iam:UpdateAccessKey"] == [USERS]
        assert {a for a in follow if a.startswith("iam:")} == {
            "iam:GetUser",
            "iam:ListUserTags",
            "iam:ListAccessKeys",
            "iam:GetAccessKeyLastUsed",
            "iam:GetLoginProfile",
            "iam:UpdateAccessKey",
        }
        assert "iam:UpdateAccessKey" not in flagged
        role_id = function_role(custom_stack, FOLLOW_FINDINGS.handler)
        (statement,) = [
            s
            for s in role_statements(custom_stack.resources, role_id)
            if "iam:UpdateAccessKey" in as_list(s["Action"])
        ]
        assert (statement["Action"], statement["Sid"], "Condition" in statement) == (
            "iam:UpdateAccessKey",
            "DeactivateOverdueKeys",
            False,
        )
