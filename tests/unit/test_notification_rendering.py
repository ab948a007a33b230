"""What owners read in Slack and by email: the same facts, escaped for each medium, without AWS."""

from __future__ import annotations

import dataclasses
import json
from email import message_from_bytes, policy
from typing import Any

from domain.classification import CredentialPolicy, classify_key
from domain.credentials import KeyOutcome, KeyStatus
from domain.results import PasswordResult
from notifications.email_message import recipients, render_owner_email, to_mime
from notifications.owner_message import render_owner_notification
from notifications.slack_message import blocks_as_text, mrkdwn_code, mrkdwn_escape, render_slack_message
from tests.factories import NOW, key, notification_facts

POLICY = CredentialPolicy(90, 90)


def skipped(key_id: str = "AKIAIOSFODNN7EXAMPLE", **changes: Any) -> KeyOutcome:
    used = key(key_id, created_days_ago=120, last_used_days_ago=0)
    return classify_key(used, used, POLICY, NOW, NOW).model_copy(update=changes)


def deactivated(key_id: str = "AKIAIOSFODNN7EXAMPL2") -> KeyOutcome:
    unused = key(key_id, created_days_ago=200)
    return classify_key(unused, unused.model_copy(update={"status": KeyStatus.INACTIVE}), POLICY, NOW, NOW)


def slack_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


class TestSlackMessage:
    def test_names_key_age_last_use_and_deadline(self) -> None:
        """Given a 120-day-old key left active, When its Slack message is rendered,
        Then the header and blocks name the key, its age, last use, deadline and the owner's tag."""
        payload = render_slack_message(notification_facts((skipped(),)))
        assert payload["blocks"][0] == {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": (
                    "Action needed: rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob (120 days old)"
                ),
                "emoji": True,
            },
        }
        shown = blocks_as_text(payload)
        assert "⚠️ Access key AKIAIOSFODNN7EXAMPLE: STILL ACTIVE - action needed" in shown
        assert "Created: 2026-07-31 (120 days ago)" in shown
        assert "Last used: 2026-11-28 12:00 UTC (today), by s3 in eu-west-1" in shown
        assert "What to do, before 2026-12-12: create a new access key" in shown
        assert "recorded as the owner of bob (tag:owner-email)" in shown

    def test_several_keys_and_a_password_in_one_message(self) -> None:
        """Given a skipped key, a deactivated key and a deleted password, When rendered for Slack,
        Then one message shows both keys in order, the deactivation's effect and the password."""
        facts = notification_facts((skipped(), deactivated()), password=PasswordResult.DELETED)
        shown = blocks_as_text(render_slack_message(facts))
        assert shown.index("AKIAIOSFODNN7EXAMPLE: STILL ACTIVE") < shown.index(
            "AKIAIOSFODNN7EXAMPL2: DEACTIVATED"
        )
        assert "now fails with InvalidClientTokenId" in shown
        assert "Console password: DELETED" in shown

    def test_unicode_names_survive(self) -> None:
        """Given a user name in several scripts, When rendered for Slack, Then it appears unchanged."""
        facts = notification_facts((skipped(),), user_name="zoë-françois_名前")
        payload = render_slack_message(facts)
        assert "IAM user zoë-françois_名前 (120 days old)" in payload["blocks"][0]["text"]["text"]
        assert "`zoë-françois_名前`" in payload["blocks"][1]["text"]["text"]

    def test_outside_values_cannot_ping_link_or_format(self) -> None:
        """Given a service, region and user name crafted as mentions, links and markup,
        When rendered for Slack,
        Then every mrkdwn text has them escaped (no < or >) and the header is plain text."""
        crafted = skipped(
            last_used_service="<!channel> & <https://evil.example|click>", last_used_region="*b*"
        )
        facts = notification_facts((crafted,), user_name="x`<@U123>`")
        payload = render_slack_message(facts)
        parsed = [payload["text"]] + [
            text["text"]
            for block in payload["blocks"]
            for text in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
            if text and text["type"] == "mrkdwn"
        ]
        assert all("<" not in text and ">" not in text for text in parsed)  # no mention, no link
        shown = " ".join(parsed)
        assert "`&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;` in `*b*`" in shown
        assert "`x'&lt;@U123&gt;'`" in shown  # a backtick cannot close the code span early
        # plain_text (the header) is never parsed for mentions or links.
        assert payload["blocks"][0]["text"]["type"] == "plain_text"

    def test_escaping_helpers(self) -> None:
        """Given &, <, > or a backtick, When escaped for mrkdwn or a code span, Then they cannot be parsed."""
        assert mrkdwn_escape("a & <b> c") == "a &amp; &lt;b&gt; c"
        assert mrkdwn_code("x`y") == "`x'y`"

    def test_missing_tags_say_fallback_and_default_channel(self) -> None:
        """Given a user with no tags, When rendered for Slack, Then it says no owner was found and why,
        and that it went to the default channel."""
        shown = blocks_as_text(render_slack_message(notification_facts((skipped(),), tags={})))
        assert "keywarden found no owner for bob (fallback: no owner tag (owner-email, owner))" in shown
        assert "Posted to the default channel (default channel: no channel tag (slack-channel))." in shown

    def test_routing_note_is_shown(self) -> None:
        """Given a routing note, When rendered for Slack, Then the note is in the message."""
        note = "This was meant for #payments, which has no keywarden webhook: posted to the default channel."
        shown = blocks_as_text(render_slack_message(notification_facts((skipped(),)), note))
        assert note in shown

    def test_block_kit_limits_hold_for_long_values(self) -> None:
        """Given very long values, When rendered for Slack,
        Then header, fields and sections keep Block Kit's limits."""
        facts = notification_facts((skipped(last_used_service="s" * 5000),), user_name="u" * 64)
        payload = render_slack_message(facts)
        assert len(payload["blocks"][0]["text"]["text"]) <= 150
        for block in payload["blocks"]:
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000


