"""The CDK stack names its resources as the local sandbox does."""

from __future__ import annotations

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from deployment.sweep import SWEEP_HANDLERS
from deployment.workflow import WORKFLOW_HANDLERS
from keywarden.sandbox import Sandbox
from notifications.channels import DEFAULT_CHANNELS
from tests.infra.conftest import Synthesized
from tests.infra.template import of_type, only


def test_cdk_and_sandbox_use_the_same_names(default_stack: Synthesized) -> None:
    """Given the default settings' resource names, When the sandbox deploys and the CDK stack is synthesized,
    Then both name every table, topic, queue, function, rule, secret and state machine the same."""
    names = ResourceNames(DeploymentSettings().name_prefix)
    with Sandbox() as sandbox:
        deployed = sandbox.stack
        function_names = {k: v.rsplit(":", 1)[-1] for k, v in deployed.function_arns.items()}
        forwarder_names = {k: v.rsplit(":", 1)[-1] for k, v in deployed.forwarder_function_arns.items()}
    assert deployed.table_name == names.audit_table
    assert deployed.owners_topic_arn.endswith(f":{names.owners_topic}")
    assert deployed.operators_topic_arn.endswith(f":{names.operators_topic}")
    assert deployed.state_machine_arn.endswith(f":{names.state_machine}")
    assert deployed.event_rule_name == names.event_rule
    assert deployed.dead_letter_queue_url.endswith(f"/{names.dead_letter_queue}")
    assert function_names == {k: names.function(h) for k, h in WORKFLOW_HANDLERS.items()}
    assert deployed.notification_state_table_name == names.notification_state_table
    assert deployed.exemption_table_name == names.exemption_table
    assert deployed.coordination_table_name == names.coordination_table
    assert forwarder_names == {k: names.forwarder_function(k) for k in DEFAULT_CHANNELS}
    assert {k: url.rsplit("/", 1)[-1] for k, url in deployed.forwarder_dead_letter_queue_urls.items()} == {
        k: names.forwarder_dead_letter_queue(k) for k in DEFAULT_CHANNELS
    }
    assert deployed.webhook_secret_names == {"slack": DeploymentSettings().webhook_secret_name("slack")}

    resources = default_stack.resources
    only(resources, "AWS::DynamoDB::Table", TableName=names.audit_table)
    only(resources, "AWS::DynamoDB::Table", TableName=names.notification_state_table)
    only(resources, "AWS::DynamoDB::Table", TableName=names.exemption_table)
    only(resources, "AWS::DynamoDB::Table", TableName=names.coordination_table)
    only(resources, "AWS::SecretsManager::Secret", Name=deployed.webhook_secret_names["slack"])
    for channel in DEFAULT_CHANNELS:
        only(resources, "AWS::SQS::Queue", QueueName=names.forwarder_dead_letter_queue(channel))
    only(resources, "AWS::Events::Rule", Name=names.event_rule)
    only(resources, "AWS::SQS::Queue", QueueName=names.dead_letter_queue)
    only(resources, "AWS::StepFunctions::StateMachine", StateMachineName=names.state_machine)
    # The sweep's resources (the sandbox's sweep names them from the same ResourceNames).
    only(resources, "AWS::DynamoDB::Table", TableName=names.findings_table)
    only(resources, "AWS::StepFunctions::StateMachine", StateMachineName=names.sweep_state_machine)
    only(resources, "AWS::Scheduler::Schedule", Name=names.sweep_schedule)
    only(resources, "AWS::SQS::Queue", QueueName=names.sweep_dead_letter_queue)
    assert {
        f["Properties"]["FunctionName"] for f in of_type(resources, "AWS::Lambda::Function").values()
    } == {names.function(h) for h in (*WORKFLOW_HANDLERS.values(), *SWEEP_HANDLERS.values())} | {
        names.forwarder_function(c) for c in DEFAULT_CHANNELS
    }
