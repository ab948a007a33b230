"""How the sweep's follow-ups word a finding: reminder, escalation, enforcement, resolution.

A follow-up is about one key (the finding's): which key, what happened, the deadline and what
happens next, each with its exact date. Every MessageKind is matched here, exhaustively
(`assert_never`): a new kind fails mypy and the tests until it has its words, its subject and
its severity; it cannot fall through to another kind's. FIRST_NOTICE is the remediation's own
notice (notifications/wording.py words its keys and password) and has no follow-up statement.
Pure: no AWS calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import assert_never

from domain.findings import MessageKind, Resolution
from domain.notification_facts import FindingFacts, NotificationFacts
from domain.results import Severity
from notifications.literal import Literal, plain

DRY_RUN_NOTE = "keywarden runs in dry-run mode: it changed nothing."


class IncompleteFollowUpError(ValueError):
    """A follow-up's facts without their finding (or a RESOLVED one without its resolution)."""


class Tone(StrEnum):
    """How a renderer colours the key's section."""

    WARNING = "warning"
    """The key is still Active: action is needed."""
    ATTENTION = "attention"
    """keywarden deactivated the key: a workload may fail."""
    GOOD = "good"
    """The finding is closed: the key is gone or inactive."""


@dataclass(frozen=True)
class FollowUpStatement:
    """One follow-up, worded: the renderers lay these sentences out (values escaped by `literal`)."""

    kind: MessageKind
    headline: str
    """The key's state in a few words (the title of the key's section)."""
    key: str
    """Which key: its id, user, account and region."""
    happened: str
    """What happened (why this message now), with its dates."""
    next_steps: str
    """What happens next, with the exact dates, and what the reader can do."""
    tone: Tone


def _day(day: date) -> str:
    return f"{day:%Y-%m-%d}"


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def is_follow_up(kind: MessageKind) -> bool:
    """Every kind but FIRST_NOTICE: the sweep's messages about an open (or just closed) finding."""
    return kind is not MessageKind.FIRST_NOTICE


def finding_of(facts: NotificationFacts) -> FindingFacts:
    """The finding a follow-up is about; a follow-up without one cannot be worded."""
    if facts.finding is None:
        raise IncompleteFollowUpError(f"a {facts.kind} message needs the finding's facts")
    return facts.finding


def sweep_day(facts: NotificationFacts) -> date:
    """The day of the sweep that sent the message (a UTC calendar date, as domain/findings.py counts)."""
    return facts.notified_at.date()


def days_left(facts: NotificationFacts) -> int:
    """REMINDER: days from the sweep's day to the deadline."""
    return (finding_of(facts).deadline - sweep_day(facts)).days


def follow_up_severity(kind: MessageKind) -> Severity | None:
    """A follow-up's severity: the `severity` attribute the forwarders' filter policies match.

    ESCALATION and ENFORCED are high: the deadline passed, or a workload may now fail. A REMINDER
    is medium: action is needed, before a deadline still ahead. RESOLVED is low: nothing is asked
    of anyone. FIRST_NOTICE: None, its keys and password decide (notifications/wording.py)."""
    match kind:
        case MessageKind.FIRST_NOTICE:
            return None
        case MessageKind.REMINDER:
            return Severity.MEDIUM
        case MessageKind.ESCALATION | MessageKind.ENFORCED:
            return Severity.HIGH
        case MessageKind.RESOLVED:
            return Severity.LOW
        case _:
            assert_never(kind)


def resolution_word(value: str | None) -> str:
    """RESOLVED: how the key went away (domain/findings.py Resolution), as a past participle."""
    if value is None:
        raise IncompleteFollowUpError("a RESOLVED message needs the finding's resolution")
    resolution = Resolution(value)
    match resolution:
        case Resolution.DELETED:
            return "deleted"
        case Resolution.DEACTIVATED:
            return "deactivated"
        case _:
            assert_never(resolution)


