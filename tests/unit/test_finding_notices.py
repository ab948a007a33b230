"""What the sweep sees of a key and says about a finding; a finding as items; the sweep's re-drive event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.compliance_event import compliance_change_event, read_compliance_event
from domain.config_rule import SWEEP_EVENT_SOURCE
from domain.credentials import KeyStatus, SnapshotResult, UserSnapshot
from domain.finding_items import current_item, finding_from_item, transition_item
from domain.finding_notices import (
    NoticeContext,
    enforcement_opted_out,
    escalation_contacts,
    finding_notice,
    observe_key,
)
from domain.findings import Finding, LifecyclePolicy, MessageKind, Resolution, TransitionKind, open_finding
from domain.notification_facts import NotificationFacts
from domain.owners import resolve_owner
from domain.results import KeyResult, RemediationOutcome
from tests.factories import key

NOW = datetime(2026, 12, 8, 6, 0, 5, tzinfo=UTC)
KEY = key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120, last_used_days_ago=1, now=NOW)
BOB = UserSnapshot(
    user_id="AIDAEXAMPLEUSERID0001",
    user_name="bob",
    arn="arn:aws:iam::111122223333:user/bob",
    tags={"owner-email": "bob@example.com", "owner-manager": "alice@example.com"},
    access_keys=(KEY,),
)
CONTEXT = NoticeContext(
    region="eu-west-1",
    rule_name="keywarden-access-keys-rotated",
    security_contact_email="security@example.com",
    max_access_key_age_days=90,
    max_credential_usage_age_days=90,
    dry_run=False,
)


def bobs_finding() -> Finding:
    return open_finding(
        access_key_id=KEY.access_key_id,
        user_id=BOB.user_id,
        user_name="bob",
        account_id="111122223333",
        owner_email="bob@example.com",
        first_notice_on=date(2026, 12, 1),
        today=date(2026, 12, 1),
        policy=LifecyclePolicy(),
        exempt=False,
    )


def test_the_key_is_observed_as_iam_shows_it() -> None:
    """Given bob's snapshot, When his key, a key he no longer has, or a deleted user is observed,
    Then each is seen as it is."""
    found = SnapshotResult(found=True, taken_at=NOW, user=BOB)
    seen = observe_key(KEY.access_key_id, found, exempt=False)
    assert (seen.user_exists, seen.key_exists, seen.key_active, seen.enforcement_opted_out) == (
        True,
        True,
        True,
        False,
    )
    assert observe_key("AKIAGONE", found, exempt=True).model_dump() == {
        "user_exists": True,
        "key_exists": False,
        "key_active": False,
        "exempt": True,
        "enforcement_opted_out": False,
    }
    assert (
        observe_key(KEY.access_key_id, SnapshotResult(found=False, taken_at=NOW), exempt=False).user_exists
        is False
    )
    inactive = BOB.model_copy(
        update={"access_keys": (KEY.model_copy(update={"status": KeyStatus.INACTIVE}),)}
    )
    seen_inactive = observe_key(
        KEY.access_key_id, SnapshotResult(found=True, taken_at=NOW, user=inactive), exempt=False
    )
    assert (seen_inactive.key_exists, seen_inactive.key_active) == (True, False)


def test_only_keywarden_enforce_never_opts_a_user_out() -> None:
    """Given tags, When asked, Then keywarden-enforce=never (any case) opts out, anything else does not."""
    assert enforcement_opted_out({"keywarden-enforce": "Never "})
    assert not enforcement_opted_out({"keywarden-enforce": "later"})
    assert not enforcement_opted_out({})


def test_an_escalation_tells_the_security_contact_and_each_tagged_address_once() -> None:
    """Given escalation tags holding an address, a non-address and a repeat of the security contact,
    When the contacts are listed, Then the security contact comes first, then each valid address once."""
    tags = {
        "owner-manager": "alice@example.com",
        "team-lead": "not an address",
        "ciso": "security@example.com",
    }
    contacts = escalation_contacts(
        tags, ("owner-manager", "team-lead", "ciso", "absent"), "security@example.com"
    )
    assert contacts == ("security@example.com", "alice@example.com")


def test_a_reminder_says_the_deadline_and_the_exact_enforcement_date() -> None:
    """Given enforcement on, When bob's reminder's facts are made, Then they carry the key, the deadline,
    the enforcement date, the days open and the REMINDER kind."""
    policy = LifecyclePolicy(enforce_after_deadline=True, enforcement_delay_days=7)
    owner = resolve_owner(BOB.tags, ("owner-email",), "security@example.com")
    facts = finding_notice(
        bobs_finding(),
        MessageKind.REMINDER,
        key=KEY,
        owner=owner,
        context=CONTEXT,
        policy=policy,
        today=date(2026, 12, 8),
        now=NOW,
    )
    assert (facts.kind, facts.outcome, facts.deadline, facts.owner.email) == (
        MessageKind.REMINDER,
        RemediationOutcome.KEYS_LEFT_ACTIVE,
        date(2026, 12, 15),
        "bob@example.com",
    )
    assert facts.finding is not None
    assert (facts.finding.enforcement_on, facts.finding.days_open, facts.finding.first_notice_on) == (
        date(2026, 12, 22),
        7,
        date(2026, 12, 1),
    )
    assert [(k.access_key_id, k.result, k.age_days) for k in facts.keys] == [
        (KEY.access_key_id, KeyResult.SKIPPED_RECENTLY_USED, 120)
    ]
    opted_out = finding_notice(
        bobs_finding(),
        MessageKind.REMINDER,
        key=KEY,
        owner=owner,
        context=CONTEXT,
        policy=policy,
        today=date(2026, 12, 8),
        now=NOW,
        enforcement_opted_out=True,
    )
    assert opted_out.finding is not None
    assert opted_out.finding.enforcement_on is None


def test_the_enforced_resolved_and_dry_run_messages_say_what_happened() -> None:
    """Given an enforced key, a resolved finding and a dry-run deployment, When their facts are made,
    Then the key is DEACTIVATED, the resolution is said (no key listed), and dry run is DRY_RUN."""
    owner = resolve_owner(BOB.tags, ("owner-email",), "security@example.com")

    def notice(finding: Finding, kind: MessageKind, context: NoticeContext = CONTEXT) -> NotificationFacts:
        return finding_notice(
            finding,
            kind,
            key=KEY,
            owner=owner,
            context=context,
            policy=LifecyclePolicy(),
            today=date(2026, 12, 22),
            now=NOW,
        )

    enforced = notice(bobs_finding(), MessageKind.ENFORCED)
    assert [(k.result, k.status_after) for k in enforced.keys] == [
        (KeyResult.DEACTIVATED, KeyStatus.INACTIVE)
    ]
    resolved = notice(
        bobs_finding().model_copy(update={"resolution": Resolution.DELETED}), MessageKind.RESOLVED
    )
    assert resolved.keys == ()
    assert resolved.finding is not None
    assert resolved.finding.resolution == "DELETED"
    dry = notice(bobs_finding(), MessageKind.REMINDER, CONTEXT.model_copy(update={"dry_run": True}))
    assert (dry.outcome, dry.dry_run) == (RemediationOutcome.DRY_RUN, True)


def test_a_finding_reads_back_from_its_current_item_as_dynamodb_returns_it() -> None:
    """Given a reminded finding, When written as its CURRENT item and read back with DynamoDB's Decimals,
    Then it is the same finding; only CURRENT carries the indexes' keys (status, user_id)."""
    reminded = bobs_finding().model_copy(
        update={"reminder_days_sent": (7,), "reminded_on": (date(2026, 12, 8),)}
    )
    item = current_item(reminded)
    assert (item["pk"], item["sk"], item["status"], item["deadline"]) == (
        "FINDING#AKIAAAAAAAAAAAAAAAA1",
        "CURRENT",
        "OPEN",
        "2026-12-15",
    )
    as_read = {**item, "reminder_days_sent": [Decimal(7)]}
    assert finding_from_item(as_read) == reminded
    history = transition_item(
        reminded, date(2026, 12, 8), TransitionKind.REMINDER, sweep="sweep-1", recorded_at=NOW
    )
    assert history["sk"] == "T#2026-12-08#REMINDER"
    assert "status" not in history
    assert "user_id" not in history
    assert history["recorded_at"] == "2026-12-08T06:00:05.000Z"


