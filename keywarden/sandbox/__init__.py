"""The local AWS sandbox: moto, extended until keywarden's workflow runs in it end to end.

`Sandbox` is a context manager: it starts moto, applies the extensions (SSM automation,
in-process Lambda, EventBridge to Step Functions, SNS to Lambda as AWS delivers it, an
AWS-faithful interpreter on a virtual clock, AWS Config's recorder and inventory of IAM users),
deploys keywarden's resources, and offers what a
person or a test needs to drive and inspect a run. Nothing leaves the process: every AWS call
is answered by moto, and each webhook channel's service is a webhook server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any
from unittest import mock

import boto3
from boto3.dynamodb.conditions import Key
from moto import mock_aws
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from deployment.settings import DeploymentSettings
from deployment.sweep import sweep_function_environments
from deployment.workflow import function_environments
from domain.config_rule import IAM_USER_RESOURCE_TYPE, NON_COMPLIANT
from domain.exemptions import Exemption, exemption_to_item
from domain.finding_items import finding_from_item
from domain.findings import Finding
from domain.owners import resolve_owner
from domain.tables import AuditTable, FindingsTable, NotificationStateTable
from keywarden.sandbox.aws.client_cache import cached_clients
from keywarden.sandbox.aws.dynamodb import fast_dynamodb
from keywarden.sandbox.aws.dynamodb_transactions import transactions_without_table_copies
from keywarden.sandbox.aws.eventbridge import StepFunctionsDelivery, stepfunctions_targets
from keywarden.sandbox.aws.faults import FaultPlan, injected_faults
from keywarden.sandbox.aws.lambda_runtime import InProcessLambda, in_process_lambda
from keywarden.sandbox.aws.moto_dispatch import direct_action_lookup
from keywarden.sandbox.aws.sdk_retry_sleep import sdk_retries_on_clock
from keywarden.sandbox.aws.sns_lambda import SnsToLambda, drain_queue, sns_lambda_delivery
from keywarden.sandbox.aws.throttling import ThrottlingLimits, throttled_apis
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.config.compliance import ComplianceChange, ConfigEvaluations, compliance_details_api
from keywarden.sandbox.config.discovered_resources import discovered_iam_users_api
from keywarden.sandbox.config.events import compliance_change_entry
from keywarden.sandbox.config.inventory import ConfigInventory, iam_users_discovered
from keywarden.sandbox.config.recorder import change_recording_group, recorder_on_clock, set_up_recorder
from keywarden.sandbox.deliveries import Delivery, DeliveryRecorder
from keywarden.sandbox.devtools.mocked_cases import MockedCases, mocked_test_cases
from keywarden.sandbox.fixtures.iam_users import CreatedUser, back_dated_login_profiles, create_user
from keywarden.sandbox.inspection import ExecutionReport, PublishedMessage, read_inbox, report_of
from keywarden.sandbox.scheduler import Scheduler
from keywarden.sandbox.servers.webhook_server import DEFAULT_WEBHOOK, WebhookServer, webhook_backoff_on
from keywarden.sandbox.servers.webhook_stand_ins import stand_in_for
from keywarden.sandbox.ssm.automation import AutomationBehaviour, AutomationEmulator, automation_api
from keywarden.sandbox.ssm.automation_quota import AutomationQuota
from keywarden.sandbox.stack import SandboxStack, deploy_stack
from keywarden.sandbox.stepfunctions.history import history_as_json
from keywarden.sandbox.stepfunctions.interpreter import aws_faithful_interpreter
from keywarden.sandbox.stepfunctions.jitter import repeatable_jitter
from keywarden.sandbox.stepfunctions.parsed_json_paths import json_paths_parsed_once
from keywarden.sandbox.stepfunctions.parsed_workflows import workflows_parsed_once
from keywarden.sandbox.stepfunctions.strict_paths import aws_strict_paths
from keywarden.scenario import ExemptionSpec, UserSpec
from notifications.channels import EmailChannel, WebhookChannel

SANDBOX_ACCOUNT_ID = "123456789012"
SANDBOX_REGION = "us-east-1"

STRICT_PATHS_BY_DEFAULT = True
"""Whether a Sandbox applies AWS's rules where moto is lenient about paths (see strict_paths)."""

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_SESSION_TOKEN": "sandbox",
    "AWS_DEFAULT_REGION": SANDBOX_REGION,
    "AWS_REGION": SANDBOX_REGION,
}
_REAL_AWS_POINTERS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE")