def escalation_contacts(facts: NotificationFacts) -> tuple[str, ...]:
    """ESCALATION: who is told besides the owner (`finding.escalated_to`; the security contact
    when the sweep named no one). The email copies exactly these; the chat messages name them."""
    return finding_of(facts).escalated_to or (facts.security_contact_email,)


def _rotate(by: str) -> str:
    return (
        f"What to do, {by}: create a new access key, move the workload that uses this one to it, "
        "then deactivate and delete this key."
    )


def _enforcement(finding: FindingFacts, dry_run: bool) -> str:
    """What enforcement will do, with its date ("" when enforcement is off for this key)."""
    if finding.enforcement_on is None:
        return ""
    if dry_run:
        return (
            f"On {_day(finding.enforcement_on)} keywarden would deactivate it, but it runs in dry-run "
            "mode: nothing is changed until enforcement is switched on."
        )
    return (
        f"On {_day(finding.enforcement_on)} keywarden deactivates it if it is still active: anything "
        "still using it then fails with InvalidClientTokenId."
    )


def _since(finding: FindingFacts) -> str:
    return f"{_days(finding.days_open)} after the first notice of {_day(finding.first_notice_on)}"


def _joined(*sentences: str) -> str:
    return " ".join(s for s in sentences if s)


def _reminder(facts: NotificationFacts, finding: FindingFacts, literal: Literal) -> tuple[str, str, str]:
    left = days_left(facts)
    happened = f"It is still active, {_since(finding)}: {_days(left)} left before {_day(finding.deadline)}."
    next_steps = _joined(
        _rotate(f"before {_day(finding.deadline)}"),
        f"If it is still active on {_day(finding.deadline)}, it is escalated to the security contact "
        f"({literal(facts.security_contact_email)}).",
        _enforcement(finding, facts.dry_run),
    )
    return f"STILL ACTIVE - {_days(left)} left", happened, next_steps


def _escalation(facts: NotificationFacts, finding: FindingFacts, literal: Literal) -> tuple[str, str, str]:
    told = ", ".join(literal(a) for a in escalation_contacts(facts))
    happened = (
        f"The deadline passed on {_day(finding.deadline)} and the key is still active, "
        f"{_since(finding)}. keywarden escalated it: this message also goes to {told}."
    )
    after = _enforcement(finding, facts.dry_run) or (
        "keywarden does not deactivate it: the finding stays open, and overdue, until the key is rotated."
    )
    return "OVERDUE - escalated", happened, _joined(_rotate("now"), after)


def _enforced(facts: NotificationFacts, finding: FindingFacts) -> tuple[str, str, str]:
    if facts.dry_run:
        happened = (
            f"It was not rotated by the deadline ({_day(finding.deadline)}). On {_day(sweep_day(facts))} "
            f"keywarden would have deactivated it. {DRY_RUN_NOTE}"
        )
        return "WOULD BE DEACTIVATED (dry run: not changed)", happened, _rotate("now")
    happened = (
        f"keywarden deactivated it on {_day(sweep_day(facts))} because it was not rotated by the "
        f"deadline ({_day(finding.deadline)}), {_since(finding)}. Anything still using it now fails "
        "with InvalidClientTokenId."
    )
    next_steps = (
        "To get going again: create a new access key, move the workload to it, then delete this key. "
        "Do not reactivate this one: it is the old key that had to be rotated."
    )
    return "DEACTIVATED by keywarden", happened, next_steps


def _resolved(facts: NotificationFacts, finding: FindingFacts) -> tuple[str, str, str]:
    how = resolution_word(finding.resolution)
    happened = (
        f"The finding opened with the first notice of {_day(finding.first_notice_on)} (deadline "
        f"{_day(finding.deadline)}) is closed after {_days(finding.days_open)}: the key was {how}."
    )
    next_steps = _joined(
        "Nothing more to do: keywarden stops following this key.", DRY_RUN_NOTE if facts.dry_run else ""
    )
    return f"RESOLVED - {how}", happened, next_steps


