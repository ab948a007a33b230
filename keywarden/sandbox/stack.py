"""keywarden's resources, created in the local sandbox the way the CDK stack creates them in AWS.

Same ASL file, same event pattern, same handlers and settings; the sandbox adds an SQS "inbox"
on each topic so that published notifications can be read back. Each selected channel's
forwarder subscribes to the owners' topic with its filter policy, as in AWS; a webhook
channel's secret points at its local stand-in, the email channel's sender is verified in SES.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, assert_never

import boto3

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.sweep import SWEEP_FUNCTIONS, SweepResources, sweep_function_environments, sweep_substitutions
from deployment.workflow import (
    WORKFLOW_FUNCTIONS,
    WorkflowResources,
    function_environments,
    workflow_substitutions,
)
from domain.config_rule import CONFIG_RULE_IDENTIFIER, compliance_change_event_pattern
from domain.tables import AuditTable, CoordinationTable, ExemptionTable, FindingsTable, NotificationStateTable
from notifications.channels import FORWARDER_HANDLER, EmailChannel, WebhookChannel, channel_named
from notifications.settings import WebhookForwarderSettings
from statemachine import SWEEP, render_definition

PREFIX = "keywarden"


@dataclass(frozen=True)
class SandboxStack:
    state_machine_arn: str
    table_name: str
    owners_topic_arn: str
    operators_topic_arn: str
    owners_inbox_url: str
    operators_inbox_url: str
    dead_letter_queue_url: str
    automation_role_arn: str
    event_rule_name: str
    function_arns: dict[str, str]
    notification_state_table_name: str
    exemption_table_name: str
    webhook_secret_names: dict[str, str]
    """Webhook channel -> its secret's name."""
    forwarder_function_arns: dict[str, str]
    """Channel name (`slack`, `email`...) -> its forwarder's function ARN."""
    forwarder_dead_letter_queue_urls: dict[str, str]
    coordination_table_name: str
    findings_table_name: str
    sweep_state_machine_arn: str
    sweep_function_arns: dict[str, str]
    """The sweep's functions' ARNs, by substitution (deployment/sweep.py)."""

    @property
    def sweep_resources(self) -> SweepResources:
        """What the sweep's functions are configured with (deployment/sweep.py)."""
        return SweepResources(
            findings_table=self.findings_table_name,
            audit_table=self.table_name,
            notification_state_table=self.notification_state_table_name,
            exemption_table=self.exemption_table_name,
            owners_topic_arn=self.owners_topic_arn,
            operators_topic_arn=self.operators_topic_arn,
            remediation_state_machine_arn=self.state_machine_arn,
        )

    @property
    def workflow_resources(self) -> WorkflowResources:
        """What the workflow's functions are configured with (deployment/workflow.py)."""
        return WorkflowResources(
            audit_table=self.table_name,
            notification_state_table=self.notification_state_table_name,
            exemption_table=self.exemption_table_name,
            owners_topic_arn=self.owners_topic_arn,
            operators_topic_arn=self.operators_topic_arn,
            automation_role_arn=self.automation_role_arn,
            coordination_table=self.coordination_table_name,
        )


