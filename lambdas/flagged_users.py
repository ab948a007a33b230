"""The sweep's FollowFlaggedUsers: one page of the users AWS Config still flags NON_COMPLIANT.

Config announces a compliance *change* only (AWS Config developer guide, "Amazon EventBridge
events for AWS Config"): a user left NON_COMPLIANT is never announced again. For each one, the
newest remediation recorded decides (domain/findings.py `redrive_reason`): a user whose
remediation did not succeed is re-driven through the remediation workflow (whose
ReserveAutomationSlot keeps it within SSM's quota), once per user and day; a settled user's stale
active keys each get a finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_pascal

from domain.compliance_event import compliance_change_event
from domain.config_rule import IAM_USER_RESOURCE_TYPE, NON_COMPLIANT, SWEEP_EVENT_SOURCE
from domain.credentials import KeyStatus, UserSnapshot
from domain.exemptions import Exemption, check_exemptions
from domain.finding_notices import NoticeContext, enforcement_opted_out, finding_notice
from domain.findings import (
    Finding,
    FindingStatus,
    MessageKind,
    RedriveReason,
    TransitionKind,
    newest_attempt,
    open_finding,
    redrive_reason,
    reopened,
    stale_active_keys,
)
from domain.owners import OwnerContact, resolve_owner
from domain.results import RemediationOutcome
from domain.tables import AuditTable, NotificationStateTable
from lambdas.aws_clients import failed_alone
from lambdas.exemption_store import load_exemptions
from lambdas.findings_store import Claim, DynamoDBFindings
from lambdas.iam_snapshot import take_snapshot
from lambdas.observability import logger
from lambdas.owner_notice import OwnerTopic
from lambdas.settings import FollowFlaggedSettings
from lambdas.sweep_pages import FlaggedUsersPage, FollowFlaggedRequest
from lambdas.user_lookup import lookup_in_config
from notifications.owner_message import render_owner_notification

Client = Any  # boto3 clients (Config, IAM, Step Functions)
DynamoDBTable = Any  # boto3 Table resources

CONFIG_PAGE_LIMIT: Final = 100
"""GetComplianceDetailsByConfigRule's largest Limit."""
AUDIT_PAGE_LIMIT: Final = 10
"""Remediations read at a time, newest first: the newest real attempt usually decides."""


class _ConfigAnswer(BaseModel):
    """GetComplianceDetailsByConfigRule's fields are PascalCase; expose snake_case."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="ignore")


class _Qualifier(_ConfigAnswer):
    resource_type: str
    resource_id: str


class _Identifier(_ConfigAnswer):
    evaluation_result_qualifier: _Qualifier


class _EvaluationResult(_ConfigAnswer):
    """One NON_COMPLIANT resource of the rule."""

    evaluation_result_identifier: _Identifier
    result_recorded_time: datetime | None = None

    @property
    def user_id(self) -> str | None:
        qualifier = self.evaluation_result_identifier.evaluation_result_qualifier
        return qualifier.resource_id if qualifier.resource_type == IAM_USER_RESOURCE_TYPE else None


@dataclass(frozen=True)
class FollowFlaggedPorts:
    config: Client
    iam: Client
    stepfunctions: Client
    audit: DynamoDBTable
    notification_state: DynamoDBTable
    exemption_table: DynamoDBTable
    findings: DynamoDBFindings
    owner_topic: OwnerTopic


@dataclass(frozen=True)
class _Page:
    """What every user of one page is followed with."""

    request: FollowFlaggedRequest
    settings: FollowFlaggedSettings
    ports: FollowFlaggedPorts
    account_id: str
    region: str
    exemptions: list[Exemption]
    users: dict[str, UserSnapshot | None] = field(default_factory=dict)
    """One Config lookup and one IAM snapshot per user per page, however many questions about it."""

    def user(self, user_id: str) -> UserSnapshot | None:
        """The user as IAM has it now, found by its id in Config's inventory; None when either does not
        know it (gone: Config stops flagging it)."""
        if user_id not in self.users:
            lookup = lookup_in_config(self.ports.config, user_id, self.region)
            self.users[user_id] = (
                None
                if lookup.user_name is None
                else take_snapshot(self.ports.iam, lookup.user_name, user_id, self.now).user
            )
        return self.users[user_id]

    @property
    def today(self) -> date:
        return self.request.today

    @property
    def now(self) -> datetime:
        return self.request.swept_at


def follow_flagged_users(
    request: FollowFlaggedRequest, settings: FollowFlaggedSettings, ports: FollowFlaggedPorts
) -> FlaggedUsersPage:
    """Follow one page of Config's NON_COMPLIANT users; the counts and Config's next token."""
    answer = ports.config.get_compliance_details_by_config_rule(
        ConfigRuleName=settings.config_rule_name,
        ComplianceTypes=[NON_COMPLIANT],
        Limit=CONFIG_PAGE_LIMIT,
        **({"NextToken": request.next_token} if request.next_token else {}),
    )
    # arn:aws:states:REGION:ACCOUNT:stateMachine:NAME: the deployment's own account and region.
    _, _, _, region, account_id, *_ = settings.remediation_state_machine_arn.split(":")
    page = _Page(request, settings, ports, account_id, region, load_exemptions(ports.exemption_table))
    users = redriven = opened = failed = 0
    for result in (_EvaluationResult.model_validate(r) for r in answer.get("EvaluationResults", [])):
        user_id = result.user_id
        if user_id is None:
            continue
        users += 1
        try:
            done = _follow_user(page, user_id, result.result_recorded_time)
        except ClientError as error:
            refused = failed_alone(error)
            if refused is None:
                raise
            # One user AWS refuses (access denied, a broken user...) must not stop the others.
            logger.exception("flagged user not followed", extra={"user_id": user_id})
            ports.findings.record_item_failure(request.sweep_name, user_id, *refused, request.swept_at)
            failed += 1
            continue
        redriven, opened = redriven + done[0], opened + done[1]
    return FlaggedUsersPage(
        users=users,
        redriven=redriven,
        opened=opened,
        failed=failed,
        next_token=answer.get("NextToken") or None,
    )


def _follow_user(page: _Page, user_id: str, recorded_at: datetime | None) -> tuple[int, int]:
    """Re-drive the user or open its keys' findings: (re-driven, findings opened)."""
    newest = newest_attempt(_outcomes_newest_first(page.ports.audit, user_id))
    exempt_now = newest is not RemediationOutcome.EXEMPT or _still_exempt(page, user_id)
    reason = redrive_reason(
        () if newest is None else (newest,), dry_run=page.settings.dry_run, exempt_now=exempt_now
    )
    if reason is not None:
        return _redrive(page, user_id, reason, recorded_at), 0
    return 0, _open_findings(page, user_id)


