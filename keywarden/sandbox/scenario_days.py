"""A scenario's days after Config's first evaluation (day 0): what owners, Config and the sweep do each day.

Each day d (1..days) the clock moves to the sweep's time of day on day d (the deployment's
sweepSchedule, `cron(0 6 * * ? *)`: 06:00 UTC), and then, in this order:
1. a `dry_run_until_day` of d redeploys with dryRun false;
2. owners act: a key `rotated_on_day` d is deleted and a new one created, a key
   `deactivated_on_day` d made Inactive, and every other key in use (`last_used_days_ago` set)
   is used again while Active;
3. AWS Config evaluates ACCESS_KEYS_ROTATED (periodic) and sends a compliance-change event for each
   user that turned NON_COMPLIANT (none for a user whose events are lost), delivered and run until
   idle;
4. EventBridge Scheduler starts the sweep, which runs, with what it starts, until idle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from domain.config_rule import NON_COMPLIANT
from keywarden.sandbox import Sandbox, ScheduledEvent
from keywarden.sandbox.fixtures.iam_users import CreatedUser
from keywarden.sandbox.fixtures.key_changes import key_deactivated, key_rotated, key_used
from keywarden.scenario import KeySpec, Scenario, UserSpec

_DAILY_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")


def sweep_time_of_day(schedule: str) -> time:
    """The UTC time of a daily sweepSchedule (`cron(M H * * ? *)`); the sandbox runs no other kind."""
    match = _DAILY_CRON.match(schedule)
    if match is None:
        raise ValueError(f"the sandbox simulates a daily sweepSchedule, cron(M H * * ? *), not {schedule}")
    minute, hour = int(match.group(1)), int(match.group(2))
    return time(hour, minute, tzinfo=UTC)


def day_moment(day_zero: date, day: int, at: time) -> datetime:
    """When day `day`'s sweep runs: its date (day 0's + day) at the sweep's time."""
    return datetime.combine(day_zero + timedelta(days=day), at)


def day_of(moment: datetime | date, day_zero: date) -> int:
    """Days since day 0 (a UTC date)."""
    moment_date = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return (moment_date - day_zero).days


@dataclass
class _Key:
    spec: KeySpec
    key_id: str
    replaced: bool = False
    """Rotated: `key_id` is the new key, which the spec's day changes no longer concern."""


@dataclass
class _User:
    spec: UserSpec
    created: CreatedUser
    keys: list[_Key]


@dataclass
class ScenarioDays:
    """Runs a scenario's days in a sandbox whose day 0 has run."""

    sandbox: Sandbox
    scenario: Scenario
    day_zero: date
    users: list[_User] = field(default_factory=list)
    events: dict[str, list[ScheduledEvent]] = field(default_factory=dict)
    """User name -> the compliance-change events Config sent for it on days 1.., in order (a lost
    one never published)."""

    @classmethod
    def following(
        cls, sandbox: Sandbox, scenario: Scenario, created: Sequence[CreatedUser], day_zero: date
    ) -> ScenarioDays:
        users = [
            _User(
                spec,
                user,
                [_Key(k, key_id) for k, key_id in zip(spec.keys, user.access_key_ids, strict=True)],
            )
            for spec, user in zip(scenario.users, created, strict=True)
        ]
        return cls(sandbox, scenario, day_zero, users)

    def run_day(self, day: int) -> None:
        sandbox = self.sandbox
        moment = day_moment(self.day_zero, day, sweep_time_of_day(sandbox.settings.sweep_schedule))
        sandbox.scheduler.run_until(moment)
        if sandbox.clock.now() < moment:
            sandbox.clock.move_to(moment)
        if self.scenario.dry_run_until_day == day:
            sandbox.redeploy(dry_run=False)
        for user in self.users:
            if not user.spec.deleted_before_remediation:
                self._owner_acts(user, day)
        self._config_evaluates()
        sandbox.run_sweep()

    def _owner_acts(self, user: _User, day: int) -> None:
        sandbox, now = self.sandbox, self.sandbox.clock.now()
        for key in user.keys:
            if not key.replaced and key.spec.rotated_on_day == day:
                key.key_id = key_rotated(sandbox.account_id, sandbox.region, user.spec.name, key.key_id, now)
                key.replaced = True
            elif not key.replaced and key.spec.deactivated_on_day == day:
                key_deactivated(sandbox.region, user.spec.name, key.key_id)
            elif key.spec.in_use:
                spec = key.spec
                key_used(
                    sandbox.account_id,
                    user.spec.name,
                    key.key_id,
                    now,
                    spec.last_used_service,
                    spec.last_used_region,
                )

    def _config_evaluates(self) -> None:
        sandbox = self.sandbox
        by_id = {user.created.user_id: user.spec for user in self.users}
        with sandbox.scheduler.paused():
            for change in sandbox.evaluate_config_rule():
                spec = by_id.get(change.resource_id)
                if spec is None or change.current != NON_COMPLIANT:
                    continue
                event = (
                    ScheduledEvent()  # Config sent it; it never arrived
                    if spec.event_lost
                    else sandbox.publish_at(
                        0,
                        partial(sandbox.compliance_change, change.resource_id),
                        copies=spec.duplicate_events,
                    )
                )
                self.events.setdefault(spec.name, []).append(event)
