"""What the sweep's follow-ups say on every channel: which key, what happened, the deadline, what next.

The finding of these tests: bob's key AKIAIOSFODNN7EXAMPLE, first noticed on 2026-11-21, to be
rotated before 2026-12-05 (14 days' grace), deactivated by keywarden on 2026-12-12 when
enforcement is on (7 days after the deadline). Each kind is sent on the day the sweep would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from pydantic import ValidationError

from domain.classification import CredentialPolicy, classify_key
from domain.findings import MessageKind, Resolution
from domain.notification_facts import FindingFacts, NotificationFacts
from notifications.channels import CHANNELS
from notifications.channels.base import EmailChannel, WebhookChannel
from notifications.channels.email import deliver_email
from notifications.channels.slack import owner_channel, route
from notifications.channels.teams import read_teams_message, render_teams_message
from notifications.email_message import render_html, render_owner_email, to_mime
from notifications.lifecycle_wording import follow_up_severity
from notifications.owner_message import render_owner_notification
from notifications.settings import EmailForwarderSettings
from notifications.slack_message import blocks_as_text, render_slack_message
from notifications.webhook import Webhooks
from notifications.wording import SUBJECT_LIMIT, notification_severity
from tests.factories import NOW, key, notification_facts

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
FIRST_NOTICE_ON = date(2026, 11, 21)
DEADLINE = date(2026, 12, 5)
ENFORCEMENT_ON = date(2026, 12, 12)
SENT_AT = {
    MessageKind.FIRST_NOTICE: NOW,
    MessageKind.REMINDER: datetime(2026, 11, 28, 6, tzinfo=UTC),  # 7 days before the deadline
    MessageKind.ESCALATION: datetime(2026, 12, 5, 6, tzinfo=UTC),  # the deadline
    MessageKind.ENFORCED: datetime(2026, 12, 12, 6, tzinfo=UTC),  # the enforcement day
    MessageKind.RESOLVED: datetime(2026, 11, 26, 6, tzinfo=UTC),  # bob deleted the key on day 5
}
DAYS_OPEN = {
    MessageKind.REMINDER: 7,
    MessageKind.ESCALATION: 14,
    MessageKind.ENFORCED: 21,
    MessageKind.RESOLVED: 5,
}
FOLLOW_UPS = [kind for kind in MessageKind if kind is not MessageKind.FIRST_NOTICE]
ESCALATED_TO = ("security@example.com", "manager@example.com")


def stale_key_outcome() -> Any:
    used = key(KEY_ID, created_days_ago=120, last_used_days_ago=0)
    return classify_key(used, used, CredentialPolicy(90, 90), NOW, NOW)


def facts(
    kind: MessageKind,
    *,
    enforcement_on: date | None = ENFORCEMENT_ON,
    escalated_to: tuple[str, ...] = ESCALATED_TO,
    resolution: Resolution = Resolution.DELETED,
    dry_run: bool = False,
    tags: dict[str, str] | None = None,
    user_name: str = "bob",
) -> NotificationFacts:
    """The facts the sweep publishes for `kind` (validated, as the sweep's are)."""
    base: NotificationFacts = notification_facts(
        (stale_key_outcome(),), tags=tags, user_name=user_name, now=SENT_AT[kind]
    )
    if kind is MessageKind.FIRST_NOTICE:
        return base
    finding = FindingFacts(
        access_key_id=KEY_ID,
        first_notice_on=FIRST_NOTICE_ON,
        deadline=DEADLINE,
        enforcement_on=enforcement_on,
        days_open=DAYS_OPEN[kind],
        escalated_to=escalated_to if kind is MessageKind.ESCALATION else (),
        resolution=resolution.value if kind is MessageKind.RESOLVED else None,
    )
    return NotificationFacts.model_validate(
        {**base.model_dump(), "kind": kind, "finding": finding, "dry_run": dry_run}
    )


def read(channel: str, shown_facts: NotificationFacts) -> str:
    """What the channel's reader sees, as one line of words."""
    return " ".join(CHANNELS[channel].preview(shown_facts).split())


def read_html(shown_facts: NotificationFacts) -> str:
    return " ".join(render_html(shown_facts).split())


def reader(channel: str) -> Callable[[NotificationFacts], str]:
    return lambda shown_facts: read(channel, shown_facts)


RENDERINGS = {**{name: reader(name) for name in CHANNELS}, "email-html": read_html}
"""Every rendering an owner reads: the SNS / email text, the HTML email, Slack, Teams."""

WHAT_EACH_KIND_SAYS = {
    MessageKind.REMINDER: [
        "STILL ACTIVE - 7 days left",
        "7 days after the first notice of 2026-11-21: 7 days left before 2026-12-05",
        "What to do, before 2026-12-05: create a new access key",
        "If it is still active on 2026-12-05, it is escalated to the security contact",
        "On 2026-12-12 keywarden deactivates it if it is still active: anything still using it then fails",
    ],
    MessageKind.ESCALATION: [
        "OVERDUE - escalated",
        "The deadline passed on 2026-12-05 and the key is still active, 14 days after the first "
        "notice of 2026-11-21",
        "keywarden escalated it: this message also goes to security@example.com, manager@example.com",
        "What to do, now: create a new access key",
        "On 2026-12-12 keywarden deactivates it if it is still active: anything still using it then fails",
    ],
    MessageKind.ENFORCED: [
        "DEACTIVATED by keywarden",
        "keywarden deactivated it on 2026-12-12 because it was not rotated by the deadline (2026-12-05)",
        "Anything still using it now fails with InvalidClientTokenId",
        "To get going again: create a new access key, move the workload to it",
    ],
    MessageKind.RESOLVED: [
        "RESOLVED - deleted",
        "The finding opened with the first notice of 2026-11-21 (deadline 2026-12-05) is closed after "
        "5 days: the key was deleted",
        "You receive this as the security contact",
    ],
}


def without_markup(text: str) -> str:
    """The HTML part's words without its code spans (the other renderings have none in the text)."""
    return text.replace("<code>", "").replace("</code>", "")


@pytest.mark.parametrize("rendering", list(RENDERINGS))
@pytest.mark.parametrize("kind", FOLLOW_UPS)
def test_every_follow_up_names_the_key_what_happened_and_what_next_with_dates(
    kind: MessageKind, rendering: str
) -> None:
    # Given the sweep's facts of one kind (enforcement on)
    shown_facts = facts(kind)
    # When a channel renders them
    shown = without_markup(RENDERINGS[rendering](shown_facts))
    # Then its reader sees which key (id, user, account) and the kind's sentences, with their dates
    assert f"Access key {KEY_ID} of IAM user bob in account 111122223333 (eu-west-1)" in shown
    for sentence in WHAT_EACH_KIND_SAYS[kind]:
        assert sentence in shown
    # and nothing of the first notice's key-by-key wording
    assert "STILL ACTIVE - action needed" not in shown


@pytest.mark.parametrize("rendering", list(RENDERINGS))
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders_on_every_channel_with_its_own_words(kind: MessageKind, rendering: str) -> None:
    # Given facts of any kind, the first notice included
    shown_facts = facts(kind)
    # When rendered
    shown = without_markup(RENDERINGS[rendering](shown_facts))
    # Then no kind borrows another's headline
    headlines = {k: WHAT_EACH_KIND_SAYS[k][0] for k in FOLLOW_UPS} | {
        MessageKind.FIRST_NOTICE: "STILL ACTIVE - action needed"
    }
    assert [k for k, headline in headlines.items() if headline in shown] == [kind]


class TestReminder:
    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    def test_without_enforcement_it_says_the_deadline_escalates_and_never_deactivates(
        self, rendering: str
    ) -> None:
        # Given enforcement is off (or the user opted out)
        shown_facts = facts(MessageKind.REMINDER, enforcement_on=None)
        # When rendered
        shown = without_markup(RENDERINGS[rendering](shown_facts))
        # Then it says the escalation at the deadline and no deactivation
        assert "7 days left before 2026-12-05" in shown
        assert (
            "If it is still active on 2026-12-05, it is escalated to the security contact "
            "(security@example.com)."
        ) in shown
        assert "deactivates" not in shown

    @pytest.mark.parametrize(
        ("sent_on", "left"), [(date(2026, 12, 3), "2 days"), (date(2026, 12, 4), "1 day")]
    )
    def test_the_days_left_count_from_the_sweep_day(self, sent_on: date, left: str) -> None:
        # Given a later reminder (the cadence's 2 days before, or a sweep that caught up)
        reminder = facts(MessageKind.REMINDER).model_dump()
        later = NotificationFacts.model_validate(
            {
                **reminder,
                "notified_at": datetime(sent_on.year, sent_on.month, sent_on.day, 6, tzinfo=UTC),
                "finding": {**reminder["finding"], "days_open": (sent_on - FIRST_NOTICE_ON).days},
            }
        )
        # When rendered
        note = render_owner_notification(later)
        # Then it counts the days left from that day
        assert f"STILL ACTIVE - {left} left" in note.text
        assert f"{left} left before 2026-12-05." in " ".join(note.text.split())
        assert note.subject.startswith(f"[keywarden] {left} left before 2026-12-05 to rotate access key")


class TestEscalation:
    def test_the_email_copies_everyone_it_escalates_to(self) -> None:
        # Given an escalation to the security contact and the owner's manager
        email = render_owner_email(facts(MessageKind.ESCALATION))
        # Then the owner is the recipient and both are in copy
        assert (email.to, email.cc) == (("bob@example.com",), ESCALATED_TO)

    def test_copies_are_distinct_and_never_the_recipient(self) -> None:
        # Given escalation contacts that repeat each other and the owner (in other cases)
        email = render_owner_email(
            facts(
                MessageKind.ESCALATION,
                escalated_to=("Manager@Example.com", "manager@example.com", "BOB@example.com"),
            )
        )
        # Then each is copied once, the owner not at all
        assert (email.to, email.cc) == (("bob@example.com",), ("Manager@Example.com",))

    def test_an_unknown_owner_escalates_to_the_fallback_with_everyone_in_copy(self) -> None:
        # Given no owner tag (the message goes to the fallback contact, the security contact)
        email = render_owner_email(facts(MessageKind.ESCALATION, tags={}))
        # Then the security contact is the recipient and the manager in copy, once each
        assert (email.to, email.cc) == (("security@example.com",), ("manager@example.com",))

    def test_without_escalation_contacts_the_security_contact_is_copied_and_named(self) -> None:
        # Given the sweep named no one
        shown_facts = facts(MessageKind.ESCALATION, escalated_to=())
        email = render_owner_email(shown_facts)
        # Then the security contact is copied, and the text says so
        assert email.cc == ("security@example.com",)
        assert "this message also goes to security@example.com." in " ".join(email.text.split())

    def test_the_mime_message_carries_the_copies(self) -> None:
        # Given the escalation's email as SES sends it
        raw = to_mime(render_owner_email(facts(MessageKind.ESCALATION)), "keywarden@example.com")
        # When a mail client reads it
        message = message_from_bytes(raw, policy=policy.default)
        # Then the owner is in To, the copies in Cc
        assert (message["To"], message["Cc"]) == (
            "bob@example.com",
            "security@example.com, manager@example.com",
        )
        assert message["Subject"] == SUBJECTS[MessageKind.ESCALATION]

    def test_the_forwarder_sends_to_the_owner_and_the_copies(self) -> None:
        # Given the email channel and a sender that records what it is asked to send
        sent: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

        def send(*, sender: str, to: Any, cc: Any, raw: bytes, configuration_set: str | None) -> str:
            sent.append((tuple(to), tuple(cc)))
            return "ses-message-1"

        settings = EmailForwarderSettings.model_validate({"SENDER_EMAIL": "keywarden@example.com"})
        # When it delivers the escalation
        receipt = deliver_email(facts(MessageKind.ESCALATION), settings, send)
        # Then SES is asked to send to the owner with both in copy
        assert sent == [(("bob@example.com",), ESCALATED_TO)]
        assert receipt.details["recipients"] == 3

    @pytest.mark.parametrize("channel", ["slack", "teams"])
    def test_chat_messages_name_who_else_is_told(self, channel: str) -> None:
        shown = read(channel, facts(MessageKind.ESCALATION))
        assert (
            "keywarden escalated it: this message also goes to security@example.com, manager@example.com."
            in shown
        )

    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    def test_without_enforcement_it_says_the_key_stays_open_until_rotated(self, rendering: str) -> None:
        shown = without_markup(RENDERINGS[rendering](facts(MessageKind.ESCALATION, enforcement_on=None)))
        assert "keywarden does not deactivate it: the finding stays open, and overdue" in shown
        assert "2026-12-12" not in shown


class TestEnforced:
    def test_the_owner_alone_is_told(self) -> None:
        email = render_owner_email(facts(MessageKind.ENFORCED))
        assert (email.to, email.cc) == (("bob@example.com",), ())

    def test_teams_marks_it_as_attention_and_slack_as_no_entry(self) -> None:
        shown_facts = facts(MessageKind.ENFORCED)
        card = render_teams_message(shown_facts)["attachments"][0]["content"]
        assert [e["style"] for e in card["body"] if e.get("type") == "Container"] == ["attention"]
        assert "⛔ Access key AKIAIOSFODNN7EXAMPLE" in blocks_as_text(render_slack_message(shown_facts))


class TestResolved:
    def test_the_email_goes_to_the_security_contact_alone(self) -> None:
        # Given a finding closed because bob deleted the key
        email = render_owner_email(facts(MessageKind.RESOLVED))
        # Then the security contact is told, the owner is not
        assert (email.to, email.cc) == (("security@example.com",), ())
        assert email.subject == (
            "[keywarden] Resolved: access key AKIAIOSFODNN7EXAMPLE of IAM user bob deleted after 5 days"
        )

    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    def test_a_deactivated_key_closes_as_deactivated(self, rendering: str) -> None:
        shown_facts = facts(MessageKind.RESOLVED, resolution=Resolution.DEACTIVATED)
        shown = without_markup(RENDERINGS[rendering](shown_facts))
        assert "RESOLVED - deactivated" in shown
        assert "is closed after 5 days: the key was deactivated." in shown

    def test_slack_posts_it_to_the_default_channel_not_the_owners(self) -> None:
        # Given bob's channel has its own webhook
        webhooks = Webhooks(
            default="https://hooks.example.com/default", channels={"#payments": "https://hooks.example.com/p"}
        )
        # Then his reminder goes there, but the resolved notice to the default channel
        assert route(owner_channel(facts(MessageKind.REMINDER)), webhooks).channel == "#payments"
        resolved = route(owner_channel(facts(MessageKind.RESOLVED)), webhooks)
        assert (resolved.channel, resolved.note) == ("default", None)

    def test_an_unknown_owner_is_not_presented_as_the_owner(self) -> None:
        # Given a user without an owner tag (the fallback contact was told all along)
        shown = " ".join(render_owner_notification(facts(MessageKind.RESOLVED, tags={})).text.split())
        # Then the security contact reads why, and no "owner" is named
        assert (
            "You receive this as the security contact, to close the finding: keywarden found no owner "
            "for bob (fallback: no owner tag (owner-email, owner))."
        ) in shown
        assert "is not told again" not in shown

    def test_a_resolved_notice_without_its_resolution_is_refused(self) -> None:
        shown_facts = facts(MessageKind.RESOLVED)
        with pytest.raises(ValidationError, match="needs the finding's resolution"):
            NotificationFacts.model_validate(
                {
                    **shown_facts.model_dump(),
                    "finding": {**shown_facts.model_dump()["finding"], "resolution": None},
                }
            )


SUBJECTS = {
    MessageKind.FIRST_NOTICE: (
        "[keywarden] Action needed: rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob (120 days old)"
    ),
    MessageKind.REMINDER: (
        "[keywarden] 7 days left before 2026-12-05 to rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob"
    ),
    MessageKind.ESCALATION: (
        "[keywarden] Overdue: access key AKIAIOSFODNN7EXAMPLE of IAM user bob was not rotated by 2026-12-05"
    ),
    MessageKind.ENFORCED: (
        "[keywarden] Deactivated: access key AKIAIOSFODNN7EXAMPLE of IAM user bob, not rotated by 2026-12-05"
    ),
    MessageKind.RESOLVED: (
        "[keywarden] Resolved: access key AKIAIOSFODNN7EXAMPLE of IAM user bob deleted after 5 days"
    ),
}
SEVERITIES = {
    MessageKind.FIRST_NOTICE: "high",  # its key is still active
    MessageKind.REMINDER: "medium",
    MessageKind.ESCALATION: "high",
    MessageKind.ENFORCED: "high",
    MessageKind.RESOLVED: "low",
}


class TestSnsMessage:
    @pytest.mark.parametrize("kind", list(MessageKind))
    def test_every_message_carries_its_kind_and_its_kinds_severity(self, kind: MessageKind) -> None:
        # Given facts of each kind
        note = render_owner_notification(facts(kind))
        # Then the filterable attributes say the kind and the severity the forwarders route on
        attributes = {name: value["StringValue"] for name, value in note.attributes.items()}
        assert (attributes["kind"], attributes["severity"]) == (kind.value, SEVERITIES[kind])

    @pytest.mark.parametrize("kind", list(MessageKind))
    def test_subjects_say_the_kind_the_key_and_the_date_within_snss_limit(self, kind: MessageKind) -> None:
        note = render_owner_notification(facts(kind))
        assert note.subject == SUBJECTS[kind]
        assert len(note.subject) <= SUBJECT_LIMIT

    @pytest.mark.parametrize("kind", FOLLOW_UPS)
    def test_text_subscribers_get_the_follow_up_and_forwarders_its_facts(self, kind: MessageKind) -> None:
        shown_facts = facts(kind)
        note = render_owner_notification(shown_facts)
        message = json.loads(note.message)
        assert message["default"] == message["email"] == note.text
        assert NotificationFacts.model_validate_json(message["lambda"]) == shown_facts
        assert max(len(line) for line in note.text.splitlines()) <= 78

    def test_severity_follows_the_kind_not_the_keys(self) -> None:
        # Given a reminder whose facts still carry the first notice's still-active key (high)
        reminder = facts(MessageKind.REMINDER)
        assert reminder.notified_keys
        # Then its severity is the reminder's
        assert notification_severity(reminder).value == "medium"
        assert [follow_up_severity(kind) is None for kind in MessageKind] == [
            kind is MessageKind.FIRST_NOTICE for kind in MessageKind
        ]

    def test_a_follow_up_without_its_finding_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="a REMINDER message needs its finding's facts"):
            NotificationFacts.model_validate({**notification_facts(()).model_dump(), "kind": "REMINDER"})


