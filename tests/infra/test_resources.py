"""Encryption, durability, runtime and alarms, as the template configures them."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from deployment.outputs import AUDIT_TABLE_OUTPUT
from deployment.settings import LOG_RETENTION_DAYS, DeploymentSettings
from deployment.workflow import WORKFLOW_HANDLERS, WorkflowResources, function_environments
from domain.config_rule import CONFIG_RULE_IDENTIFIER
from domain.tables import AuditTable, CoordinationTable
from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER, POWERTOOLS_VERSION
from tests.infra.conftest import CHINA_LAYER_ARN, Synthesized
from tests.infra.template import (
    arn_of,
    as_list,
    of_type,
    only,
    queue_policy,
    ref,
    remediation_state_machine,
    statements,
)

ROOT = Path(__file__).resolve().parents[2]


def key_arn(stack: Synthesized) -> dict[str, list[str]]:
    return arn_of(only(stack.resources, "AWS::KMS::Key")[0])


def key_statements_for(stack: Synthesized, service: str) -> list[dict[str, Any]]:
    key = only(stack.resources, "AWS::KMS::Key")[1]["Properties"]["KeyPolicy"]
    found = []
    for statement in statements(key):
        principal = statement["Principal"].get("Service")
        text = str(principal)
        if principal is not None and service in text:
            found.append(statement)
    return found


class TestEncryptionAndDurability:
    def test_the_key_rotates_and_outlives_the_stack(self, default_stack: Synthesized) -> None:
        _, key = only(default_stack.resources, "AWS::KMS::Key")
        assert key["Properties"]["EnableKeyRotation"] is True
        assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")

    def test_the_audit_table(self, default_stack: Synthesized) -> None:
        _, table = only(default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-audit")
        properties = table["Properties"]
        assert properties["SSESpecification"] == {
            "KMSMasterKeyId": key_arn(default_stack),
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["DeletionProtectionEnabled"] is True
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": AuditTable.EXPIRES_AT,
            "Enabled": True,
        }
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["KeySchema"] == [
            {"AttributeName": AuditTable.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": AuditTable.SORT_KEY, "KeyType": "RANGE"},
        ]
        indexes = {
            index["IndexName"]: (
                [k["AttributeName"] for k in index["KeySchema"]],
                index["Projection"]["ProjectionType"],
            )
            for index in properties["GlobalSecondaryIndexes"]
        }
        assert indexes == {name: ([pk, sk], "ALL") for name, (pk, sk) in AuditTable.indexes().items()}
        # Issue 5's sharding: accounts and outcomes are spread over shard partitions.
        assert indexes[AuditTable.BY_ACCOUNT][0] == ["account_shard", "recorded_at"]
        assert indexes[AuditTable.BY_OUTCOME][0] == ["outcome_shard", "recorded_at"]
        keys = ("pk", "sk", "user_name", "user_id", "access_key_id", "account_shard", "outcome_shard")
        assert {d["AttributeName"]: d["AttributeType"] for d in properties["AttributeDefinitions"]} == (
            dict.fromkeys((*keys, "recorded_at"), "S")
        )

    def test_topics_are_encrypted_and_refuse_plain_http(self, default_stack: Synthesized) -> None:
        resources = default_stack.resources
        for name in ("keywarden-owners", "keywarden-operators"):
            topic_id, topic = only(resources, "AWS::SNS::Topic", TopicName=name)
            assert topic["Properties"]["KmsMasterKeyId"] == key_arn(default_stack)
            (policy,) = [
                p
                for p in of_type(resources, "AWS::SNS::TopicPolicy").values()
                if ref(topic_id) in p["Properties"]["Topics"]
            ]
            denies = [s for s in statements(policy["Properties"]["PolicyDocument"]) if s["Effect"] == "Deny"]
            assert denies == [
                {
                    "Action": "sns:Publish",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    "Effect": "Deny",
                    "Principal": "*",
                    "Resource": ref(topic_id),
                    "Sid": "AllowPublishThroughSSLOnly",
                }
            ]

    def test_every_log_group_is_encrypted_with_a_retention(self, custom_stack: Synthesized) -> None:
        log_groups = of_type(custom_stack.resources, "AWS::Logs::LogGroup").values()
        names = {g["Properties"]["LogGroupName"] for g in log_groups}
        assert names == {
            "/aws/vendedlogs/states/kw-test-remediation",
            "/aws/lambda/kw-test-prepare",
            "/aws/lambda/kw-test-conclude",
            "/aws/lambda/kw-test-slack-forwarder",
            "/aws/lambda/kw-test-email-forwarder",
            "/aws/vendedlogs/states/kw-test-sweep",
            "/aws/lambda/kw-test-follow-flagged",
            "/aws/lambda/kw-test-follow-findings",
        }
        for group in log_groups:
            assert group["Properties"]["KmsKeyId"] == key_arn(custom_stack)
            assert group["Properties"]["RetentionInDays"] == 90

    def test_cloudwatch_logs_may_use_the_key_for_keywarden_log_groups_only(
        self, default_stack: Synthesized
    ) -> None:
        allowed = key_statements_for(default_stack, "logs.")
        contexts = [
            s["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]["Fn::Join"][1] for s in allowed
        ]
        log_groups = sorted(str(context[-1]) for context in contexts)
        assert log_groups == sorted(
            f":log-group:{g['Properties']['LogGroupName']}"
            for g in of_type(default_stack.resources, "AWS::Logs::LogGroup").values()
        )

    @pytest.mark.parametrize(
        "name",
        [
            "keywarden-events-dlq",
            "keywarden-slack-forwarder-dlq",
            "keywarden-email-forwarder-dlq",
            "keywarden-sweep-schedule-dlq",
        ],
    )
    def test_dead_letter_queues_are_encrypted_keep_14_days_and_refuse_plain_http(
        self, default_stack: Synthesized, name: str
    ) -> None:
        queue_id, queue = only(default_stack.resources, "AWS::SQS::Queue", QueueName=name)
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        policy = queue_policy(default_stack.resources, queue_id)
        denies = [s for s in statements(policy["PolicyDocument"]) if s["Effect"] == "Deny"]
        assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]
        assert policy["Queues"] == [ref(queue_id)]


class TestFunctions:
    @pytest.mark.parametrize(("substitution", "handler"), list(WORKFLOW_HANDLERS.items()))
    def test_runtime_layer_logs_tracing_environment(
        self, default_stack: Synthesized, substitution: str, handler: str
    ) -> None:
        _, function = only(default_stack.resources, "AWS::Lambda::Function", Handler=handler)
        properties = function["Properties"]
        parameter = properties["Layers"][0]["Ref"]
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]
        assert default_stack.template["Parameters"][parameter] == {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/aws/service/powertools/python/arm64/python3.13/3.37.0",
        }
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        assert properties["TracingConfig"] == {"Mode": "Active"}
        table_ids = {
            f"<{name}>": ref(
                only(default_stack.resources, "AWS::DynamoDB::Table", TableName=f"keywarden-{name}")[0]
            )
            for name in ("audit", "notification-state", "exemptions", "coordination")
        }
        owners_id, _ = only(default_stack.resources, "AWS::SNS::Topic", TopicName="keywarden-owners")
        placeholders = WorkflowResources(
            audit_table="<audit>",
            notification_state_table="<notification-state>",
            exemption_table="<exemptions>",
            owners_topic_arn="<owners>",
            operators_topic_arn="<operators>",
            automation_role_arn="<automation>",
            coordination_table="<coordination>",
        )
        expected = function_environments(DeploymentSettings(), placeholders)[substitution]
        resolved = {**table_ids, "<owners>": ref(owners_id)}
        assert properties["Environment"]["Variables"] == {
            **{k: resolved.get(v, v) for k, v in expected.items()},
            "POWERTOOLS_SERVICE_NAME": "keywarden",
        }

    def test_settings_reach_the_functions_environment(self, custom_stack: Synthesized) -> None:
        functions = of_type(custom_stack.resources, "AWS::Lambda::Function").values()
        by_name = {
            f["Properties"]["FunctionName"]: f["Properties"]["Environment"]["Variables"] for f in functions
        }
        assert by_name["kw-test-prepare"]["CONFIG_RULE_NAME"] == "org-access-keys-rotated"
        assert by_name["kw-test-conclude"]["MAX_ACCESS_KEY_AGE_DAYS"] == "120"
        assert by_name["kw-test-conclude"]["MAX_CREDENTIAL_USAGE_AGE_DAYS"] == "45"

    def test_a_layer_arn_setting_replaces_the_published_layer(self, minimal_stack: Synthesized) -> None:
        for function in of_type(minimal_stack.resources, "AWS::Lambda::Function").values():
            assert function["Properties"]["Layers"] == [CHINA_LAYER_ARN]
        assert POWERTOOLS_LAYER_PARAMETER not in str(minimal_stack.template.get("Parameters"))

    def test_the_layer_is_the_powertools_version_the_project_pins(self) -> None:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())
        assert f"aws-lambda-powertools[tracer]=={POWERTOOLS_VERSION}" in project["project"]["dependencies"]
        assert metadata.version("aws-lambda-powertools") == POWERTOOLS_VERSION
        assert POWERTOOLS_LAYER_PARAMETER.endswith(f"/arm64/python3.13/{POWERTOOLS_VERSION}")


class TestConfig:
    def test_the_rule_is_access_keys_rotated_under_the_name_the_pattern_expects(
        self, default_stack: Synthesized, custom_stack: Synthesized
    ) -> None:
        for stack, name, age in (
            (default_stack, "keywarden-access-keys-rotated", 90),
            (custom_stack, "org-access-keys-rotated", 120),
        ):
            _, rule = only(stack.resources, "AWS::Config::ConfigRule")
            _, event_rule = only(stack.resources, "AWS::Events::Rule")
            assert rule["Properties"]["Source"] == {
                "Owner": "AWS",
                "SourceIdentifier": CONFIG_RULE_IDENTIFIER,
            }
            assert rule["Properties"]["ConfigRuleName"] == name
            assert rule["Properties"]["InputParameters"] == {"maxAccessKeyAge": age}
            assert event_rule["Properties"]["EventPattern"]["detail"]["configRuleName"] == [name]

    def test_no_recorder_unless_asked(self, default_stack: Synthesized) -> None:
        assert of_type(default_stack.resources, "AWS::Config::ConfigurationRecorder") == {}
        assert of_type(default_stack.resources, "AWS::Config::DeliveryChannel") == {}

    def test_the_recorder_records_iam_users_and_delivers_to_a_private_bucket(
        self, custom_stack: Synthesized
    ) -> None:
        resources = custom_stack.resources
        recorder_id, recorder = only(resources, "AWS::Config::ConfigurationRecorder")
        channel_id, channel = only(resources, "AWS::Config::DeliveryChannel")
        bucket_id, bucket = only(resources, "AWS::S3::Bucket")
        _, rule = only(resources, "AWS::Config::ConfigRule")
        assert recorder["Properties"]["RecordingGroup"]["ResourceTypes"] == ["AWS::IAM::User"]
        assert recorder["Properties"]["RecordingGroup"]["AllSupported"] is False
        assert channel["Properties"]["S3BucketName"] == ref(bucket_id)
        assert set(rule["DependsOn"]) == {recorder_id, channel_id}
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }

    def test_an_existing_rule_is_used_by_name(self, minimal_stack: Synthesized) -> None:
        assert of_type(minimal_stack.resources, "AWS::Config::ConfigRule") == {}
        _, event_rule = only(minimal_stack.resources, "AWS::Events::Rule")
        assert event_rule["Properties"]["EventPattern"]["detail"]["configRuleName"] == [
            "securityhub-access-keys-rotated-abc123"
        ]


class TestAlarmsAndOutputs:
    def test_alarms_go_to_the_operators(self, default_stack: Synthesized) -> None:
        resources = default_stack.resources
        operators_id, _ = only(resources, "AWS::SNS::Topic", TopicName="keywarden-operators")
        state_machine_id, _ = remediation_state_machine(resources)
        sweep_id, _ = only(resources, "AWS::StepFunctions::StateMachine", StateMachineName="keywarden-sweep")
        queues = {
            name: only(resources, "AWS::SQS::Queue", QueueName=f"keywarden-{name}")[0]
            for name in ("events-dlq", "slack-forwarder-dlq", "email-forwarder-dlq", "sweep-schedule-dlq")
        }
        alarms = {
            a["Properties"]["AlarmName"]: a["Properties"]
            for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        }
        watched = {name: (a["Namespace"], a["MetricName"]) for name, a in alarms.items()}
        assert watched == {
            "keywarden-executions-failed": ("AWS/States", "ExecutionsFailed"),
            "keywarden-executions-timed-out": ("AWS/States", "ExecutionsTimedOut"),
            "keywarden-executions-throttled": ("AWS/States", "ExecutionThrottled"),
            "keywarden-sweep-executions-failed": ("AWS/States", "ExecutionsFailed"),
            "keywarden-sweep-executions-timed-out": ("AWS/States", "ExecutionsTimedOut"),
            "keywarden-dead-letter-queue-not-empty": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            "keywarden-sweep-schedule-dead-letter-queue-not-empty": (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
            ),
            "keywarden-slack-forwarder-dead-letter-queue-not-empty": (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
            ),
            "keywarden-email-forwarder-dead-letter-queue-not-empty": (
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
            ),
        }
        watched_queues = {
            "keywarden-dead-letter-queue-not-empty": queues["events-dlq"],
            "keywarden-slack-forwarder-dead-letter-queue-not-empty": queues["slack-forwarder-dlq"],
            "keywarden-email-forwarder-dead-letter-queue-not-empty": queues["email-forwarder-dlq"],
            "keywarden-sweep-schedule-dead-letter-queue-not-empty": queues["sweep-schedule-dlq"],
        }
        for name, alarm in alarms.items():
            assert alarm["AlarmActions"] == [ref(operators_id)], name
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
            assert alarm["TreatMissingData"] == "notBreaching"
            dimension = alarm["Dimensions"][0]["Value"]
            assert dimension == (
                {"Fn::GetAtt": [watched_queues[name], "QueueName"]}
                if "queue" in name
                else ref(sweep_id if "sweep" in name else state_machine_id)
            )

    def test_cloudwatch_may_publish_to_the_encrypted_operators_topic_for_these_alarms(
        self, default_stack: Synthesized
    ) -> None:
        (allowed,) = key_statements_for(default_stack, "cloudwatch")
        assert as_list(allowed["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        source = allowed["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
        assert source[-1] == ":alarm:keywarden-*"

    def test_no_alarms_when_switched_off(self, minimal_stack: Synthesized) -> None:
        assert of_type(minimal_stack.resources, "AWS::CloudWatch::Alarm") == {}
        assert key_statements_for(minimal_stack, "cloudwatch") == []

    def test_outputs_name_what_operators_look_up(self, default_stack: Synthesized) -> None:
        resources = default_stack.resources
        outputs = {name: o["Value"] for name, o in default_stack.template["Outputs"].items()}
        # The name `keywarden audit` looks for (and `keywarden exemptions` for the exemption table).
        assert AUDIT_TABLE_OUTPUT == "AuditTableName"
        assert outputs[AUDIT_TABLE_OUTPUT] == ref(
            only(resources, "AWS::DynamoDB::Table", TableName="keywarden-audit")[0]
        )
        assert outputs["ExemptionTableName"] == ref(
            only(resources, "AWS::DynamoDB::Table", TableName="keywarden-exemptions")[0]
        )
        assert outputs["AuditorPolicyArn"] == ref(
            only(resources, "AWS::IAM::ManagedPolicy", ManagedPolicyName="keywarden-auditors")[0]
        )
        assert outputs["ExemptionAdministratorPolicyArn"] == ref(
            only(
                resources, "AWS::IAM::ManagedPolicy", ManagedPolicyName="keywarden-exemption-administrators"
            )[0]
        )
        assert outputs["NotificationStateTableName"] == ref(
            only(resources, "AWS::DynamoDB::Table", TableName="keywarden-notification-state")[0]
        )
        assert outputs["SlackWebhookSecretArn"] == ref(
            only(resources, "AWS::SecretsManager::Secret", Name="keywarden/slack-webhook")[0]
        )
        for channel in ("slack", "email"):
            queue_id, _ = only(resources, "AWS::SQS::Queue", QueueName=f"keywarden-{channel}-forwarder-dlq")
            assert outputs[f"{channel.capitalize()}ForwarderDeadLetterQueueUrl"] == ref(queue_id)
        assert outputs["OwnersTopicArn"] == ref(
            only(resources, "AWS::SNS::Topic", TopicName="keywarden-owners")[0]
        )
        assert outputs["OperatorsTopicArn"] == ref(
            only(resources, "AWS::SNS::Topic", TopicName="keywarden-operators")[0]
        )
        assert outputs["StateMachineArn"] == ref(remediation_state_machine(resources)[0])

    def test_email_contacts_are_subscribed(self, custom_stack: Synthesized) -> None:
        resources = custom_stack.resources
        topics = {i: t["Properties"]["TopicName"] for i, t in of_type(resources, "AWS::SNS::Topic").items()}
        subscribed = sorted(
            (topics[s["Properties"]["TopicArn"]["Ref"]], s["Properties"]["Endpoint"])
            for s in of_type(resources, "AWS::SNS::Subscription").values()
            if s["Properties"]["Protocol"] == "email"
        )
        assert subscribed == [
            ("kw-test-operators", "oncall@example.com"),
            ("kw-test-operators", "ops@example.com"),
            ("kw-test-owners", "security@example.com"),
        ]


def test_every_documented_retention_maps_to_a_cdk_retention() -> None:
    from infra.constructs.encryption_key import RETENTION

    assert set(RETENTION) == set(LOG_RETENTION_DAYS)


def test_the_coordination_table_is_keyed_expiring_encrypted_and_protected(default_stack: Synthesized) -> None:
    """Given the stack, Then the coordination table has pk/sk string keys and no index, its items expire
    (TTL expires_at), and it is encrypted with keywarden's key and protected like the other tables."""
    _, table = only(default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-coordination")
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": CoordinationTable.PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": CoordinationTable.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert "GlobalSecondaryIndexes" not in properties
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {
        "KMSMasterKeyId": arn_of(only(default_stack.resources, "AWS::KMS::Key")[0]),
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert properties["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
