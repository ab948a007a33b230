"""The sandbox records a follow-up's email as SES sent it: recipients, copies, subject (issue 13)."""

from __future__ import annotations

from domain.findings import MessageKind
from keywarden.sandbox.deliveries import email_delivery
from notifications.channels.email import EMAIL
from notifications.email_message import render_owner_email, to_mime
from tests.unit.test_lifecycle_messages import ESCALATED_TO, SUBJECTS, facts


def test_an_escalations_copies_are_recorded_as_the_deliverys_cc() -> None:
    # Given the escalation's email as the forwarder hands it to SES
    raw = to_mime(render_owner_email(facts(MessageKind.ESCALATION)), "keywarden@example.com")
    # When the sandbox reads what SES sent
    delivery = email_delivery(EMAIL, raw.decode(), "bob")
    # Then the delivery is to the owner, with the escalation's contacts in cc
    assert (delivery.recipient, delivery.cc) == ("bob@example.com", ESCALATED_TO)
    assert delivery.subject == SUBJECTS[MessageKind.ESCALATION]
    assert "keywarden escalated it: this message also goes to" in " ".join(delivery.text.split())


def test_a_resolved_notice_is_recorded_as_sent_to_the_security_contact() -> None:
    raw = to_mime(render_owner_email(facts(MessageKind.RESOLVED)), "keywarden@example.com")
    delivery = email_delivery(EMAIL, raw.decode(), "bob")
    assert (delivery.recipient, delivery.cc) == ("security@example.com", ())