class TestDryRun:
    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    @pytest.mark.parametrize("kind", [MessageKind.REMINDER, MessageKind.ESCALATION])
    def test_a_dry_run_follow_up_says_nothing_changed_and_what_enforcement_would_do(
        self, kind: MessageKind, rendering: str
    ) -> None:
        # Given the deployment runs in dry-run mode
        shown = without_markup(RENDERINGS[rendering](facts(kind, dry_run=True)))
        # Then the message says nothing was changed, and the day keywarden would deactivate the key
        assert "keywarden runs in dry-run mode: it changed nothing." in shown
        assert "On 2026-12-12 keywarden would deactivate it, but it runs in dry-run mode" in shown
        assert "keywarden deactivates it" not in shown

    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    def test_a_dry_run_enforcement_says_the_key_was_not_deactivated(self, rendering: str) -> None:
        shown = without_markup(RENDERINGS[rendering](facts(MessageKind.ENFORCED, dry_run=True)))
        assert "WOULD BE DEACTIVATED (dry run: not changed)" in shown
        assert "On 2026-12-12 keywarden would have deactivated it." in shown
        assert "keywarden deactivated it" not in shown

    @pytest.mark.parametrize("rendering", list(RENDERINGS))
    def test_a_dry_run_resolution_says_nothing_changed(self, rendering: str) -> None:
        shown = without_markup(RENDERINGS[rendering](facts(MessageKind.RESOLVED, dry_run=True)))
        assert "keywarden runs in dry-run mode: it changed nothing." in shown

    def test_the_subject_says_dry_run(self) -> None:
        note = render_owner_notification(facts(MessageKind.ENFORCED, dry_run=True))
        assert note.subject.startswith(
            "[keywarden dry run] Would be deactivated: access key AKIAIOSFODNN7EXAMPLE"
        )


