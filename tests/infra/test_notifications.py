"""Owner notifications in the template: state table, forwarders, their roles, DLQs and subscriptions."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest

from deployment.settings import DeploymentSettings
from deployment.workflow import WORKFLOW_HANDLERS
from domain.tables import NotificationStateTable
from notifications.channels import DEFAULT_CHANNELS, FORWARDER_HANDLER
from notifications.channels.slack import parse_slack_webhooks
from notifications.channels.teams import parse_teams_webhooks
from notifications.settings import (
    EmailForwarderSettings,
    ForwarderChannel,
    WebhookForwarderSettings,
)
from notifications.webhook import WebhookDeliveryError
from tests.infra.conftest import Synthesized
from tests.infra.template import (
    account_arn,
    actions_to_resources,
    arn_of,
    of_type,
    only,
    ref,
    role_statements,
    statements,
)

CHANNELS = list(DEFAULT_CHANNELS)


def forwarder(stack: Synthesized, channel: str, prefix: str = "keywarden") -> tuple[str, dict[str, Any]]:
    """The channel's forwarder function: (logical id, properties)."""
    function_id, function = only(
        stack.resources, "AWS::Lambda::Function", FunctionName=f"{prefix}-{channel}-forwarder"
    )
    return function_id, function["Properties"]


def role_of(stack: Synthesized, channel: str, prefix: str = "keywarden") -> str:
    return str(forwarder(stack, channel, prefix)[1]["Role"]["Fn::GetAtt"][0])


def dead_letter_queue(stack: Synthesized, name: str) -> str:
    return only(stack.resources, "AWS::SQS::Queue", QueueName=name)[0]


def key(stack: Synthesized) -> dict[str, list[str]]:
    return arn_of(only(stack.resources, "AWS::KMS::Key")[0])


def owners_topic(stack: Synthesized, prefix: str = "keywarden") -> dict[str, str]:
    return ref(only(stack.resources, "AWS::SNS::Topic", TopicName=f"{prefix}-owners")[0])