def test_the_sweeps_redrive_event_is_accepted_by_the_remediation_as_configs_would_be() -> None:
    """Given a re-drive event written by the sweep, When the remediation workflow reads it,
    Then it is accepted for the user, with the sweep's id, account, region and time."""
    event = compliance_change_event(
        "AIDAEXAMPLEUSERID0001",
        source=SWEEP_EVENT_SOURCE,
        event_id="sweep-2026-12-08-AIDAEXAMPLEUSERID0001",
        rule_name="keywarden-access-keys-rotated",
        account_id="111122223333",
        region="eu-west-1",
        at=NOW,
        recorded_at=datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC),
    )
    request = read_compliance_event(event, "keywarden-access-keys-rotated")
    assert request.accepted, request.reason
    assert (request.user_id, request.account_id, request.region, request.event_id, request.event_time) == (
        "AIDAEXAMPLEUSERID0001",
        "111122223333",
        "eu-west-1",
        "sweep-2026-12-08-AIDAEXAMPLEUSERID0001",
        NOW.replace(microsecond=0),
    )
    assert event["time"] == "2026-12-08T06:00:05Z"
    assert event["detail"]["newEvaluationResult"]["resultRecordedTime"] == "2026-11-20T10:00:00.250Z"
    assert read_compliance_event(event, "another-rule").accepted is False