def _role(iam: Any, name: str, service: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def _placeholder_code() -> bytes:
    # The sandbox runs handlers in process; the package only has to exist.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "keywarden handlers run in process in the sandbox")
    return buffer.getvalue()


def _function(
    lambda_client: Any, name: str, handler: str, role: str, environment: dict[str, str], timeout: int
) -> str:
    """A function as the CDK stack makes it (python3.13, arm64, 256 MB); its code runs in process."""
    answer = lambda_client.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Architectures=["arm64"],
        Role=role,
        Handler=handler,
        Code={"ZipFile": _placeholder_code()},
        Timeout=timeout,
        MemorySize=256,
        Environment={"Variables": environment},
    )
    return str(answer["FunctionArn"])


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    """A new queue's URL and ARN."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def _queue_subscribed_to(sns: Any, sqs: Any, topic_arn: str, name: str) -> str:
    url, arn = _queue(sqs, name)
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def _key_schema(partition: str, sort: str | None = None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    return schema + ([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])


def _table(
    dynamodb: Any,
    name: str,
    keys: tuple[str, str | None],
    indexes: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """A table as the CDK stack's durable_table makes it: on demand, encrypted, string keys."""
    attributes = {key for key in keys if key} | {key for pair in (indexes or {}).values() for key in pair}
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(*keys),
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "SSESpecification": {"Enabled": True},
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = [
            {"IndexName": index, "KeySchema": _key_schema(*pair), "Projection": {"ProjectionType": "ALL"}}
            for index, pair in indexes.items()
        ]
    dynamodb.create_table(**request)
    return name


def _audit_table(dynamodb: Any, name: str) -> str:
    return _table(dynamodb, name, (AuditTable.PARTITION_KEY, AuditTable.SORT_KEY), AuditTable.indexes())


def _keyed_table_with_ttl(dynamodb: Any, name: str, partition: str, sort: str, ttl: str) -> str:
    """A pk/sk table of string keys whose items expire through `ttl` (as CDK's durable_table makes it)."""
    _table(dynamodb, name, (partition, sort))
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
    )
    return name


def _notification_state_table(dynamodb: Any, name: str) -> str:
    layout = NotificationStateTable
    return _keyed_table_with_ttl(dynamodb, name, layout.PARTITION_KEY, layout.SORT_KEY, layout.EXPIRES_AT)


def _coordination_table(dynamodb: Any, name: str) -> str:
    layout = CoordinationTable
    return _keyed_table_with_ttl(dynamodb, name, layout.PARTITION_KEY, layout.SORT_KEY, layout.EXPIRES_AT)


def _exemption_table(dynamodb: Any, name: str) -> str:
    return _table(dynamodb, name, (ExemptionTable.PARTITION_KEY, None))


def _findings_table(dynamodb: Any, name: str) -> str:
    return _table(
        dynamodb, name, (FindingsTable.PARTITION_KEY, FindingsTable.SORT_KEY), FindingsTable.indexes()
    )


@dataclass(frozen=True)
class _Forwarders:
    functions: dict[str, str]
    dead_letter_queues: dict[str, str]
    webhook_secrets: dict[str, str]


def _provide(
    session: boto3.Session, settings: DeploymentSettings, channel: str, url: str | None
) -> str | None:
    """What the channel's entry needs: its webhook secret (the stand-in's URL; its name is
    returned), or the SES sender."""
    match channel_named(channel):
        case WebhookChannel():
            if url is None:
                raise ValueError(f"no local webhook for the {channel} channel")
            secret = settings.webhook_secret_name(channel)
            session.client("secretsmanager").create_secret(
                Name=secret, SecretString=json.dumps({"default": url})
            )
            return secret
        case EmailChannel():
            session.client("sesv2").create_email_identity(EmailIdentity=settings.notification_sender_email)
            return None
        case unknown:
            assert_never(unknown)