class TestNotificationStateTable:
    def test_keys_ttl_recovery_encryption_and_retention(self, default_stack: Synthesized) -> None:
        """Given the default stack, When the notification-state table is read,
        Then it has pk/sk keys and no index, on demand, a TTL, point-in-time recovery, KMS and retention."""
        _, table = only(
            default_stack.resources, "AWS::DynamoDB::Table", TableName="keywarden-notification-state"
        )
        properties = table["Properties"]
        assert properties["KeySchema"] == [
            {"AttributeName": NotificationStateTable.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": NotificationStateTable.SORT_KEY, "KeyType": "RANGE"},
        ]
        assert properties["AttributeDefinitions"] == [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ]
        assert "GlobalSecondaryIndexes" not in properties
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {
            "KMSMasterKeyId": key(default_stack),
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
        assert properties["DeletionProtectionEnabled"] is True
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")

    def test_its_name_follows_the_prefix(self, custom_stack: Synthesized) -> None:
        """Given a custom name prefix, When synthesized, Then the table's name starts with it."""
        only(custom_stack.resources, "AWS::DynamoDB::Table", TableName="kw-test-notification-state")


class TestForwarderFunctions:
    @pytest.mark.parametrize("channel", CHANNELS)
    def test_runtime_timeout_logs_tracing_and_environment(
        self, default_stack: Synthesized, channel: str
    ) -> None:
        """Given the default stack, When each channel's forwarder is read,
        Then it runs the one handler with the workflow's package and layer, traced, JSON logs
        in its encrypted log group, and the channel's settings."""
        _, function = forwarder(default_stack, channel)
        _, evaluate = only(
            default_stack.resources, "AWS::Lambda::Function", Handler=WORKFLOW_HANDLERS["ConcludeFunctionArn"]
        )
        log_group = default_stack.resources[function["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
        assert function["FunctionName"] == f"keywarden-{channel}-forwarder"
        assert function["Handler"] == FORWARDER_HANDLER
        assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])
        assert (function["Timeout"], function["MemorySize"]) == (30, 256)
        # The workflow functions' package and Powertools layer.
        assert function["Code"] == evaluate["Properties"]["Code"]
        assert function["Layers"] == evaluate["Properties"]["Layers"]
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["LoggingConfig"]["LogFormat"] == "JSON"
        assert log_group["LogGroupName"] == f"/aws/lambda/keywarden-{channel}-forwarder"
        assert log_group["KmsKeyId"] == key(default_stack)
        assert function["Environment"]["Variables"] == {
            **DeploymentSettings().forwarder_environment(channel),
            "POWERTOOLS_SERVICE_NAME": "keywarden",
        }

    def test_settings_reach_the_forwarders_and_their_handlers_accept_them(
        self, custom_stack: Synthesized
    ) -> None:
        """Given custom settings, When the forwarders' environments are read by their handlers' settings,
        Then each finds its channel, the webhook secret name, the sender and the configuration set."""
        slack = forwarder(custom_stack, "slack", "kw-test")[1]["Environment"]["Variables"]
        email = forwarder(custom_stack, "email", "kw-test")[1]["Environment"]["Variables"]
        assert ForwarderChannel.from_environment(slack).channel == "slack"
        assert ForwarderChannel.from_environment(email).channel == "email"
        assert (
            WebhookForwarderSettings.from_environment(slack).webhook_secret_name == "security/kw-test-slack"
        )
        loaded = EmailForwarderSettings.from_environment(email)
        assert (loaded.sender, loaded.configuration_set) == (
            "keywarden@mail.corp.example",
            "keywarden-owners",
        )

    def test_the_slack_forwarder_runs_two_at_a_time_by_default(
        self, default_stack: Synthesized, custom_stack: Synthesized, minimal_stack: Synthesized
    ) -> None:
        """Given the default, custom and minimal stacks, When the forwarders' reserved concurrency is read,
        Then Slack's is 2 by default, 5 when set, none when off; email's is never set."""
        assert forwarder(default_stack, "slack")[1]["ReservedConcurrentExecutions"] == 2
        assert forwarder(custom_stack, "slack", "kw-test")[1]["ReservedConcurrentExecutions"] == 5
        assert "ReservedConcurrentExecutions" not in forwarder(minimal_stack, "slack")[1]
        assert "ReservedConcurrentExecutions" not in forwarder(default_stack, "email")[1]


class TestDelivery:
    @pytest.mark.parametrize("channel", CHANNELS)
    def test_failed_invocations_are_retried_twice_then_go_to_the_forwarders_queue(
        self, default_stack: Synthesized, channel: str
    ) -> None:
        """Given each forwarder, When its asynchronous invoke configuration is read,
        Then a failed event is retried twice, then sent to its own dead-letter queue."""
        function_id, _ = forwarder(default_stack, channel)
        queue_id = dead_letter_queue(default_stack, f"keywarden-{channel}-forwarder-dlq")
        _, config = only(
            default_stack.resources, "AWS::Lambda::EventInvokeConfig", FunctionName=ref(function_id)
        )
        assert config["Properties"] == {
            "FunctionName": ref(function_id),
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": arn_of(queue_id)}},
        }
        assert "DeadLetterConfig" not in forwarder(default_stack, channel)[1]

    @pytest.mark.parametrize("channel", CHANNELS)
    def test_subscribed_to_the_owners_topic_with_the_filter_policy(
        self, default_stack: Synthesized, channel: str
    ) -> None:
        """Given each forwarder, When its subscription is read,
        Then it is a Lambda subscription to the owners topic, filtered by the settings' severities."""
        function_id, _ = forwarder(default_stack, channel)
        _, subscription = only(
            default_stack.resources, "AWS::SNS::Subscription", Endpoint=arn_of(function_id)
        )
        assert subscription["Properties"] == {
            "Protocol": "lambda",
            "TopicArn": owners_topic(default_stack),
            "Endpoint": arn_of(function_id),
            "FilterPolicy": {"severity": ["high", "low", "medium"]},
        }
        assert subscription["Properties"]["FilterPolicy"] == DeploymentSettings().forwarder_filter_policy(
            channel
        )

    def test_severity_settings_become_the_filter_policies(self, custom_stack: Synthesized) -> None:
        """Given custom severity settings, When synthesized,
        Then each channel's filter policy has those severities."""
        policies = {
            channel: only(
                custom_stack.resources,
                "AWS::SNS::Subscription",
                Endpoint=arn_of(forwarder(custom_stack, channel, "kw-test")[0]),
            )[1]["Properties"]["FilterPolicy"]
            for channel in CHANNELS
        }
        assert policies == {"slack": {"severity": ["high"]}, "email": {"severity": ["high", "medium"]}}

    def test_only_the_owners_topic_may_invoke_a_forwarder(self, default_stack: Synthesized) -> None:
        """Given the default stack, When its Lambda permissions are read,
        Then the only ones let SNS invoke each forwarder from the owners topic."""
        permissions = sorted(
            (
                p["Properties"]["FunctionName"]["Fn::GetAtt"][0],
                p["Properties"]["Principal"],
                str(p["Properties"]["SourceArn"]),
            )
            for p in of_type(default_stack.resources, "AWS::Lambda::Permission").values()
        )
        topic = str(owners_topic(default_stack))
        assert permissions == sorted(
            (forwarder(default_stack, channel)[0], "sns.amazonaws.com", topic) for channel in CHANNELS
        )
        for permission in of_type(default_stack.resources, "AWS::Lambda::Permission").values():
            assert permission["Properties"]["Action"] == "lambda:InvokeFunction"


def common_permissions(stack: Synthesized, channel: str) -> dict[str, list[Any]]:
    """What every forwarder's role may do: its logs, traces and dead-letter queue."""
    _, function = forwarder(stack, channel)
    log_group = arn_of(function["LoggingConfig"]["LogGroup"]["Ref"])
    queue = arn_of(dead_letter_queue(stack, f"keywarden-{channel}-forwarder-dlq"))
    return {
        "logs:CreateLogStream": [log_group],
        "logs:PutLogEvents": [log_group],
        "xray:PutTraceSegments": ["*"],
        "xray:PutTelemetryRecords": ["*"],
        "sqs:SendMessage": [queue],
    }


class TestForwarderRoles:
    @pytest.mark.parametrize("channel", CHANNELS)
    def test_each_forwarder_has_its_own_role_for_lambda_alone(
        self, default_stack: Synthesized, channel: str
    ) -> None:
        """Given each forwarder, When its role is compared with the others',
        Then it is its own, assumable by Lambda alone, with no managed policy."""
        role_id = role_of(default_stack, channel)
        others = {role_of(default_stack, c) for c in CHANNELS if c != channel} | {
            only(default_stack.resources, "AWS::Lambda::Function", Handler=h)[1]["Properties"]["Role"][
                "Fn::GetAtt"
            ][0]
            for h in WORKFLOW_HANDLERS.values()
        }
        role = default_stack.resources[role_id]["Properties"]
        assert role_id not in others
        assert [s["Principal"] for s in statements(role["AssumeRolePolicyDocument"])] == [
            {"Service": "lambda.amazonaws.com"}
        ]
        assert "ManagedPolicyArns" not in role

    def test_the_slack_role_reads_exactly_the_webhook_secret(self, default_stack: Synthesized) -> None:
        """Given the Slack forwarder's role, When its permissions are read,
        Then besides logs, traces and its queue it may read the webhook secret, decrypting only for it."""
        resources = default_stack.resources
        role_id = role_of(default_stack, "slack")
        secret_id, _ = only(resources, "AWS::SecretsManager::Secret", Name="keywarden/slack-webhook")
        granted = actions_to_resources(role_statements(resources, role_id))
        assert granted == {
            **common_permissions(default_stack, "slack"),
            "secretsmanager:GetSecretValue": [ref(secret_id)],
            "kms:Decrypt": [key(default_stack)],
        }
        (decrypt,) = [s for s in role_statements(resources, role_id) if s["Action"] == "kms:Decrypt"]
        assert decrypt["Condition"] == {
            "StringEquals": {
                "kms:ViaService": {
                    "Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
                },
                "kms:EncryptionContext:SecretARN": ref(secret_id),
            }
        }

    def test_the_email_role_sends_only_from_the_sender(self, default_stack: Synthesized) -> None:
        """Given the email forwarder's role, When its permissions are read,
        Then besides logs, traces and its queue it may send only from the sender's address."""
        resources = default_stack.resources
        statements_ = role_statements(resources, role_of(default_stack, "email"))
        identities = [
            account_arn("ses", "identity/keywarden@example.com"),
            account_arn("ses", "identity/example.com"),
        ]
        assert actions_to_resources(statements_) == {
            **common_permissions(default_stack, "email"),
            "ses:SendEmail": identities,
            "ses:SendRawEmail": identities,
        }
        (send,) = [s for s in statements_ if "ses:SendEmail" in s["Action"]]
        assert send["Condition"] == {"StringEquals": {"ses:FromAddress": "keywarden@example.com"}}

    def test_a_configuration_set_and_another_sender_move_the_email_permissions(
        self, custom_stack: Synthesized
    ) -> None:
        """Given another sender and a configuration set, When synthesized,
        Then the email role may send only from that sender, with that configuration set."""
        statements_ = role_statements(custom_stack.resources, role_of(custom_stack, "email", "kw-test"))
        (send,) = [s for s in statements_ if "ses:SendEmail" in s["Action"]]
        assert send["Resource"] == [
            account_arn("ses", "identity/keywarden@mail.corp.example"),
            account_arn("ses", "identity/mail.corp.example"),
            account_arn("ses", "configuration-set/keywarden-owners"),
        ]
        assert send["Condition"] == {"StringEquals": {"ses:FromAddress": "keywarden@mail.corp.example"}}

    def test_neither_forwarder_may_do_the_others_work(self, default_stack: Synthesized) -> None:
        """Given both forwarders' roles, When compared,
        Then Slack's may not send email and email's may not read secrets or decrypt."""
        slack = actions_to_resources(
            role_statements(default_stack.resources, role_of(default_stack, "slack"))
        )
        email = actions_to_resources(
            role_statements(default_stack.resources, role_of(default_stack, "email"))
        )
        assert not [a for a in slack if a.startswith("ses:")]
        assert not [a for a in email if a.startswith(("secretsmanager:", "kms:"))]


class TestSecretAndSenderIdentity:
    def test_the_webhook_secret_has_no_value_in_the_template(
        self, default_stack: Synthesized, custom_stack: Synthesized
    ) -> None:
        """Given the default and custom stacks, When their webhook secrets are read,
        Then neither holds a value: a generated placeholder, encrypted with the stack's key."""
        for stack, name in (
            (default_stack, "keywarden/slack-webhook"),
            (custom_stack, "security/kw-test-slack"),
        ):
            _, secret = only(stack.resources, "AWS::SecretsManager::Secret", Name=name)
            properties = secret["Properties"]
            assert "SecretString" not in properties
            # CloudFormation stores a random placeholder until the operator puts the webhook.
            assert properties["GenerateSecretString"] == {}
            assert properties["KmsKeyId"] == key(stack)

    def test_the_placeholder_is_refused_without_being_echoed(self) -> None:
        """Given 200 placeholders like Secrets Manager generates, When read as Slack or Teams webhooks,
        Then each is refused as not usable, and the error does not repeat it."""
        # What Secrets Manager generates by default: 32 letters, digits and punctuation.
        alphabet = string.ascii_letters + string.digits + string.punctuation
        generator = random.Random(20250)
        for attempt in range(200):
            first = "{" if attempt % 10 == 0 else generator.choice(alphabet)
            placeholder = first + "".join(generator.choice(alphabet) for _ in range(31))
            for parse, service in ((parse_slack_webhooks, "Slack"), (parse_teams_webhooks, "Teams")):
                with pytest.raises(
                    WebhookDeliveryError, match=f"the {service} webhook secret is not usable"
                ) as refused:
                    parse(placeholder)
                assert placeholder not in str(refused.value)

    def test_the_sender_identity_is_in_the_stack_unless_verified_outside_it(
        self, default_stack: Synthesized, custom_stack: Synthesized, minimal_stack: Synthesized
    ) -> None:
        """Given the default, custom and minimal stacks, When their SES identities are read,
        Then the first two create the sender's, the minimal one none, and its forwarder may still send."""
        only(default_stack.resources, "AWS::SES::EmailIdentity", EmailIdentity="keywarden@example.com")
        only(custom_stack.resources, "AWS::SES::EmailIdentity", EmailIdentity="keywarden@mail.corp.example")
        # Verified outside the stack: none created, the forwarder may still send from it.
        assert of_type(minimal_stack.resources, "AWS::SES::EmailIdentity") == {}
        statements_ = role_statements(minimal_stack.resources, role_of(minimal_stack, "email"))
        assert [s["Resource"] for s in statements_ if "ses:SendEmail" in s["Action"]] == [
            [account_arn("ses", "identity/keywarden@example.com"), account_arn("ses", "identity/example.com")]
        ]


class TestTeamsForwarder:
    """A third channel, from its registry entry alone: its function, secret, permissions and filter."""

    def test_runs_the_one_handler_with_the_teams_channel(self, teams_stack: Synthesized) -> None:
        """Given a stack with Teams, When its forwarder is read,
        Then it runs the one handler with the Teams channel, its secret name and concurrency 1."""
        _, function = forwarder(teams_stack, "teams")
        assert function["Handler"] == FORWARDER_HANDLER
        assert function["Environment"]["Variables"] == {
            "CHANNEL": "teams",
            "WEBHOOK_SECRET_NAME": "security/keywarden-teams",
            "POWERTOOLS_SERVICE_NAME": "keywarden",
        }
        assert function["ReservedConcurrentExecutions"] == 1
        assert (function["Timeout"], function["MemorySize"]) == (30, 256)

    def test_reads_exactly_its_own_webhook_secret(self, teams_stack: Synthesized) -> None:
        """Given the Teams forwarder's role, When its permissions are read,
        Then it may read and decrypt only its webhook secret,
        and neither it nor the email forwarder may do the other's work."""
        resources = teams_stack.resources
        role_id = role_of(teams_stack, "teams")
        secret_id, _ = only(resources, "AWS::SecretsManager::Secret", Name="security/keywarden-teams")
        granted = actions_to_resources(role_statements(resources, role_id))
        assert granted == {
            **common_permissions(teams_stack, "teams"),
            "secretsmanager:GetSecretValue": [ref(secret_id)],
            "kms:Decrypt": [key(teams_stack)],
        }
        (decrypt,) = [s for s in role_statements(resources, role_id) if s["Action"] == "kms:Decrypt"]
        assert decrypt["Condition"] == {
            "StringEquals": {
                "kms:ViaService": {
                    "Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
                },
                "kms:EncryptionContext:SecretARN": ref(secret_id),
            }
        }
        email = actions_to_resources(role_statements(resources, role_of(teams_stack, "email")))
        assert not [a for a in granted if a.startswith("ses:")]
        assert not [a for a in email if a.startswith(("secretsmanager:", "kms:"))]

    def test_its_secret_has_no_value_in_the_template(self, teams_stack: Synthesized) -> None:
        """Given the Teams secret, When read,
        Then it holds no value: a generated placeholder, with the stack's key."""
        _, secret = only(
            teams_stack.resources, "AWS::SecretsManager::Secret", Name="security/keywarden-teams"
        )
        assert "SecretString" not in secret["Properties"]
        assert secret["Properties"]["GenerateSecretString"] == {}
        assert secret["Properties"]["KmsKeyId"] == key(teams_stack)

    def test_receives_what_teams_severities_says(self, teams_stack: Synthesized) -> None:
        """Given Teams' severities, When its subscription is read,
        Then it filters the owners topic by them."""
        function_id, _ = forwarder(teams_stack, "teams")
        _, subscription = only(teams_stack.resources, "AWS::SNS::Subscription", Endpoint=arn_of(function_id))
        assert subscription["Properties"]["FilterPolicy"] == {"severity": ["high", "medium"]}
        assert subscription["Properties"]["TopicArn"] == owners_topic(teams_stack)

    def test_failures_go_to_its_own_queue_watched_by_an_alarm(self, teams_stack: Synthesized) -> None:
        """Given the Teams forwarder, When its failures' destination is read,
        Then it is its own queue, with an alarm, and the queue and secret are stack outputs."""
        function_id, _ = forwarder(teams_stack, "teams")
        queue_id = dead_letter_queue(teams_stack, "keywarden-teams-forwarder-dlq")
        _, config = only(
            teams_stack.resources, "AWS::Lambda::EventInvokeConfig", FunctionName=ref(function_id)
        )
        assert config["Properties"]["DestinationConfig"] == {"OnFailure": {"Destination": arn_of(queue_id)}}
        only(
            teams_stack.resources,
            "AWS::CloudWatch::Alarm",
            AlarmName="keywarden-teams-forwarder-dead-letter-queue-not-empty",
        )
        outputs = teams_stack.template["Outputs"]
        assert outputs["TeamsForwarderDeadLetterQueueUrl"]["Value"] == ref(queue_id)
        assert outputs["TeamsWebhookSecretArn"]["Value"] == ref(
            only(teams_stack.resources, "AWS::SecretsManager::Secret", Name="security/keywarden-teams")[0]
        )

    def test_a_channel_not_chosen_is_not_deployed(self, teams_stack: Synthesized) -> None:
        """Given Teams and email chosen, When synthesized,
        Then there is no Slack forwarder, secret or output."""
        names = {
            f["Properties"]["FunctionName"]
            for f in of_type(teams_stack.resources, "AWS::Lambda::Function").values()
        }
        assert {"keywarden-teams-forwarder", "keywarden-email-forwarder"} <= names
        assert "keywarden-slack-forwarder" not in names
        secrets = [
            s["Properties"]["Name"]
            for s in of_type(teams_stack.resources, "AWS::SecretsManager::Secret").values()
        ]
        assert secrets == ["security/keywarden-teams"]
        assert "SlackWebhookSecretArn" not in teams_stack.template["Outputs"]
