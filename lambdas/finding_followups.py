"""The sweep's FollowFindings: one page of open findings, each followed one step today.

For each finding: observe its key (IAM, the exemptions), let domain/findings.py `follow_up` decide,
claim the day's transition item, act (deactivate the key, publish the message), mark the message
sent, then store the finding's new state. The claim comes first, so two sweeps on one day never act
twice; the message id is marked before the state is stored, so a retried sweep never publishes twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from domain.credentials import SnapshotResult
from domain.exemptions import Exemption, check_exemptions
from domain.finding_notices import NoticeContext, escalation_contacts, finding_notice, observe_key
from domain.findings import Finding, FindingStatus, FollowUp, TransitionKind, apply, follow_up
from domain.owners import resolve_owner
from lambdas.aws_clients import failed_alone
from lambdas.exemption_store import load_exemptions
from lambdas.findings_store import Claim, DynamoDBFindings
from lambdas.iam_snapshot import take_snapshot
from lambdas.observability import logger
from lambdas.owner_notice import OwnerTopic
from lambdas.settings import FollowFindingsSettings
from lambdas.sweep_pages import FindingsPage, FollowFindingsRequest
from notifications.owner_message import render_owner_notification

Client = Any  # a boto3 IAM client
DynamoDBTable = Any  # a boto3 Table resource

PAGE_SIZE: Final = 50
"""Open findings per invocation: each costs a few IAM reads, well within a function's timeout."""


@dataclass(frozen=True)
class FollowFindingsPorts:
    findings: DynamoDBFindings
    iam: Client
    exemption_table: DynamoDBTable
    owner_topic: OwnerTopic


@dataclass
class _Page:
    """What every finding of one page is followed with, and what the page did."""

    request: FollowFindingsRequest
    settings: FollowFindingsSettings
    ports: FollowFindingsPorts
    exemptions: list[Exemption]
    snapshots: dict[str, SnapshotResult] = field(default_factory=dict)
    """One IAM read per user per page, however many of its keys are followed."""
    done: list[FollowUp] = field(default_factory=list)

    def snapshot(self, finding: Finding) -> SnapshotResult:
        if finding.user_id not in self.snapshots:
            self.snapshots[finding.user_id] = take_snapshot(
                self.ports.iam, finding.user_name, finding.user_id, self.request.swept_at
            )
        return self.snapshots[finding.user_id]

    def count(self, transition: TransitionKind) -> int:
        return sum(1 for step in self.done if step.transition is transition)


def follow_findings(
    request: FollowFindingsRequest, settings: FollowFindingsSettings, ports: FollowFindingsPorts
) -> FindingsPage:
    """Follow one page of open findings; the page's counts and where the next page starts."""
    key_ids, next_key = ports.findings.open_findings(request.exclusive_start_key, PAGE_SIZE)
    page = _Page(request, settings, ports, load_exemptions(ports.exemption_table))
    followed = failed = 0
    for access_key_id in key_ids:
        finding = ports.findings.get(access_key_id)  # the index may lag: the CURRENT item decides
        if finding is None or finding.status is not FindingStatus.OPEN:
            continue
        followed += 1
        try:
            step = _follow_one(page, finding)
        except ClientError as error:
            refused = failed_alone(error)
            if refused is None:
                raise
            # One finding AWS refuses (access denied for one user...) must not stop the others.
            logger.exception("finding not followed", extra={"access_key_id": access_key_id})
            ports.findings.record_item_failure(request.sweep_name, access_key_id, *refused, request.swept_at)
            failed += 1
            continue
        if step is not None:
            page.done.append(step)
    return FindingsPage(
        followed=followed,
        reminders=page.count(TransitionKind.REMINDER),
        escalations=page.count(TransitionKind.ESCALATION),
        enforced=page.count(TransitionKind.ENFORCED),
        resolved=page.count(TransitionKind.RESOLVED),
        closed=sum(1 for step in page.done if step.closes_as is not None),
        failed=failed,
        next_key=next_key,
    )


def _follow_one(page: _Page, finding: Finding) -> FollowUp | None:
    """Do today's step for the finding, if one is due and no sweep did it yet; the step done."""
    settings, findings = page.settings, page.ports.findings
    now, today = page.request.swept_at, page.request.today
    snapshot = page.snapshot(finding)
    user = snapshot.user
    exempt = user is not None and (
        check_exemptions(page.exemptions, user.user_name, user.arn, now, settings.max_exemption_days).exempt
    )
    seen = observe_key(finding.access_key_id, snapshot, exempt=exempt)
    step = follow_up(finding, seen, today, settings.lifecycle, dry_run=settings.dry_run)
    if step is None:
        return None
    after = apply(finding, step, today)
    escalated_to = (
        escalation_contacts(user.tags, settings.escalation_tags, settings.security_contact_email)
        if user is not None and step.transition is TransitionKind.ESCALATION
        else ()
    )
    claim = findings.claim(
        finding,
        today,
        step.transition,
        sweep=page.request.sweep_name,
        at=now,
        sends_message=step.message is not None,
        details=_details(step, escalated_to),
    )
    if claim is not Claim.TAKEN:
        if claim is Claim.DONE:  # an earlier run today acted; it may have died before storing the state
            findings.save(after)
        return None
    if step.deactivate and settings.lifecycle.enforce_after_deadline and not settings.dry_run:
        page.ports.iam.update_access_key(
            UserName=finding.user_name, AccessKeyId=finding.access_key_id, Status="Inactive"
        )
    if step.message is not None:
        owner = resolve_owner(
            user.tags if user else {},
            settings.owner_tags,
            finding.owner_email or settings.security_contact_email,
            settings.slack_channel_tags,
        )
        facts = finding_notice(
            after,
            step.message,
            key=user.key(finding.access_key_id) if user else None,
            owner=owner,
            context=_context(settings),
            policy=settings.lifecycle,
            today=today,
            now=now,
            escalated_to=escalated_to,
            enforcement_opted_out=seen.enforcement_opted_out,
        )
        message_id = page.ports.owner_topic.publish(render_owner_notification(facts))
        findings.mark_sent(finding.access_key_id, today, step.transition, message_id)
    findings.save(after)
    return step


def _details(step: FollowUp, escalated_to: tuple[str, ...]) -> dict[str, Any]:
    """What a transition item records beyond its kind and day."""
    details: dict[str, Any] = {}
    if step.reminder_days:
        details["reminder_days"] = list(step.reminder_days)
    if escalated_to:
        details["escalated_to"] = list(escalated_to)
    if step.resolution is not None:
        details["resolution"] = step.resolution.value
    if step.closes_as is not None:
        details["closes_as"] = step.closes_as.value
    return details


def _context(settings: FollowFindingsSettings) -> NoticeContext:
    return NoticeContext(
        region=settings.owners_topic_arn.split(":")[3],  # arn:aws:sns:REGION:ACCOUNT:NAME
        rule_name=settings.config_rule_name,
        security_contact_email=settings.security_contact_email,
        max_access_key_age_days=settings.max_access_key_age_days,
        max_credential_usage_age_days=settings.max_credential_usage_age_days,
        dry_run=settings.dry_run,
    )
