"""Run a scenario through keywarden in the local sandbox and report what happened to each user.

Like AWS Config, the simulation evaluates ACCESS_KEYS_ROTATED on every user and emits a
NON_COMPLIANT event only for users with a stale active key; the rest are reported COMPLIANT
without an execution. Every flagged user's event arrives at its `event_at_seconds` (delivered
`duplicate_events` times), and all the executions run concurrently on the sandbox's clock, under
AWS's quotas and rate limits; the report's `run` says what that cost. That is day 0; a scenario
with `days` then runs that many daily sweeps (sandbox/scenario_days.py), and each user's findings
say how its stale keys fared. Everything else in the report is read back from where keywarden
put it: the audit table, the findings table, the topics, IAM and the execution history.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, partial
from typing import Any

import boto3
from pydantic import BaseModel

from deployment.settings import DeploymentSettings
from domain.findings import MessageKind
from domain.notification_facts import OwnerMessageAttribute
from domain.results import KeyResult, RemediationOutcome
from keywarden.audit.records import plain
from keywarden.sandbox import Sandbox, ScheduledEvent
from keywarden.sandbox.aws.throttling import BucketSpec
from keywarden.sandbox.deliveries import Delivery
from keywarden.sandbox.fixtures.iam_users import CreatedUser, delete_user
from keywarden.sandbox.inspection import ExecutionReport, PublishedMessage
from keywarden.sandbox.scenario_days import ScenarioDays, day_of
from keywarden.sandbox.ssm.automation import AutomationBehaviour
from keywarden.sandbox.ssm.automation_quota import AutomationQuota
from keywarden.scenario import Scenario, UserSpec, config_finds_stale_key
from notifications.channels import DEFAULT_CHANNELS


class KeyReport(BaseModel):
    access_key_id: str
    result: str
    status_before: str
    status_after: str | None


class ExecutionSummary(BaseModel):
    arn: str
    status: str
    error: str | None
    cause: str | None
    path: list[str]
    state_transitions: int
    function_invocations: int
    simulated_seconds: float


class FindingReport(BaseModel):
    """One stale key's finding, its dates as days since day 0 (read back from the findings table)."""

    access_key_id: str
    status: str
    resolution: str | None
    opened_day: int
    deadline_day: int
    closed_day: int | None
    reminder_days: list[int]
    """The days a reminder was sent."""
    escalated_day: int | None
    enforced_day: int | None


class RemediationReport(BaseModel):
    """One remediation of the user (its audit record): on which day, how it ended."""

    day: int
    execution_arn: str | None
    outcome: str


class UserReport(BaseModel):
    name: str
    user_id: str
    outcome: str
    reason: str
    keys: list[KeyReport]
    password_deleted: bool
    password_result: str | None
    notified: bool
    owner_email: str | None
    results_predicted: bool = False
    """DRY_RUN and EXEMPT: the key results are what the runbook would do; nothing changed."""
    exemption: dict[str, Any] | None = None
    """The exemption that applied, or a matching one that did not (its `status` says why)."""
    execution_status: str | None
    execution: ExecutionSummary | None
    audit_record: dict[str, Any] | None
    keys_in_iam: dict[str, str] = {}
    """Access key id -> status in IAM when the simulation ended (what happened, whatever was recorded)."""
    findings: list[FindingReport] = []
    """Its stale keys' findings (the sweep opens them: none without `days`)."""
    remediations: list[RemediationReport] = []
    """Every remediation recorded for the user, in order (with `days`: re-drives included)."""


class NotificationReport(BaseModel):
    topic: str
    subject: str
    message: str
    attributes: dict[str, str]
    day: int = 0
    """The day it was published (0: Config's first evaluation)."""
    kind: str | None = None
    """An owner's message: its `kind` attribute (FIRST_NOTICE when absent); None for operators."""


class DeliveryReport(BaseModel):
    """A message a forwarder delivered: a chat message its (local) service accepted, or an email SES sent."""

    channel: str
    """The channel's name in notifications/channels/ (`slack`, `email`...)."""
    recipient: str
    """The chat channel posted to, or the email's To addresses."""
    cc: list[str]
    sender: str | None
    """The email's From address (None for chat channels)."""
    subject: str
    text: str
    user_name: str | None
    day: int = 0
    kind: str = MessageKind.FIRST_NOTICE.value
    """The owners' message attribute `kind` of what it delivered (FIRST_NOTICE when absent)."""