class TestOutsideValues:
    def test_html_slack_and_teams_escape_or_show_as_typed(self) -> None:
        # Given a crafted user name and escalation contact
        crafted = facts(
            MessageKind.ESCALATION,
            user_name="<b>eve</b>",
            escalated_to=("<!channel>@example.com",),
        )
        # Then the HTML escapes them
        html_part = render_html(crafted)
        assert "<b>eve</b>" not in html_part
        assert "&lt;b&gt;eve&lt;/b&gt;" in html_part
        assert "&lt;!channel&gt;@example.com" in html_part
        # and Slack cannot ping the channel
        slack_json = json.dumps(render_slack_message(crafted))
        assert "<!channel>" not in slack_json
        assert "&lt;!channel&gt;@example.com" in slack_json
        # and Teams shows them as typed (TextRuns render no Markdown)
        assert (
            "this message also goes to <!channel>@example.com."
            in read_teams_message(render_teams_message(crafted)).text
        )


def test_every_channel_is_covered_by_these_tests() -> None:
    # A channel added to the registry is one of the renderings above (or this test says so).
    assert {name for name, channel in CHANNELS.items() if isinstance(channel, WebhookChannel)} == {
        "slack",
        "teams",
    }
    assert {name for name, channel in CHANNELS.items() if isinstance(channel, EmailChannel)} == {"email"}