@contextlib.contextmanager
def _quiet_interpreter_logs() -> Iterator[None]:
    """moto logs every task failure, even one a Retry or Catch handles; the report says enough."""
    interpreter_log = logging.getLogger("moto.stepfunctions.parser")
    level = interpreter_log.level
    if not os.environ.get("KEYWARDEN_SANDBOX_DEBUG"):
        interpreter_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        interpreter_log.setLevel(level)


@dataclass
class ScheduledEvent:
    """An event due at a simulated time; `executions` fills in when it has been delivered."""

    executions: list[str] = field(default_factory=list)
    published: bool = False
    """PutEvents took it (False until its time, or for an event that was never sent)."""


class Sandbox:
    """A local AWS account with keywarden deployed in it."""

    def __init__(
        self,
        settings: DeploymentSettings | None = None,
        automation: AutomationBehaviour | None = None,
        clock: VirtualClock | None = None,
        mocked_cases: MockedCases | None = None,
        strict_paths: bool = STRICT_PATHS_BY_DEFAULT,
        config_records_iam_users: bool = True,
        automation_quota: AutomationQuota | None = None,
    ) -> None:
        self.settings = settings or DeploymentSettings()
        self.clock = clock or VirtualClock()
        self.scheduler = Scheduler(self.clock)
        """Runs executions concurrently on the clock (`paused()`, `run_until_idle()`)."""
        self._tables: dict[str, Any] = {}
        """DynamoDB Table resources by name (`_table`)."""
        self.region = SANDBOX_REGION
        self.account_id = SANDBOX_ACCOUNT_ID
        self.config_records_iam_users = config_records_iam_users
        """Whether the account's Config recorder records AWS::IAM::User (see `record_iam_users`)."""
        self.config_inventory = ConfigInventory(SANDBOX_ACCOUNT_ID, SANDBOX_REGION, self.clock)
        """The IAM users AWS Config has discovered (what ListDiscoveredResources lists)."""
        self.config_evaluations = ConfigEvaluations(self.config_inventory)
        """ACCESS_KEYS_ROTATED's results (GetComplianceDetailsByConfigRule); `evaluate_config_rule()`."""
        self.automation = AutomationEmulator(self.clock, automation, automation_quota)
        self.lambdas = InProcessLambda(while_parked=self.scheduler.while_parked)
        self.throttling = ThrottlingLimits(self.clock)
        """API rate limits (token buckets on the clock): `throttling.configure(...)`, `.throttled`."""
        self.delivery = StepFunctionsDelivery(scheduler=self.scheduler, limits=self.throttling)
        self.faults = FaultPlan()
        """Errors to answer instead of moto (`sandbox.faults.add(Fault(...))`), for rehearsing failures."""
        self.mocked_cases = mocked_cases
        """Test cases of a Step Functions Local mock config: start "<arn>#<case>" to run one."""
        self.strict_paths = strict_paths
        """AWS's rules on missing paths, Choice rules, ResultPath and the like (see strict_paths)."""
        self.webhooks: dict[str, WebhookServer] = {
            channel.name: stand_in_for(channel)
            for channel in self.settings.channels
            if isinstance(channel, WebhookChannel)
        }
        """The local stand-in of each deployed webhook channel, by channel name (`slack`...)."""
        self.sns_to_lambda = SnsToLambda(self.lambdas, self.clock)
        self.forwarder_clock = VirtualClock(self.clock.now())
        """The forwarders' own time: their back-offs do not delay the workflow (in AWS they run apart)."""
        email = [c for c in self.settings.channels if isinstance(c, EmailChannel)]
        self._recorder = DeliveryRecorder(
            self.webhooks, email[0] if email else None, SANDBOX_ACCOUNT_ID, SANDBOX_REGION
        )
        self.sns_to_lambda.observers.append(self._recorder.around)
        self._exit = contextlib.ExitStack()
        self._stack: SandboxStack | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        try:
            environment = {k: v for k, v in os.environ.items() if k not in _REAL_AWS_POINTERS}
            self._exit.enter_context(
                mock.patch.dict(os.environ, {**environment, **_FAKE_CREDENTIALS}, clear=True)
            )
            self._exit.enter_context(_quiet_interpreter_logs())
            self._exit.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
            self._exit.enter_context(cached_clients())
            self._exit.enter_context(aws_faithful_interpreter(self.clock, self.scheduler))
            self._exit.enter_context(workflows_parsed_once())
            self._exit.enter_context(json_paths_parsed_once())
            self._exit.enter_context(history_as_json())
            self._exit.enter_context(aws_strict_paths(self.strict_paths))
            self._exit.enter_context(repeatable_jitter())
            self._exit.enter_context(in_process_lambda(self.lambdas))
            self._exit.enter_context(automation_api(self.automation))
            self._exit.enter_context(stepfunctions_targets(self.delivery))
            self._exit.enter_context(back_dated_login_profiles())
            self._exit.enter_context(fast_dynamodb())
            self._exit.enter_context(direct_action_lookup())
            self._exit.enter_context(transactions_without_table_copies())
            self._exit.enter_context(injected_faults(self.faults))
            self._exit.enter_context(throttled_apis(self.throttling))
            self._exit.enter_context(sdk_retries_on_clock(self.clock))
            if self.mocked_cases is not None:
                self._exit.enter_context(mocked_test_cases(self.mocked_cases))
            self._exit.enter_context(sns_lambda_delivery(self.sns_to_lambda))
            self._exit.enter_context(webhook_backoff_on(self.forwarder_clock))
            self._exit.enter_context(recorder_on_clock(self.clock))
            self._exit.enter_context(iam_users_discovered(self.config_inventory))
            self._exit.enter_context(discovered_iam_users_api(self.config_inventory))
            self._exit.enter_context(compliance_details_api(self.config_evaluations))
            # Config is set up in the account before keywarden (and before any user exists).
            set_up_recorder(self.account_id, self.region, self.config_records_iam_users)
            for server in self.webhooks.values():
                server.start()
                self._exit.callback(server.close)
            webhook_urls = {name: server.url(DEFAULT_WEBHOOK) for name, server in self.webhooks.items()}
            self._stack = deploy_stack(self.settings, self.region, webhook_urls)
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._exit.close()

    @property
    def stack(self) -> SandboxStack:
        if self._stack is None:
            raise RuntimeError("the sandbox is not running: use it in a `with` block")
        return self._stack

    def client(self, service: str) -> Any:
        """A boto3 client for the sandbox (answered by moto)."""
        return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]

    def _table(self, name: str) -> Any:
        """A boto3 DynamoDB Table of the sandbox, made once: a resource costs 20 ms to build."""
        if name not in self._tables:
            self._tables[name] = boto3.resource("dynamodb", region_name=self.region).Table(name)
        return self._tables[name]

    # --- driving ----------------------------------------------------------------------------

    def add_user(self, spec: UserSpec) -> CreatedUser:
        """Create a scenario user; its own automation behaviour (if any) applies to its runs.

        Config discovers it as IAM creates it (if the recorder records IAM users), unless the
        spec says `discovered_by_config: false`.
        """
        user = create_user(spec, self.clock.now(), self.account_id, self.region)
        if not spec.discovered_by_config:
            self.config_inventory.forget(user.user_id)
        owner = resolve_owner(
            spec.tags,
            self.settings.owner_tag_keys,
            self.settings.security_contact_email,
            self.settings.slack_channel_tag_keys,
        )
        for name, server in self.webhooks.items():  # e.g. a team sets up a webhook for its channel
            server.prepare_for(owner, self.stack.webhook_secret_names[name], self.region)
        if spec.automation:
            self.automation.per_resource_id[user.user_id] = AutomationBehaviour(
                **spec.automation.model_dump()
            )
        return user

    def record_iam_users(self, records: bool) -> None:
        """Change the Config recorder's recording group: users created from now on are discovered, or
        not. Users Config already discovered stay listed (as in AWS)."""
        change_recording_group(self.region, records)
        self.config_records_iam_users = records

    def add_exemption(self, spec: ExemptionSpec, added_by: str = "scenario") -> Exemption:
        """Write an exemption straight into the exemption table (as it stands when a scenario starts)."""
        now = self.clock.now()
        exemption = Exemption(
            user=spec.user,
            reason=spec.reason,
            added_by=added_by,
            added_at=now - timedelta(days=spec.added_days),
            expires_at=now + timedelta(days=spec.expires_days),
        )
        table = self._table(self.stack.exemption_table_name)
        table.put_item(Item=exemption_to_item(exemption))
        return exemption

    def redeploy(self, **changes: Any) -> None:
        """Deploy again with some settings changed (`redeploy(dry_run=False)`): as CloudFormation
        would, every function's environment is replaced by the one the new settings give; an
        invocation from then on reads it (an execution already running included)."""
        settings = self.settings.model_copy(update=changes)
        stack = self.stack
        environments = {
            **function_environments(settings, stack.workflow_resources),
            **sweep_function_environments(settings, stack.sweep_resources),
        }
        lambda_client = self.client("lambda")
        for substitution, arn in {**stack.function_arns, **stack.sweep_function_arns}.items():
            lambda_client.update_function_configuration(
                FunctionName=arn, Environment={"Variables": environments[substitution]}
            )
        self.settings = settings

    def run_sweep(self) -> str:
        """Start the daily sweep now, as EventBridge Scheduler does (input `{}`, a name of its own),
        and run it, with the remediations it starts, until idle. Returns its execution ARN."""
        with self.scheduler.paused():
            arn = self.client("stepfunctions").start_execution(
                stateMachineArn=self.stack.sweep_state_machine_arn,
                name=f"sweep-{self.clock.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
                input="{}",
            )["executionArn"]
        return str(arn)

    def evaluate_config_rule(self) -> list[ComplianceChange]:
        """AWS Config runs keywarden's ACCESS_KEYS_ROTATED rule now (it is periodic): every recorded
        user's result is replaced; returns the users whose compliance changed."""
        rule = self.settings.config_rule_name
        return [c for c in self.config_evaluations.evaluate(self.clock.now()) if c.rule_name == rule]

    def compliance_change(
        self,
        user_id: str,
        compliance_type: str = NON_COMPLIANT,
        rule_name: str | None = None,
        resource_type: str = IAM_USER_RESOURCE_TYPE,
    ) -> dict[str, Any]:
        """The PutEvents entry AWS Config emits when `user_id`'s compliance changes."""
        return compliance_change_entry(
            user_id,
            rule_name=rule_name or self.settings.config_rule_name,
            account_id=self.account_id,
            region=self.region,
            at=self.clock.now(),
            compliance_type=compliance_type,
            resource_type=resource_type,
        )

    def put_event(self, entry: dict[str, Any]) -> list[str]:
        """Send one event to the default bus; returns the executions it started."""
        started = len(self.delivery.deliveries)
        answer = self.client("events").put_events(Entries=[entry])
        self.scheduler.drive()  # retried deliveries, if any, run too
        if answer["FailedEntryCount"]:
            raise RuntimeError(f"PutEvents refused the event: {answer['Entries']}")
        return [d.execution_arn for d in self.delivery.deliveries[started:] if d.execution_arn]

    def publish(self, entry: dict[str, Any], copies: int = 1) -> list[str]:
        """PutEvents once, the event delivered `copies` times (same event id, as EventBridge's
        at-least-once delivery can); the executions run together, until idle. Returns them."""
        started = len(self.delivery.deliveries)
        with self.scheduler.paused(), self.delivery.delivering_each(copies):
            answer = self.client("events").put_events(Entries=[entry])
        if answer["FailedEntryCount"]:
            raise RuntimeError(f"PutEvents refused the event: {answer['Entries']}")
        return [d.execution_arn for d in self.delivery.deliveries[started:] if d.execution_arn]

    def publish_at(
        self, seconds: float, make_entry: Callable[[], dict[str, Any]], copies: int = 1
    ) -> ScheduledEvent:
        """Publish the entry `make_entry` builds (then: its time is the clock's) `seconds` from now.
        Nothing runs until the scheduler does (`run_until_idle`)."""
        scheduled = ScheduledEvent()

        def publish() -> None:
            started = len(self.delivery.deliveries)
            with self.delivery.delivering_each(copies):
                self.client("events").put_events(Entries=[make_entry()])
            scheduled.published = True
            scheduled.executions.extend(
                d.execution_arn for d in self.delivery.deliveries[started:] if d.execution_arn
            )

        self.scheduler.spawn_in(seconds, publish, name=f"event-at-{seconds:g}s")
        return scheduled

    def run_until_idle(self) -> None:
        """Run every queued execution and event (and whatever they cause) to the end."""
        self.scheduler.run_until_idle()

    def start_execution(self, workflow_input: Any, name: str) -> str:
        """Start the workflow directly, bypassing EventBridge (as an operator could)."""
        arn = self.client("stepfunctions").start_execution(
            stateMachineArn=self.stack.state_machine_arn, name=name, input=json.dumps(workflow_input)
        )["executionArn"]
        return str(arn)

    # --- inspecting -------------------------------------------------------------------------

    def execution(self, execution_arn: str) -> ExecutionReport:
        """Status, path through the workflow and simulated duration of one execution.

        Read from moto's Step Functions backend, what DescribeExecution and GetExecutionHistory
        answer from: read through the API, a report cost a simulated remediation a fifth of its time."""
        backend = stepfunctions_parser_backends[self.account_id][self.region]
        execution = backend.describe_execution(execution_arn)
        history = execution.to_history_output()["events"]
        return report_of(execution_arn, execution.to_describe_output(), history)

    def audit_items(self, execution_arn: str) -> list[dict[str, Any]]:
        """The audit items one execution wrote (summary first, then its keys)."""
        table = self._table(self.stack.table_name)
        name = execution_arn.rsplit(":", 1)[-1]
        items = table.query(
            KeyConditionExpression=Key(AuditTable.PARTITION_KEY).eq(AuditTable.remediation_pk(name))
        )["Items"]
        return sorted(items, key=lambda item: item[AuditTable.SORT_KEY] != AuditTable.REMEDIATION_SK)

    def remediation_records(self, user_id: str) -> list[dict[str, Any]]:
        """The user's remediation summaries in the audit table (index by_user_id), oldest first."""
        table = self._table(self.stack.table_name)
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "IndexName": AuditTable.BY_USER_ID,
            "KeyConditionExpression": Key(AuditTable.USER_ID).eq(user_id),
        }
        while True:
            page = table.query(**request)
            items += [i for i in page["Items"] if i[AuditTable.SORT_KEY] == AuditTable.REMEDIATION_SK]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def findings(self, user_id: str) -> list[Finding]:
        """The user's findings (their CURRENT items, index by_user), oldest first."""
        table = self._table(self.stack.findings_table_name)
        request: dict[str, Any] = {
            "IndexName": FindingsTable.BY_USER,
            "KeyConditionExpression": Key(FindingsTable.USER_ID).eq(user_id),
        }
        findings: list[Finding] = []
        while True:
            page = table.query(**request)
            findings += [finding_from_item(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return findings
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def published(self, topic: str = "owners") -> list[PublishedMessage]:
        """Messages published to the owners' or the operators' topic so far (read once)."""
        url = self.stack.owners_inbox_url if topic == "owners" else self.stack.operators_inbox_url
        return read_inbox(self.client("sqs"), url)

    def deliveries(self) -> list[Delivery]:
        """What the forwarders delivered so far: chat messages the stand-ins accepted, emails SES sent."""
        return list(self._recorder.deliveries)

    def forwarder_failures(self, channel: str) -> list[dict[str, Any]]:
        """Invocation records in `channel`'s forwarder's dead-letter queue (read once)."""
        return drain_queue(self.client("sqs"), self.stack.forwarder_dead_letter_queue_urls[channel])

    def notification_state(self, user_id: str) -> list[dict[str, Any]]:
        """The notification-state items of one user (what its owner was told, when, until when)."""
        table = self._table(self.stack.notification_state_table_name)
        pk = Key(NotificationStateTable.PARTITION_KEY).eq(NotificationStateTable.user_pk(user_id))
        return list(table.query(KeyConditionExpression=pk)["Items"])

    def access_keys(self, user_name: str) -> dict[str, str]:
        """Access key id -> status, as IAM has them now."""
        keys = self.client("iam").list_access_keys(UserName=user_name)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in keys}