class RunReport(BaseModel):
    """What the whole run cost and met: time, SSM's quota, throttling, duplicates, losses."""

    simulated_seconds: float
    """Day 0: from the first event to the moment the last execution (and what it caused) ended."""
    events_published: int
    executions_started: int
    automations_started: int
    """StartAutomationExecution calls SSM accepted (running at once or queued Pending)."""
    max_running_automations: int
    max_pending_automations: int
    start_attempts_refused: int
    """StartAutomationExecution calls answered AutomationExecutionLimitExceededException."""
    throttled_calls: dict[str, int]
    """Calls answered with the service's throttling error, per "service:Action"."""
    duplicate_automations: list[str]
    """Users (names) with more than one automation."""
    automations_per_user: dict[str, int]
    lost_users: list[str]
    """Flagged users without a recorded outcome in the audit table."""
    dead_lettered_events: int
    """Deliveries EventBridge gave up on (sent to the rule target's dead-letter queue)."""
    days: int = 0
    """Daily sweeps simulated after day 0."""


class SimulationReport(BaseModel):
    max_access_key_age: int
    max_credential_usage_age: int
    notification_channels: list[str]
    """The channels keywarden was deployed with (each has a forwarder)."""
    users: list[UserReport]
    notifications: list[NotificationReport]
    operator_alerts: list[NotificationReport]
    deliveries: list[DeliveryReport]
    run: RunReport | None = None


def _compliant_user(spec: UserSpec, user_id: str, key_ids: tuple[str, ...]) -> UserReport:
    keys = [
        KeyReport(
            access_key_id=key_id,
            result=(KeyResult.COMPLIANT if k.status == "Active" else KeyResult.ALREADY_INACTIVE).value,
            status_before=k.status,
            status_after=k.status,
        )
        for k, key_id in zip(spec.keys, key_ids, strict=True)
    ]
    return _user_without_execution(
        spec,
        user_id,
        RemediationOutcome.COMPLIANT.value,
        "no active access key is older than max_access_key_age: Config does not flag the user",
        keys,
    )


def _undelivered_user(spec: UserSpec, user_id: str) -> UserReport:
    reason = (
        "Config's event never reached keywarden (event_lost) and nothing started a remediation since"
        if spec.event_lost
        else "EventBridge started no execution for the user's event (see run.dead_lettered_events)"
    )
    return _user_without_execution(spec, user_id, "NOT_DELIVERED", reason, [])


def _user_without_execution(
    spec: UserSpec, user_id: str, outcome: str, reason: str, keys: list[KeyReport]
) -> UserReport:
    """A user no execution looked at: nothing told, nothing recorded."""
    return UserReport(
        name=spec.name,
        user_id=user_id,
        outcome=outcome,
        reason=reason,
        keys=keys,
        password_deleted=False,
        password_result=None,
        notified=False,
        owner_email=None,
        execution_status=None,
        execution=None,
        audit_record=None,
    )


def _remediated_user(
    spec: UserSpec, user_id: str, run: ExecutionReport, items: list[dict[str, Any]]
) -> UserReport:
    summary = plain(items[0]) if items else {}
    keys = [
        KeyReport(
            access_key_id=key["access_key_id"],
            result=key["result"],
            status_before=key["status_before"],
            status_after=key.get("status_after"),
        )
        for key in summary.get("keys", [])
    ]
    return UserReport(
        name=spec.name,
        user_id=user_id,
        outcome=summary.get("outcome", "NOT_RECORDED"),
        reason=summary.get("reason", "the workflow wrote no audit record"),
        keys=keys,
        password_deleted=summary.get("password_result") == "DELETED",
        password_result=summary.get("password_result"),
        notified="notification_message_id" in summary,
        owner_email=(summary.get("owner") or {}).get("email"),
        results_predicted=bool(summary.get("results_predicted")),
        exemption=summary.get("exemption"),
        execution_status=run.status,
        execution=ExecutionSummary(
            arn=run.execution_arn,
            status=run.status,
            error=run.error,
            cause=run.cause,
            path=run.path,
            state_transitions=run.state_transitions,
            function_invocations=run.function_invocations,
            simulated_seconds=run.simulated_seconds,
        ),
        audit_record=summary or None,
    )


