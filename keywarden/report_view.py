"""Terminal rendering of a simulation report, for people (scripts use `--json`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from keywarden.result_styles import key_result_style, outcome_style, password_result_style
from keywarden.simulation import (
    DeliveryReport,
    FindingReport,
    NotificationReport,
    SimulationReport,
    UserReport,
)
from notifications.channels import EmailChannel, WebhookChannel, channel_named

MESSAGE_WIDTH = 84  # the owner's message is wrapped at 78 columns
AUDIT_FIELDS = (
    "pk", "recorded_at", "outcome", "reason", "user_name", "user_id", "account_id",
    "password_result", "automation", "owner", "notification_message_id", "execution_arn",
)  # fmt: skip


def collapse_repeats(path: Sequence[str]) -> list[str]:
    """Prepare, A, B, A, B, C -> Prepare, (A -> B) x2, C: the poll loop, readable."""
    collapsed: list[str] = []
    i = 0
    while i < len(path):
        for size in range(1, 7):
            block = list(path[i : i + size])
            repeats = 1
            while list(path[i + repeats * size : i + (repeats + 1) * size]) == block:
                repeats += 1
            if repeats > 1:
                collapsed.append(f"({' -> '.join(block)}) x{repeats}")
                i += repeats * size
                break
        else:
            collapsed.append(path[i])
            i += 1
    return collapsed


def _keys_table(user: UserReport) -> Table:
    table = Table("access key", "before", "after", "result", box=None, pad_edge=False)
    for key in user.keys:
        table.add_row(
            key.access_key_id,
            key.status_before,
            key.status_after or "gone",
            Text(key.result, key_result_style(key.result)),
        )
    return table


def _owner_notifications(user: UserReport, report: SimulationReport) -> list[NotificationReport]:
    """The user's day-0 messages (later days' are in its lifecycle)."""
    return [n for n in report.notifications if n.attributes.get("user_name") == user.name and n.day == 0]


def _deliveries(user: UserReport, report: SimulationReport) -> list[DeliveryReport]:
    return [d for d in report.deliveries if d.user_name == user.name and d.day == 0]


def _finding_line(finding: FindingReport) -> Text:
    """AKIA... RESOLVED (DELETED) day 9: opened day 1, deadline day 14, reminded day 7."""
    steps = [f"opened day {finding.opened_day}", f"deadline day {finding.deadline_day}"]
    if finding.reminder_days:
        steps.append("reminded day " + ", ".join(str(day) for day in finding.reminder_days))
    if finding.escalated_day is not None:
        steps.append(f"escalated day {finding.escalated_day}")
    if finding.enforced_day is not None:
        steps.append(f"enforced day {finding.enforced_day}")
    status = finding.status + (f" ({finding.resolution})" if finding.resolution else "")
    closed = f" day {finding.closed_day}" if finding.closed_day is not None else ""
    return Text.assemble(
        f"  {finding.access_key_id} ",
        (status + closed, outcome_style(finding.status)),
        ": " + ", ".join(steps),
    )


def _print_lifecycle(user: UserReport, report: SimulationReport, console: Console) -> None:
    """The user's findings, then the messages of the days after day 0, one line per day and kind;
    the first message of each kind is shown as its reader sees it."""
    later = [d for d in report.deliveries if d.user_name == user.name and d.day > 0]
    published = [n for n in report.notifications if n.attributes.get("user_name") == user.name and n.day > 0]
    if not (user.findings or later or published):
        return
    console.print("\n[bold]Findings[/]")
    for finding in user.findings:
        console.print(_finding_line(finding))
    if not user.findings:
        console.print(Text("  none opened", style="italic"))
    by_day_and_kind: dict[tuple[int, str], list[str]] = {}
    for delivery in later:
        by_day_and_kind.setdefault((delivery.day, delivery.kind), []).append(delivery.recipient)
    for (day, kind), recipients in by_day_and_kind.items():
        console.print(Text(f"  day {day:>3}  {kind:<11} to {', '.join(dict.fromkeys(recipients))}"))
    if not later:  # no forwarder took them: what was published
        for note in published:
            console.print(
                Text(f"  day {note.day:>3}  {note.kind or '':<12} published: ") + Text(note.subject)
            )
    shown: set[str] = set()
    for delivery in later:
        if delivery.kind not in shown:
            shown.add(delivery.kind)
            _print_delivery(delivery, console)


def _print_delivery(delivery: DeliveryReport, console: Console) -> None:
    """The message as its reader sees it: a chat message's text, or the email's headers and text."""
    channel = channel_named(delivery.channel)
    match channel:
        case WebhookChannel():
            console.print(f"\n[bold]{escape(channel.title)} message in {escape(delivery.recipient)}[/]")
            console.print(Panel(Text(delivery.text), width=MESSAGE_WIDTH))
        case EmailChannel():
            _print_email(delivery, console)
        case _:
            assert_never(channel)


def _print_email(delivery: DeliveryReport, console: Console) -> None:
    headers = [f"From:    {delivery.sender}", f"To:      {delivery.recipient}"]
    if delivery.cc:
        headers.append(f"Cc:      {', '.join(delivery.cc)}")
    headers.append(f"Subject: {delivery.subject}")
    console.print(f"\n[bold]Email to {escape(delivery.recipient)}[/]")
    console.print(Panel(Text("\n".join(headers) + "\n\n" + delivery.text.rstrip()), width=MESSAGE_WIDTH))


def _operator_alerts(user: UserReport, report: SimulationReport) -> list[NotificationReport]:
    if user.execution is None:
        return []
    return [a for a in report.operator_alerts if user.execution.arn in a.message]


def _print_user(user: UserReport, report: SimulationReport, console: Console) -> None:
    style = outcome_style(user.outcome)
    console.rule(f"[bold]{user.name}[/] - [{style}]{user.outcome}[/]", align="left")
    console.print(Text(user.reason, style="italic"))
    if user.execution:
        run = user.execution
        console.print(
            f"\n[bold]Workflow[/]: {run.status}, {run.state_transitions} state transitions, "
            f"{run.function_invocations} function invocations, "
            f"{run.simulated_seconds:.0f} s simulated"
        )
        console.print(Text("  " + " -> ".join(collapse_repeats(run.path))))
        if run.error:
            console.print(Text(f"  error {run.error}: {run.cause}", style="red"))
    console.print("\n[bold]Keys before and after[/]")
    console.print(_keys_table(user))
    if report.run is not None and report.run.days:
        keys_now = ", ".join(f"{key} {status}" for key, status in user.keys_in_iam.items()) or "none"
        console.print(Text(f"In IAM after day {report.run.days}: {keys_now}"))
    if user.password_result:
        console.print(
            Text.assemble(
                "Console password: ", (user.password_result, password_result_style(user.password_result))
            )
        )
    published = _owner_notifications(user, report)
    for note in published:
        attributes = ", ".join(f"{name}={value}" for name, value in sorted(note.attributes.items()))
        console.print(
            Text.assemble("\n", ("Published to the owners' topic (SNS)", "bold"), ": ", note.subject)
        )
        console.print(Text(f"  message attributes: {attributes}"))
    deliveries = _deliveries(user, report)
    for delivery in deliveries:
        _print_delivery(delivery, console)
    if not deliveries:  # no forwarder took it (filter policies): show what was published
        for note in published:
            console.print(f"\n[bold]Notification published for {note.attributes.get('owner_email', '?')}[/]")
            console.print(
                Panel(Text(note.message), title=Text(note.subject), title_align="left", width=MESSAGE_WIDTH)
            )
    for alert in _operator_alerts(user, report):
        console.print("\n[bold red]Operator alert[/]")
        console.print(
            Panel(Text(alert.message), title=Text(alert.subject), title_align="left", width=MESSAGE_WIDTH)
        )
    _print_lifecycle(user, report, console)
    if user.audit_record:
        record = Table("attribute", "value", box=None, pad_edge=False)
        for name in AUDIT_FIELDS:
            if name in user.audit_record:
                record.add_row(name, str(user.audit_record[name]))
        for key in user.audit_record.get("keys", []):
            record.add_row(f"keys[{key['access_key_id']}]", f"{key['result']} (age {key['age_days']} days)")
        console.print("\n[bold]Audit record[/]")
        console.print(record)
    console.print()


def print_report(report: SimulationReport, console: Console) -> None:
    """One panel per user, then a summary line."""
    days = f", {report.run.days} daily sweeps after day 0" if report.run and report.run.days else ""
    console.print(
        f"maxAccessKeyAge {report.max_access_key_age} days, "
        f"MaxCredentialUsageAge {report.max_credential_usage_age} days{days}\n"
    )
    for user in report.users:
        _print_user(user, report, console)
    titles = ", ".join(channel_named(name).title for name in report.notification_channels)
    counts: dict[str, int] = {}
    for user in report.users:
        counts[user.outcome] = counts.get(user.outcome, 0) + 1
    findings: dict[str, int] = {}
    for finding in (f for user in report.users for f in user.findings):
        findings[finding.status] = findings.get(finding.status, 0) + 1
    findings_line = (
        "; findings: " + ", ".join(f"{status} {n}" for status, n in sorted(findings.items()))
        if findings
        else ""
    )
    console.print(
        "Outcomes: "
        + ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items()))
        + f"; {len(report.notifications)} owner notification(s), "
        + f"{len(report.deliveries)} delivered ({titles}), "
        + f"{len(report.operator_alerts)} operator alert(s)"
        + findings_line
    )