class TestEmail:
    def test_text_and_html_name_key_age_last_use_and_deadline(self) -> None:
        """Given a 120-day-old key left active, When its owner's email is rendered,
        Then it goes to the owner, and both text and HTML name the key, age, last use and deadline."""
        email = render_owner_email(notification_facts((skipped(),)))
        assert email.to == ("bob@example.com",)
        assert email.cc == ()
        assert email.subject == (
            "[keywarden] Action needed: rotate access key AKIAIOSFODNN7EXAMPLE of IAM user bob (120 days old)"
        )
        assert "Last used: 2026-11-28 12:00 UTC (today), by s3 in eu-west-1" in email.text
        assert "before 2026-12-12" in email.text
        assert "<code>AKIAIOSFODNN7EXAMPLE</code>" in email.html
        assert (
            '<td style="padding: 2px 12px 2px 0; vertical-align: top">2026-07-31 (120 days ago)</td>'
            in email.html
        )
        assert "<b>What to do, before 2026-12-12:" in email.html

    def test_the_text_part_is_the_sns_text(self) -> None:
        """Given the same facts, When rendered as email and as SNS,
        Then the email's text part is the SNS text."""
        facts = notification_facts((skipped(), deactivated()), password=PasswordResult.DELETED)
        assert render_owner_email(facts).text == render_owner_notification(facts).text

    def test_html_escapes_every_outside_value(self) -> None:
        """Given a service, region and user name crafted as HTML, When the email is rendered,
        Then the HTML holds them escaped, never as tags."""
        crafted = skipped(last_used_service='<img src=x onerror="alert(1)">', last_used_region="a&b")
        facts = notification_facts((crafted,), user_name="<script>alert(1)</script>")
        page = render_owner_email(facts).html
        assert "<script>" not in page
        assert "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; in a&amp;b" in page

    def test_unknown_owner_goes_to_the_security_contact(self) -> None:
        """Given a malformed owner tag, When the email is rendered,
        Then it goes to the security contact, saying why and asking to tag the user."""
        facts = notification_facts((skipped(),), tags={"owner-email": "bob at example dot com"})
        email = render_owner_email(facts)
        assert email.to == ("security@example.com",)
        assert "fallback: malformed address in tag owner-email" in email.text
        assert "tag the user" in email.text

    def test_a_fallback_other_than_the_security_contact_copies_it(self) -> None:
        """Given a fallback address that is not the security contact, When recipients are chosen,
        Then the fallback is To and the security contact is Cc."""
        facts = notification_facts((skipped(),), tags={})
        facts = facts.model_copy(
            update={"owner": facts.owner.model_copy(update={"email": "platform@example.com"})}
        )
        assert recipients(facts) == (("platform@example.com",), ("security@example.com",))

    def test_mime_carries_unicode_subject_both_parts_and_recipients(self) -> None:
        """Given an email with a unicode subject and a Cc, When turned into MIME and read back,
        Then subject, From, To, Cc and both text and HTML parts are as rendered."""
        facts = notification_facts((skipped(),), user_name="jürgen")
        email = dataclasses.replace(render_owner_email(facts), cc=("sec@example.com",))
        parsed = message_from_bytes(to_mime(email, "keywarden@example.com"), policy=policy.default)
        assert parsed["Subject"] == email.subject
        assert "jürgen" in parsed["Subject"]
        assert parsed["From"] == "keywarden@example.com"
        assert parsed["To"] == "bob@example.com"
        assert parsed["Cc"] == "sec@example.com"
        assert parsed.get_content_type() == "multipart/alternative"
        # SMTP line endings on the wire; the same lines once read.
        assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == email.text
        assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == email.html

    def test_a_long_ascii_subject_is_not_folded_into_a_leading_space(self) -> None:
        """Given a long ASCII subject, When turned into MIME,
        Then it is one unfolded header line, read back unchanged."""
        facts = notification_facts((deactivated("AKIARZPUZDIKC7YNNNVJ"),), user_name="alice")
        raw = to_mime(render_owner_email(facts), "keywarden@example.com")
        subject = "[keywarden] Access key AKIARZPUZDIKC7YNNNVJ of IAM user alice was deactivated"
        assert f"Subject: {subject}\r\n".encode() in raw
        assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject


class TestSnsMessage:
    def test_text_subscribers_get_text_and_forwarders_get_facts(self) -> None:
        """Given a notification, When its SNS message is built,
        Then email and default subscribers get the text, and the Lambda forwarder the facts as JSON."""
        facts = notification_facts((skipped(),))
        note = render_owner_notification(facts)
        message = json.loads(note.message)
        assert message["default"] == message["email"] == note.text
        assert json.loads(message["lambda"])["owner"] == {
            "email": "bob@example.com",
            "source": "tag:owner-email",
            "slack_channel": "#payments",
            "slack_channel_source": "tag:slack-channel",
        }
        assert type(facts).model_validate_json(message["lambda"]) == facts

    def test_attributes_for_filter_policies(self) -> None:
        """Given a fallback owner or a password-only result, When the SNS notification is built,
        Then its attributes say owner, outcome, severity and kind for filter policies."""
        fallback = render_owner_notification(notification_facts((deactivated(),), tags={}))
        assert {k: v["StringValue"] for k, v in fallback.attributes.items()} == {
            "user_name": "bob",
            "outcome": "KEYS_LEFT_ACTIVE",
            "account_id": "111122223333",
            "owner_email": "security@example.com",
            "owner_known": "false",
            "severity": "medium",
            "kind": "FIRST_NOTICE",
        }
        password_only = render_owner_notification(notification_facts((), password=PasswordResult.DELETED))
        assert password_only.attributes["severity"]["StringValue"] == "low"
        assert password_only.subject == "[keywarden] Console password of IAM user bob was deleted"