def _outcomes_newest_first(audit: DynamoDBTable, user_id: str) -> Iterator[RemediationOutcome]:
    """The user's recorded remediation outcomes, newest first, read a few at a time as needed."""
    kwargs: dict[str, Any] = {
        "IndexName": AuditTable.BY_USER_ID,
        "KeyConditionExpression": Key(AuditTable.USER_ID).eq(user_id),
        "ScanIndexForward": False,
        "Limit": AUDIT_PAGE_LIMIT,
    }
    while True:
        answer = audit.query(**kwargs)
        for item in answer.get("Items", []):
            if item.get(AuditTable.SORT_KEY) == AuditTable.REMEDIATION_SK and AuditTable.OUTCOME in item:
                yield RemediationOutcome(item[AuditTable.OUTCOME])
        if "LastEvaluatedKey" not in answer:
            return
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _still_exempt(page: _Page, user_id: str) -> bool:
    """Whether an exemption applies to the user today (True when the user cannot be named: nothing
    is started for a user keywarden cannot read)."""
    user = page.user(user_id)
    if user is None:
        return True
    return check_exemptions(
        page.exemptions, user.user_name, user.arn, page.now, page.settings.max_exemption_days
    ).exempt


def redrive_execution_name(day: date, user_id: str) -> str:
    """`sweep-<yyyymmdd>-<user id>`: one remediation per user per day, whichever sweep starts it."""
    return f"sweep-{day.strftime('%Y%m%d')}-{user_id}"