def follow_up_statement(facts: NotificationFacts, literal: Literal = plain) -> FollowUpStatement | None:
    """The follow-up's sentences, or None for FIRST_NOTICE (worded key by key in notifications/wording.py)."""
    match facts.kind:
        case MessageKind.FIRST_NOTICE:
            return None
        case MessageKind.REMINDER:
            finding = finding_of(facts)
            headline, happened, next_steps = _reminder(facts, finding, literal)
            tone = Tone.WARNING
        case MessageKind.ESCALATION:
            finding = finding_of(facts)
            headline, happened, next_steps = _escalation(facts, finding, literal)
            tone = Tone.WARNING
        case MessageKind.ENFORCED:
            finding = finding_of(facts)
            headline, happened, next_steps = _enforced(facts, finding)
            tone = Tone.WARNING if facts.dry_run else Tone.ATTENTION
        case MessageKind.RESOLVED:
            finding = finding_of(facts)
            headline, happened, next_steps = _resolved(facts, finding)
            tone = Tone.GOOD
        case _:
            assert_never(facts.kind)
    return FollowUpStatement(
        kind=facts.kind,
        headline=headline,
        key=(
            f"Access key {literal(finding.access_key_id)} of IAM user {literal(facts.user_name)} in "
            f"account {literal(facts.account_id)} ({literal(facts.region)})"
        ),
        happened=happened,
        next_steps=next_steps,
        tone=tone,
    )


def follow_up_subject(facts: NotificationFacts) -> str | None:
    """The follow-up's subject line (without the [keywarden] prefix), or None for FIRST_NOTICE."""
    match facts.kind:
        case MessageKind.FIRST_NOTICE:
            return None
        case MessageKind.REMINDER:
            finding = finding_of(facts)
            # The days left, the deadline and the key first: SNS cuts a subject at 100 characters.
            return (
                f"{_days(days_left(facts))} left before {_day(finding.deadline)} to rotate access key "
                f"{finding.access_key_id} of IAM user {facts.user_name}"
            )
        case MessageKind.ESCALATION:
            finding = finding_of(facts)
            return (
                f"Overdue: access key {finding.access_key_id} of IAM user {facts.user_name} was not "
                f"rotated by {_day(finding.deadline)}"
            )
        case MessageKind.ENFORCED:
            finding = finding_of(facts)
            what = "Would be deactivated" if facts.dry_run else "Deactivated"
            return (
                f"{what}: access key {finding.access_key_id} of IAM user {facts.user_name}, not rotated "
                f"by {_day(finding.deadline)}"
            )
        case MessageKind.RESOLVED:
            finding = finding_of(facts)
            return (
                f"Resolved: access key {finding.access_key_id} of IAM user {facts.user_name} "
                f"{resolution_word(finding.resolution)} after {_days(finding.days_open)}"
            )
        case _:
            assert_never(facts.kind)


def follow_up_introduction(facts: NotificationFacts) -> str:
    """The follow-up's first sentence: the sweep follows the key until it is rotated."""
    return _joined(
        "keywarden follows every stale access key it told its owner about until the key is rotated.",
        DRY_RUN_NOTE if facts.dry_run else "",
    )


def follow_up_why_you_receive_this(facts: NotificationFacts, literal: Literal = plain) -> str | None:
    """RESOLVED goes to the security contact (see notifications/email_message.py recipients); the
    other follow-ups say who the owner is, as the first notice did (None: use that sentence)."""
    match facts.kind:
        case MessageKind.FIRST_NOTICE | MessageKind.REMINDER | MessageKind.ESCALATION | MessageKind.ENFORCED:
            return None
        case MessageKind.RESOLVED if facts.owner.email_is_fallback:
            return (
                f"You receive this as the security contact, to close the finding: keywarden found no "
                f"owner for {literal(facts.user_name)} ({literal(facts.owner.source)})."
            )
        case MessageKind.RESOLVED:
            return (
                f"You receive this as the security contact, to close the finding; the owner "
                f"({literal(facts.owner.email)}, {literal(facts.owner.source)}) is not told again."
            )
        case _:
            assert_never(facts.kind)