def _notification(topic: str, message: PublishedMessage, day: int = 0) -> NotificationReport:
    kind = message.attributes.get(OwnerMessageAttribute.KIND, MessageKind.FIRST_NOTICE.value)
    return NotificationReport(
        topic=topic,
        subject=message.subject,
        message=message.message,
        attributes=message.attributes,
        day=day,
        kind=kind if topic == "owners" else None,
    )


def _delivery(delivery: Delivery, day: int = 0) -> DeliveryReport:
    return DeliveryReport(
        day=day,
        kind=delivery.kind or MessageKind.FIRST_NOTICE.value,
        channel=delivery.channel,
        recipient=delivery.recipient,
        cc=list(delivery.cc),
        sender=delivery.sender,
        subject=delivery.subject,
        text=delivery.text,
        user_name=delivery.user_name,
    )


class ScenarioMismatchError(ValueError):
    """A running sandbox is deployed with other settings than the scenario asks for."""


def scenario_settings(scenario: Scenario) -> DeploymentSettings:
    """The deployment settings a scenario runs under."""
    return DeploymentSettings(
        max_access_key_age=scenario.max_access_key_age,
        max_credential_usage_age=scenario.credential_usage_age,
        security_contact_email=scenario.security_contact_email,
        dry_run=scenario.deployed_in_dry_run,
        max_exemption_days=scenario.max_exemption_days,
        notification_channels=scenario.notification_channels or DEFAULT_CHANNELS,
        max_concurrent_automations=scenario.automation_slots,
        grace_period_days=scenario.grace_period_days,
        reminder_days_before_deadline=scenario.reminder_days_before_deadline,
        enforce_after_deadline=scenario.enforce_after_deadline,
        enforcement_delay_days=scenario.enforcement_delay_days,
    )


def _check_settings(sandbox: Sandbox, scenario: Scenario) -> None:
    wanted, deployed = scenario_settings(scenario), sandbox.settings
    differences = [
        f"{name} {getattr(wanted, attribute)!r} (the sandbox has {getattr(deployed, attribute)!r})"
        for name, attribute in (
            ("max_access_key_age", "max_access_key_age"),
            ("max_credential_usage_age", "credential_usage_age"),
            ("security_contact_email", "security_contact_email"),
            ("dry_run", "dry_run"),
            ("max_exemption_days", "max_exemption_days"),
            ("notification_channels", "notification_channels"),
            ("max_concurrent_automations", "max_concurrent_automations"),
            ("grace_period_days", "grace_period_days"),
            ("reminder_days_before_deadline", "reminder_days_before_deadline"),
            ("enforce_after_deadline", "enforce_after_deadline"),
            ("enforcement_delay_days", "enforcement_delay_days"),
        )
        if getattr(wanted, attribute) != getattr(deployed, attribute)
    ]
    if differences:
        raise ScenarioMismatchError(
            "this sandbox is deployed with other settings than the scenario's: "
            + "; ".join(differences)
            + ". Run the scenario with `keywarden simulate` (a sandbox of its own)."
        )


def _keys_in_iam(sandbox: Sandbox, name: str) -> dict[str, str]:
    return sandbox.access_keys(name) if _user_exists(name, sandbox.region) else {}