def _forwarders(
    session: boto3.Session, settings: DeploymentSettings, owners_topic: str, webhook_urls: Mapping[str, str]
) -> _Forwarders:
    """One forwarder per selected channel: own role, on-failure queue, filtered subscription."""
    iam, sqs, sns = session.client("iam"), session.client("sqs"), session.client("sns")
    lambda_client = session.client("lambda")
    forwarders = _Forwarders({}, {}, {})
    for channel in settings.notification_channels:
        secret = _provide(session, settings, channel, webhook_urls.get(channel))
        environment = settings.forwarder_environment(channel)
        if secret is not None:
            # The sandbox changes webhook secrets as users with channels arrive: no caching.
            environment |= WebhookForwarderSettings(
                webhook_secret_name=secret, secret_max_age_seconds=0
            ).to_environment()
            forwarders.webhook_secrets[channel] = secret
        name = f"{PREFIX}-{channel}-forwarder"
        role = _role(iam, name, "lambda.amazonaws.com")
        dlq_url, dlq_arn = _queue(sqs, f"{name}-dlq")
        arn = _function(lambda_client, name, FORWARDER_HANDLER, role, environment, 30)
        lambda_client.put_function_event_invoke_config(
            FunctionName=arn,
            MaximumRetryAttempts=2,
            DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
        )
        sns.subscribe(
            TopicArn=owners_topic,
            Protocol="lambda",
            Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps(settings.forwarder_filter_policy(channel))},
        )
        forwarders.functions[channel], forwarders.dead_letter_queues[channel] = arn, dlq_url
    return forwarders


def _workflow_functions(
    lambda_client: Any,
    settings: DeploymentSettings,
    names: ResourceNames,
    resources: WorkflowResources,
    role: str,
) -> dict[str, str]:
    """The workflow's functions with their environments (deployment/workflow.py), by substitution."""
    environments = function_environments(settings, resources)
    return {
        function.substitution: _function(
            lambda_client,
            names.function(function.handler),
            function.handler,
            role,
            environments[function.substitution],
            60,
        )
        for function in WORKFLOW_FUNCTIONS
    }


def _sweep(
    session: boto3.Session,
    settings: DeploymentSettings,
    names: ResourceNames,
    resources: SweepResources,
    roles: tuple[str, str],
) -> tuple[str, dict[str, str]]:
    """The sweep's functions (environments from deployment/sweep.py) and its workflow (the same ASL
    file, rendered with the same substitutions): its ARN and the functions' ARNs by substitution
    (5 minutes each, as infra/constructs/sweep_functions.py gives them).
    EventBridge Scheduler's schedule is the sandbox's `run_sweep`."""
    functions_role, workflow_role = roles
    environments = sweep_function_environments(settings, resources)
    lambda_client = session.client("lambda")
    function_arns = {
        function.substitution: _function(
            lambda_client,
            names.function(function.handler),
            function.handler,
            functions_role,
            environments[function.substitution],
            300,
        )
        for function in SWEEP_FUNCTIONS
    }
    definition = render_definition(sweep_substitutions(settings, resources, function_arns), SWEEP)
    arn = session.client("stepfunctions").create_state_machine(
        name=names.sweep_state_machine, definition=definition, roleArn=workflow_role, type="STANDARD"
    )["stateMachineArn"]
    return str(arn), function_arns