def _redrive(page: _Page, user_id: str, reason: RedriveReason, recorded_at: datetime | None) -> int:
    """Start the user's remediation again (1), unless another sweep did today or this one already did (0)."""
    name = redrive_execution_name(page.today, user_id)
    if not page.ports.findings.record_redrive(
        user_id,
        page.today,
        reason=reason.value,
        execution_name=name,
        sweep=page.request.sweep_name,
        at=page.now,
    ):
        return 0
    event = compliance_change_event(
        user_id,
        source=SWEEP_EVENT_SOURCE,
        event_id=f"sweep-{page.today.isoformat()}-{user_id}",
        rule_name=page.settings.config_rule_name,
        account_id=page.account_id,
        region=page.region,
        at=page.now,
        recorded_at=recorded_at,
    )
    try:
        page.ports.stepfunctions.start_execution(
            stateMachineArn=page.settings.remediation_state_machine_arn,
            name=name,
            input=json.dumps(event, separators=(",", ":")),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
            return 0  # started by an earlier attempt of this sweep
        raise
    return 1


def _first_notice(notification_state: DynamoDBTable, user_id: str, access_key_id: str) -> date | None:
    """The day the remediation told the owner about this key, if it did (a notice was sent)."""
    item = notification_state.get_item(
        Key={
            NotificationStateTable.PARTITION_KEY: NotificationStateTable.user_pk(user_id),
            NotificationStateTable.SORT_KEY: NotificationStateTable.key_sk(access_key_id),
        },
        ConsistentRead=True,
    ).get("Item")
    if not item or NotificationStateTable.LAST_MESSAGE_ID not in item:
        return None
    first = item.get(NotificationStateTable.FIRST_NOTIFIED_AT)
    return datetime.fromisoformat(str(first)).date() if first else None


def _open_findings(page: _Page, user_id: str) -> int:
    """A finding for each stale active key of a settled user that has none; how many were opened."""
    user = page.user(user_id)
    if user is None:
        return 0  # gone from Config's inventory or IAM: Config stops flagging it
    keys = [(k.access_key_id, k.status is KeyStatus.ACTIVE, k.created_at) for k in user.access_keys]
    stale = stale_active_keys(keys, page.now, page.settings.max_access_key_age_days)
    return sum(_open_one(page, user, key_id) for key_id in stale)


def _open_one(page: _Page, user: UserSnapshot, access_key_id: str) -> int:
    """Open the key's finding (1), or 0 when it has one. A finding opened today that no remediation
    notice announced gets the sweep's first notice, also when this is a retry of the sweep that opened it."""
    settings, findings = page.settings, page.ports.findings
    existing = findings.get(access_key_id)
    exemption = check_exemptions(
        page.exemptions, user.user_name, user.arn, page.now, settings.max_exemption_days
    )
    if existing is not None and existing.status is FindingStatus.EXEMPT and not exemption.exempt:
        return _reopen(page, existing, user)
    if existing is not None and existing.opened_on != page.today:
        return 0
    owner = resolve_owner(
        user.tags, settings.owner_tags, settings.security_contact_email, settings.slack_channel_tags
    )
    told_on = _first_notice(page.ports.notification_state, user.user_id, access_key_id)
    finding = existing or open_finding(
        access_key_id=access_key_id,
        user_id=user.user_id,
        user_name=user.user_name,
        account_id=page.account_id,
        owner_email=None if owner.email_is_fallback else owner.email,
        first_notice_on=told_on or page.today,
        today=page.today,
        policy=settings.lifecycle,
        exempt=exemption.exempt,
    )
    sweep_tells = told_on is None and finding.is_open
    transitions = [TransitionKind.OPENED]
    if not finding.is_open:
        transitions.append(TransitionKind.EXEMPT)
    if sweep_tells:
        transitions.append(TransitionKind.FIRST_NOTICE)
    opened = existing is None and findings.open(finding, transitions, page.request.sweep_name, page.now)
    if sweep_tells:
        _send_first_notice(page, finding, user, owner)
    return int(opened)


def _reopen(page: _Page, existing: Finding, user: UserSnapshot) -> int:
    """The key's exemption ended and it is still stale and active: follow it again (1). Its first
    notice is the remediation's after the exemption (the re-drive's), else today's, sent by the sweep."""
    told_on = _first_notice(page.ports.notification_state, user.user_id, existing.access_key_id)
    closed_on = existing.closed_on or existing.opened_on
    first_notice_on = told_on if told_on is not None and told_on >= closed_on else page.today
    finding = reopened(
        existing, first_notice_on=first_notice_on, today=page.today, policy=page.settings.lifecycle
    )
    if not page.ports.findings.reopen(finding, page.request.sweep_name, page.now):
        return 0
    if first_notice_on == page.today and told_on != page.today:
        settings = page.settings
        owner = resolve_owner(
            user.tags, settings.owner_tags, settings.security_contact_email, settings.slack_channel_tags
        )
        _send_first_notice(page, finding, user, owner)
    return 1


def _send_first_notice(page: _Page, finding: Finding, user: UserSnapshot, owner: OwnerContact) -> None:
    """The sweep tells the owner (no remediation did): once, by the sweep that opened the finding."""
    claim = page.ports.findings.claim(
        finding,
        finding.opened_on,
        TransitionKind.FIRST_NOTICE,
        sweep=page.request.sweep_name,
        at=page.now,
        sends_message=True,
    )
    if claim is not Claim.TAKEN:
        return
    settings = page.settings
    facts = finding_notice(
        finding,
        MessageKind.FIRST_NOTICE,
        key=user.key(finding.access_key_id),
        owner=owner,
        context=NoticeContext(
            region=page.region,
            rule_name=settings.config_rule_name,
            security_contact_email=settings.security_contact_email,
            max_access_key_age_days=settings.max_access_key_age_days,
            max_credential_usage_age_days=settings.max_credential_usage_age_days,
            dry_run=settings.dry_run,
        ),
        policy=settings.lifecycle,
        today=page.today,
        now=page.now,
        enforcement_opted_out=enforcement_opted_out(user.tags),
    )
    message_id = page.ports.owner_topic.publish(render_owner_notification(facts))
    page.ports.findings.mark_sent(
        finding.access_key_id, finding.opened_on, TransitionKind.FIRST_NOTICE, message_id
    )
