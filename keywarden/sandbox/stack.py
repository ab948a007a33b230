"""keywarden's resources, created in the local sandbox the way the CDK stack creates them in AWS.

Same ASL file, same event pattern, same handlers and settings; the sandbox adds an SQS "inbox"
on each topic so that published notifications can be read back.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3

from keywarden.configuration import DeploymentSettings
from lambdas.contract import RUNBOOK_NAME, AuditTable, compliance_change_event_pattern
from statemachine import FUNCTION_HANDLERS, render_definition

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


def _queue_subscribed_to(sns: Any, sqs: Any, topic_arn: str, name: str) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def _audit_table(dynamodb: Any) -> str:
    name = f"{PREFIX}-audit"
    attributes = {AuditTable.PARTITION_KEY, AuditTable.SORT_KEY}
    indexes = []
    for index_name, (partition, sort) in AuditTable.indexes().items():
        attributes |= {partition, sort}
        indexes.append(
            {
                "IndexName": index_name,
                "KeySchema": [
                    {"AttributeName": partition, "KeyType": "HASH"},
                    {"AttributeName": sort, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": AuditTable.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": AuditTable.SORT_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        GlobalSecondaryIndexes=indexes,
        SSESpecification={"Enabled": True},
    )
    return name


def deploy_stack(settings: DeploymentSettings, region: str) -> SandboxStack:
    """Create every keywarden resource in the sandbox account and region."""
    session = boto3.Session(region_name=region)
    iam, sns, sqs = session.client("iam"), session.client("sns"), session.client("sqs")
    lambda_client, sfn, events = (
        session.client("lambda"),
        session.client("stepfunctions"),
        session.client("events"),
    )

    automation_role = _role(iam, f"{PREFIX}-automation", "ssm.amazonaws.com")
    functions_role = _role(iam, f"{PREFIX}-functions", "lambda.amazonaws.com")
    workflow_role = _role(iam, f"{PREFIX}-workflow", "states.amazonaws.com")
    events_role = _role(iam, f"{PREFIX}-events", "events.amazonaws.com")

    table = _audit_table(session.client("dynamodb"))
    owners_topic = sns.create_topic(Name=f"{PREFIX}-owners")["TopicArn"]
    operators_topic = sns.create_topic(Name=f"{PREFIX}-operators")["TopicArn"]
    owners_inbox = _queue_subscribed_to(sns, sqs, owners_topic, f"{PREFIX}-owners-inbox")
    operators_inbox = _queue_subscribed_to(sns, sqs, operators_topic, f"{PREFIX}-operators-inbox")
    dlq_url = sqs.create_queue(QueueName=f"{PREFIX}-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]

    environments = settings.function_environments()
    function_arns = {}
    for substitution, handler in FUNCTION_HANDLERS.items():
        name = f"{PREFIX}-{handler.split('.')[-2].replace('_', '-')}"
        function_arns[substitution] = lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Architectures=["arm64"],
            Role=functions_role,
            Handler=handler,
            Code={"ZipFile": _placeholder_code()},
            Timeout=60,
            MemorySize=256,
            Environment={"Variables": environments[substitution]},
        )["FunctionArn"]

    definition = render_definition(
        {
            **function_arns,
            "RunbookName": RUNBOOK_NAME,
            "RunbookVersion": settings.runbook_version,
            "AutomationRoleArn": automation_role,
            "MaxCredentialUsageAge": str(settings.credential_usage_age),
            "PollIntervalSeconds": str(settings.poll_interval_seconds),
            "MaxPollAttempts": str(settings.max_poll_attempts),
            "AuditTableName": table,
            "OwnersTopicArn": owners_topic,
            "OperatorsTopicArn": operators_topic,
        }
    )
    state_machine = sfn.create_state_machine(
        name=f"{PREFIX}-remediation", definition=definition, roleArn=workflow_role, type="STANDARD"
    )["stateMachineArn"]

    rule_name = f"{PREFIX}-noncompliant-user"
    events.put_rule(
        Name=rule_name, EventPattern=json.dumps(compliance_change_event_pattern(settings.config_rule_name))
    )
    events.put_targets(
        Rule=rule_name,
        Targets=[
            {
                "Id": "remediation-workflow",
                "Arn": state_machine,
                "RoleArn": events_role,
                "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
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
        event_rule_name=rule_name,
        function_arns=function_arns,
    )