def _compliance_event_rule(
    events: Any, settings: DeploymentSettings, rule_name: str, state_machine: str, role: str, dlq_arn: str
) -> None:
    """The rule that starts the workflow for each NON_COMPLIANT event, with the CDK stack's retries."""
    events.put_rule(
        Name=rule_name, EventPattern=json.dumps(compliance_change_event_pattern(settings.config_rule_name))
    )
    events.put_targets(
        Rule=rule_name,
        Targets=[
            {
                "Id": "remediation-workflow",
                "Arn": state_machine,
                "RoleArn": role,
                "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )


def _access_keys_rotated_rule(config: Any, settings: DeploymentSettings) -> None:
    """Config's managed rule, as the CDK stack's AccessKeysRotatedRule makes it (config.AccessKeysRotated)."""
    config.put_config_rule(
        ConfigRule={
            "ConfigRuleName": settings.config_rule_name,
            "Description": "keywarden: an IAM user has an active access key older than maxAccessKeyAge days",
            "Source": {"Owner": "AWS", "SourceIdentifier": CONFIG_RULE_IDENTIFIER},
            "InputParameters": json.dumps({"maxAccessKeyAge": str(settings.max_access_key_age)}),
        }
    )


def deploy_stack(settings: DeploymentSettings, region: str, webhook_urls: Mapping[str, str]) -> SandboxStack:
    """Create every keywarden resource in the sandbox account and region; `webhook_urls` holds
    the local webhook of each selected webhook channel."""
    session = boto3.Session(region_name=region)
    names = ResourceNames(settings.name_prefix)
    iam, sns, sqs = session.client("iam"), session.client("sns"), session.client("sqs")
    dynamodb = session.client("dynamodb")

    # With createConfigRule false the account already has the rule: the sandbox's account has it too.
    _access_keys_rotated_rule(session.client("config"), settings)
    automation_role = _role(iam, f"{PREFIX}-automation", "ssm.amazonaws.com")
    functions_role = _role(iam, f"{PREFIX}-functions", "lambda.amazonaws.com")
    workflow_role = _role(iam, f"{PREFIX}-workflow", "states.amazonaws.com")
    events_role = _role(iam, f"{PREFIX}-events", "events.amazonaws.com")

    table = _audit_table(dynamodb, names.audit_table)
    notification_state = _notification_state_table(dynamodb, names.notification_state_table)
    exemptions = _exemption_table(dynamodb, names.exemption_table)
    coordination = _coordination_table(dynamodb, names.coordination_table)
    owners_topic = sns.create_topic(Name=names.owners_topic)["TopicArn"]
    operators_topic = sns.create_topic(Name=names.operators_topic)["TopicArn"]
    owners_inbox = _queue_subscribed_to(sns, sqs, owners_topic, f"{PREFIX}-owners-inbox")
    operators_inbox = _queue_subscribed_to(sns, sqs, operators_topic, f"{PREFIX}-operators-inbox")
    dlq_url, dlq_arn = _queue(sqs, names.dead_letter_queue)

    resources = WorkflowResources(
        audit_table=table,
        notification_state_table=notification_state,
        exemption_table=exemptions,
        owners_topic_arn=owners_topic,
        operators_topic_arn=operators_topic,
        automation_role_arn=automation_role,
        coordination_table=coordination,
    )
    function_arns = _workflow_functions(session.client("lambda"), settings, names, resources, functions_role)
    definition = render_definition(workflow_substitutions(settings, resources, function_arns))
    state_machine = session.client("stepfunctions").create_state_machine(
        name=names.state_machine, definition=definition, roleArn=workflow_role, type="STANDARD"
    )["stateMachineArn"]
    _compliance_event_rule(
        session.client("events"), settings, names.event_rule, state_machine, events_role, dlq_arn
    )
    forwarders = _forwarders(session, settings, owners_topic, webhook_urls)
    sweep_resources = SweepResources(
        findings_table=_findings_table(dynamodb, names.findings_table),
        audit_table=table,
        notification_state_table=notification_state,
        exemption_table=exemptions,
        owners_topic_arn=owners_topic,
        operators_topic_arn=operators_topic,
        remediation_state_machine_arn=state_machine,
    )
    sweep_arn, sweep_function_arns = _sweep(
        session, settings, names, sweep_resources, (functions_role, workflow_role)
    )
    return SandboxStack(
        state_machine_arn=state_machine,
        table_name=table,
        owners_topic_arn=owners_topic,
        operators_topic_arn=operators_topic,
        owners_inbox_url=owners_inbox,
        operators_inbox_url=operators_inbox,
        dead_letter_queue_url=dlq_url,
        automation_role_arn=automation_role,
        event_rule_name=names.event_rule,
        function_arns=function_arns,
        notification_state_table_name=notification_state,
        exemption_table_name=exemptions,
        webhook_secret_names=forwarders.webhook_secrets,
        forwarder_function_arns=forwarders.functions,
        forwarder_dead_letter_queue_urls=forwarders.dead_letter_queues,
        coordination_table_name=coordination,
        findings_table_name=sweep_resources.findings_table,
        sweep_state_machine_arn=sweep_arn,
        sweep_function_arns=sweep_function_arns,
    )