def _user_exists(name: str, region: str) -> bool:
    iam = boto3.client("iam", region_name=region)
    try:
        iam.get_user(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def run_scenario(scenario: Scenario) -> SimulationReport:
    """Deploy keywarden in a fresh sandbox, create the scenario's users, let Config's events flow."""
    default_behaviour = AutomationBehaviour(**scenario.automation.model_dump())
    with Sandbox(
        scenario_settings(scenario),
        automation=default_behaviour,
        config_records_iam_users=scenario.config_records_iam_users,
        automation_quota=AutomationQuota(**scenario.ssm.model_dump()),
    ) as sandbox:
        return run_scenario_in(sandbox, scenario)


def run_scenario_in(sandbox: Sandbox, scenario: Scenario) -> SimulationReport:
    """Run a scenario in a sandbox that is already running (`keywarden sandbox`).

    The sandbox must be deployed with the scenario's settings (ScenarioMismatchError otherwise).
    Users that already exist under a scenario user's name are replaced; audit records stay.
    The scenario's automation behaviour and Config recording apply while it runs; a
    `dry_run_until_day` switch is undone when it ends. Its days move the sandbox's clock on, and
    back to the end of day 0 when they are over.
    """
    _check_settings(sandbox, scenario)
    previous_behaviour = sandbox.automation.default
    previous_quota = sandbox.automation.quota
    previously_recorded = sandbox.config_records_iam_users
    previous_dry_run = sandbox.settings.dry_run
    sandbox.automation.default = AutomationBehaviour(**scenario.automation.model_dump())
    sandbox.automation.set_quota(AutomationQuota(**scenario.ssm.model_dump()))
    previous_buckets = dict(sandbox.throttling.buckets)
    for api, bucket in scenario.throttling.items():
        sandbox.throttling.configure(api, BucketSpec(**bucket.model_dump()))
    if scenario.config_records_iam_users != previously_recorded:
        sandbox.record_iam_users(scenario.config_records_iam_users)
    try:
        return _run(sandbox, scenario)
    finally:
        sandbox.automation.default = previous_behaviour
        sandbox.automation.set_quota(previous_quota)
        sandbox.throttling.buckets.clear()
        for api, spec_bucket in previous_buckets.items():
            sandbox.throttling.configure(api, spec_bucket)
        if sandbox.config_records_iam_users != previously_recorded:
            sandbox.record_iam_users(previously_recorded)
        if sandbox.settings.dry_run != previous_dry_run:
            sandbox.redeploy(dry_run=previous_dry_run)


class _Messages:
    """What the topics and the forwarders carried, each tagged with the day it happened."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.owners: list[NotificationReport] = []
        self.operators: list[NotificationReport] = []
        self.deliveries: list[DeliveryReport] = []
        self._delivered = len(sandbox.deliveries())

    def collect(self, day: int) -> None:
        self.owners += [_notification("owners", m, day) for m in self.sandbox.published("owners")]
        self.operators += [_notification("operators", m, day) for m in self.sandbox.published("operators")]
        delivered = self.sandbox.deliveries()
        self.deliveries += [_delivery(d, day) for d in delivered[self._delivered :]]
        self._delivered = len(delivered)


def _run(sandbox: Sandbox, scenario: Scenario) -> SimulationReport:
    for spec in scenario.users:
        if _user_exists(spec.name, sandbox.region):
            delete_user(spec.name, sandbox.region)
    for exemption in scenario.exemptions:
        sandbox.add_exemption(exemption)
    created = [sandbox.add_user(spec) for spec in scenario.users]
    sandbox.automation.reset_counters()
    sandbox.throttling.throttled.clear()
    dead_lettered = len(sandbox.delivery.dead_lettered)
    messages = _Messages(sandbox)
    started_at = sandbox.clock.now()
    day_zero = started_at.date()
    sandbox.evaluate_config_rule()  # Config's first evaluation: what the sweep reads later
    events: dict[str, ScheduledEvent] = {}
    with sandbox.scheduler.paused():  # every event at its time, all executions together
        for spec, user in zip(scenario.users, created, strict=True):
            if not config_finds_stale_key(spec, scenario.max_access_key_age):
                continue
            if spec.deleted_before_remediation:
                delete_user(spec.name, sandbox.region)
            events[spec.name] = (
                ScheduledEvent()  # Config sent it; it never arrived
                if spec.event_lost
                else sandbox.publish_at(
                    spec.event_at_seconds,
                    partial(sandbox.compliance_change, user.user_id),
                    copies=spec.duplicate_events,
                )
            )
    simulated_seconds = (sandbox.clock.now() - started_at).total_seconds()
    messages.collect(0)
    day_zero_ended = sandbox.clock.now()
    days = ScenarioDays.following(sandbox, scenario, created, day_zero)
    for day in range(1, scenario.days + 1):
        days.run_day(day)
        messages.collect(day)
    if scenario.days:
        # A running sandbox (`keywarden sandbox`) goes back to the end of day 0: its clock stays near
        # the present that commands run against it use (an exemption's expiry, an audit query's
        # window); the later days' records keep their dates.
        sandbox.clock.restart_at(day_zero_ended)
    reports: list[UserReport] = []
    lost: list[str] = []
    for spec, user in zip(scenario.users, created, strict=True):
        sent = ([events[spec.name]] if spec.name in events else []) + days.events.get(spec.name, [])
        report, recorded = _user_report(sandbox, spec, user, sent, day_zero if scenario.days else None)
        reports.append(report)
        if not recorded:
            lost.append(spec.name)
    reports = [
        report.model_copy(
            update={
                "keys_in_iam": _keys_in_iam(sandbox, report.name),
                "findings": _findings(sandbox, report.user_id, day_zero) if scenario.days else [],
            }
        )
        for report in reports
    ]
    names = {user.user_id: spec.name for spec, user in zip(scenario.users, created, strict=True)}
    counters = sandbox.automation.counters
    per_user = dict(
        sorted((names.get(user_id, user_id), n) for user_id, n in counters.per_resource_id.items())
    )
    published = list(events.values()) + [e for later_events in days.events.values() for e in later_events]
    run_report = RunReport(
        simulated_seconds=simulated_seconds,
        events_published=sum(1 for e in published if e.published),
        executions_started=sum(len(e.executions) for e in published),
        automations_started=counters.accepted,
        max_running_automations=counters.max_running,
        max_pending_automations=counters.max_queued,
        start_attempts_refused=counters.refused,
        throttled_calls=dict(sorted(sandbox.throttling.throttled.items())),
        duplicate_automations=sorted(name for name, n in per_user.items() if n > 1),
        automations_per_user=per_user,
        lost_users=lost,
        dead_lettered_events=len(sandbox.delivery.dead_lettered) - dead_lettered,
        days=scenario.days,
    )
    return SimulationReport(
        max_access_key_age=scenario.max_access_key_age,
        max_credential_usage_age=scenario.credential_usage_age,
        notification_channels=list(sandbox.settings.notification_channels),
        users=reports,
        notifications=messages.owners,
        operator_alerts=messages.operators,
        deliveries=messages.deliveries,
        run=run_report,
    )


_NOT_ATTEMPTS = {RemediationOutcome.REPLAYED.value, RemediationOutcome.ALREADY_IN_PROGRESS.value}


def _user_report(
    sandbox: Sandbox, spec: UserSpec, user: CreatedUser, sent: list[ScheduledEvent], day_zero: date | None
) -> tuple[UserReport, bool]:
    """What happened to one user, and whether it was flagged without any recorded outcome (lost).

    `sent`: the events Config sent for it (day 0's first); `day_zero`: set when the scenario ran
    days, whose remediations (re-drives included) are then read from the audit table: the last
    real attempt is the user's outcome."""
    remediations = _remediations(sandbox, user.user_id, day_zero) if day_zero else []
    if not sent and not remediations:
        return _compliant_user(spec, user.user_id, user.access_key_ids), True
    first = sent[0].executions if sent else []
    attempts = [r.execution_arn for r in remediations if r.outcome not in _NOT_ATTEMPTS and r.execution_arn]
    shown = attempts[-1] if attempts else first[0] if first else None
    if shown is None:
        return _undelivered_user(spec, user.user_id).model_copy(update={"remediations": remediations}), False
    run = sandbox.execution(shown)
    audit_items = cache(sandbox.audit_items)  # the shown execution is usually the first
    report = _remediated_user(spec, user.user_id, run, audit_items(run.execution_arn))
    recorded = bool(remediations) or any(audit_items(arn) for arn in first)
    report = report.model_copy(update={"remediations": remediations})
    return report, recorded


def _remediations(sandbox: Sandbox, user_id: str, day_zero: date) -> list[RemediationReport]:
    """The user's remediation records (the audit table's by_user_id index), oldest first."""
    return [
        RemediationReport(
            day=day_of(datetime_of(item["recorded_at"]), day_zero),
            execution_arn=item.get("execution_arn"),
            outcome=str(item.get("outcome")),
        )
        for item in sandbox.remediation_records(user_id)
    ]


def _findings(sandbox: Sandbox, user_id: str, day_zero: date) -> list[FindingReport]:
    def day(moment: date | None) -> int | None:
        return None if moment is None else day_of(moment, day_zero)

    return [
        FindingReport(
            access_key_id=finding.access_key_id,
            status=finding.status.value,
            resolution=finding.resolution.value if finding.resolution else None,
            opened_day=day_of(finding.opened_on, day_zero),
            deadline_day=day_of(finding.deadline, day_zero),
            closed_day=day(finding.closed_on),
            reminder_days=[day_of(reminded, day_zero) for reminded in finding.reminded_on],
            escalated_day=day(finding.escalated_on),
            enforced_day=day(finding.enforced_on),
        )
        for finding in sandbox.findings(user_id)
    ]


def datetime_of(recorded_at: str) -> datetime:
    """An audit `recorded_at` (2026-11-28T12:00:00.123Z) as a datetime."""
    return datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
