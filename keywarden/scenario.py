"""Scenarios for `keywarden simulate`: IAM users, their keys and password, and the settings.

Times are whole days before the moment the simulation starts (`..._days_ago`), or days after it
(`..._on_day`: day 0 is Config's first evaluation, day N the N-th daily sweep after it; a
scenario runs `days` of them). The format is documented in the README;
`Scenario.model_json_schema()` gives its JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from deployment.channel_settings import check_channel_names
from domain.config_rule import DEFAULT_MAX_ACCESS_KEY_AGE_DAYS
from domain.coordination import MAX_AUTOMATION_SLOTS, automation_slots_for
from domain.exemptions import DEFAULT_MAX_EXEMPTION_DAYS, MAX_EXEMPTION_DAYS_CEILING
from domain.findings import (
    DEFAULT_ENFORCEMENT_DELAY_DAYS,
    DEFAULT_GRACE_PERIOD_DAYS,
    DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE,
    LifecyclePolicy,
)
from domain.runbook import AutomationStatus
from keywarden.iam_names import check_path, check_tags, check_user_name

ACCESS_KEY_ID = r"^AKIA[A-Z0-9]{16}$"
MAX_KEYS_PER_USER = 2  # IAM's limit
MAX_DAYS = 400
"""The longest simulated lifecycle: a year of sweeps, and some."""


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is not valid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeySpec(_Strict):
    id: str | None = Field(default=None, pattern=ACCESS_KEY_ID)
    created_days_ago: int = Field(ge=0, le=36500)
    last_used_days_ago: int | None = Field(default=None, ge=0)
    status: Literal["Active", "Inactive"] = "Active"
    last_used_service: str = "s3"
    last_used_region: str = "us-east-1"
    rotated_on_day: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    """On this day, before the sweep, the owner deletes this key and creates a new one."""
    deactivated_on_day: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    """On this day, before the sweep, the owner makes this key Inactive."""

    @model_validator(mode="after")
    def _used_after_created(self) -> KeySpec:
        if self.last_used_days_ago is not None and self.last_used_days_ago > self.created_days_ago:
            raise ValueError("a key cannot be last used before it was created")
        return self

    @model_validator(mode="after")
    def _changes_in_order(self) -> KeySpec:
        if self.deactivated_on_day is not None and self.status == "Inactive":
            raise ValueError("deactivated_on_day: the key is Inactive already")
        if (
            self.deactivated_on_day is not None
            and self.rotated_on_day is not None
            and self.deactivated_on_day >= self.rotated_on_day
        ):
            raise ValueError("deactivated_on_day must come before rotated_on_day (a rotated key is gone)")
        return self

    @property
    def in_use(self) -> bool:
        """Used (`last_used_days_ago` set): it keeps being used, day after day, while Active."""
        return self.last_used_days_ago is not None


class PasswordSpec(_Strict):
    created_days_ago: int = Field(ge=0, le=36500)
    last_used_days_ago: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _used_after_created(self) -> PasswordSpec:
        if self.last_used_days_ago is not None and self.last_used_days_ago > self.created_days_ago:
            raise ValueError("a password cannot be last used before it was created")
        return self


class AutomationSpec(_Strict):
    """How the emulated runbook behaves (for rehearsing faults)."""

    duration_seconds: float = Field(default=30.0, ge=0)
    final_status: AutomationStatus = AutomationStatus.SUCCESS
    failure_message: str | None = None
    refused_starts: int = Field(default=0, ge=0)
    verification_fails: bool = False
    """The runbook revokes what it should, but its last step reads IAM too soon (IAM is eventually
    consistent), still sees a key Active and fails: VERIFICATION FAILED. ACCESS KEY ... NOT DEACTIVATED."""
    fail_first_runs: int = Field(default=0, ge=0, le=100)
    """The first this many runbook runs for a user end Failed (changing nothing); later ones behave as set."""


class UserSpec(_Strict):
    name: Annotated[str, AfterValidator(check_user_name)]
    path: Annotated[str, AfterValidator(check_path)] = "/"
    """The IAM path (part of the user's ARN)."""
    tags: Annotated[dict[str, str], AfterValidator(check_tags)] = Field(default_factory=dict)
    keys: list[KeySpec] = Field(default_factory=list, max_length=MAX_KEYS_PER_USER)
    password: PasswordSpec | None = None
    automation: AutomationSpec | None = None
    deleted_before_remediation: bool = False
    """Config's event arrives, but the user was deleted in the meantime."""
    discovered_by_config: bool = True
    """False: AWS Config's inventory does not list the user (ListDiscoveredResources finds nothing)."""
    duplicate_events: int = Field(default=1, ge=1, le=10)
    """How many times EventBridge delivers the user's event (same event id: at-least-once delivery)."""
    event_at_seconds: float = Field(default=0, ge=0, le=7 * 86_400)
    """When Config's event arrives, in simulated seconds after the simulation starts."""
    event_lost: bool = False
    """Config's compliance-change events for this user never reach keywarden (on every day)."""


class ExemptionSpec(_Strict):
    """An exemption in the exemption table when the scenario starts."""

    user: str = Field(min_length=1)
    """A user name or ARN pattern (`*`, `?`)."""
    reason: str = Field(min_length=1)
    expires_days: int = Field(ge=-3650, le=3650)
    """Days from now until it expires; negative: it expired that many days ago."""
    added_days_ago: int | None = Field(default=None, ge=0)
    """When it was added (default: today, or 30 days before an expiry in the past)."""

    @model_validator(mode="after")
    def _added_before_expiry(self) -> ExemptionSpec:
        if self.added_days_ago is not None and -self.added_days_ago >= self.expires_days:
            raise ValueError("an exemption is added before it expires")
        return self

    @property
    def added_days(self) -> int:
        if self.added_days_ago is not None:
            return self.added_days_ago
        return 0 if self.expires_days > 0 else 30 - self.expires_days


class SsmSpec(_Strict):
    """SSM Automation's concurrency quotas (AWS's defaults: 100 running, 1,000 Pending)."""

    concurrent_automations: int = Field(default=100, ge=1, le=10_000)
    queued_automations: int = Field(default=1000, ge=0, le=100_000)


class BucketSpecModel(_Strict):
    """A token bucket: `burst` calls at once, refilled at `per_second` calls per simulated second."""

    burst: float = Field(ge=0)
    per_second: float = Field(ge=0)


ThrottledApi = Annotated[str, Field(pattern=r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")]
"""A throttled API: the boto3 service name and AWS's action name, "iam:GetUser"."""


class Scenario(_Strict):
    max_access_key_age: int = Field(default=DEFAULT_MAX_ACCESS_KEY_AGE_DAYS, ge=1, le=3650)
    max_credential_usage_age: int | None = Field(default=None, ge=1, le=3650)
    security_contact_email: str = "security@example.com"
    dry_run: bool = False
    """Deploy keywarden in dry-run mode: predict, notify and record, change nothing."""
    max_exemption_days: int = Field(default=DEFAULT_MAX_EXEMPTION_DAYS, ge=1, le=MAX_EXEMPTION_DAYS_CEILING)
    notification_channels: tuple[str, ...] | None = Field(default=None, min_length=1)
    """The channels owners are told through (names of notifications/channels/); None: the
    deployment's default (notificationChannels)."""
    exemptions: list[ExemptionSpec] = Field(default_factory=list)
    automation: AutomationSpec = Field(default_factory=AutomationSpec)
    config_records_iam_users: bool = True
    """False: the account's Config recorder does not record AWS::IAM::User (global IAM resources),
    so Config discovers no user."""
    ssm: SsmSpec = Field(default_factory=SsmSpec)
    max_concurrent_automations: int | None = Field(default=None, ge=1, le=MAX_AUTOMATION_SLOTS)
    """keywarden's maxConcurrentAutomations (its automation slots); None: as the README tells a deployer
    to set it, the account's running quota plus half as many of its queue (`automation_slots`)."""
    throttling: dict[ThrottledApi, BucketSpecModel] = Field(default_factory=dict)
    """Token buckets by "service:Action" (e.g. "iam:GetUser"), replacing the sandbox's defaults."""
    days: int = Field(default=0, ge=0, le=MAX_DAYS)
    """Daily sweeps simulated after Config's first evaluation (day 0); 0: the first evaluation only."""
    dry_run_until_day: int | None = Field(default=None, ge=0, le=MAX_DAYS)
    """Deployed in dry-run mode, switched to enforcement (dryRun false) on this day, before the sweep."""
    grace_period_days: int = Field(default=DEFAULT_GRACE_PERIOD_DAYS, ge=0, le=365)
    reminder_days_before_deadline: tuple[int, ...] = DEFAULT_REMINDER_DAYS_BEFORE_DEADLINE
    enforce_after_deadline: bool = False
    enforcement_delay_days: int = Field(default=DEFAULT_ENFORCEMENT_DELAY_DAYS, ge=0, le=365)
    users: list[UserSpec] = Field(min_length=1)

    @field_validator("reminder_days_before_deadline")
    @classmethod
    def _reminder_cadence(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        try:
            return LifecyclePolicy(reminder_days_before_deadline=value).reminder_days_before_deadline
        except ValidationError as error:  # the policy's own rule, said here
            raise ValueError(error.errors()[0]["msg"].removeprefix("Value error, ")) from error

    @model_validator(mode="after")
    def _days_within_the_run(self) -> Scenario:
        late = [
            f"users[{u}] {user.name}: keys[{k}].{field} is day {day}"
            for u, user in enumerate(self.users)
            for k, key in enumerate(user.keys)
            for field, day in (
                ("rotated_on_day", key.rotated_on_day),
                ("deactivated_on_day", key.deactivated_on_day),
            )
            if day is not None and day > self.days
        ]
        if self.dry_run_until_day is not None and self.dry_run_until_day > self.days:
            late.append(f"dry_run_until_day is day {self.dry_run_until_day}")
        if late:
            raise ValueError(
                f"after the scenario's last day (days: {self.days}; set days to simulate more): "
                + "; ".join(late)
            )
        if self.dry_run and self.dry_run_until_day is not None:
            raise ValueError(
                "dry_run keeps dry-run mode for the whole run, dry_run_until_day ends it that day: give one"
            )
        return self

    @field_validator("notification_channels")
    @classmethod
    def _registered_channels(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else check_channel_names(value)

    @model_validator(mode="after")
    def _unique_names_and_keys(self) -> Scenario:
        names = [u.name.lower() for u in self.users]  # IAM user names are case-insensitive
        if len(set(names)) != len(names):
            raise ValueError("user names must be unique (IAM ignores case)")
        ids = [k.id for u in self.users for k in u.keys if k.id]
        if len(set(ids)) != len(ids):
            raise ValueError("access key ids must be unique")
        return self

    @property
    def credential_usage_age(self) -> int:
        return self.max_credential_usage_age or self.max_access_key_age

    @property
    def deployed_in_dry_run(self) -> bool:
        """Dry-run mode on day 0 (`dry_run`, or `dry_run_until_day` after day 0)."""
        return self.dry_run or bool(self.dry_run_until_day)

    @property
    def lifecycle(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            grace_period_days=self.grace_period_days,
            reminder_days_before_deadline=self.reminder_days_before_deadline,
            enforce_after_deadline=self.enforce_after_deadline,
            enforcement_delay_days=self.enforcement_delay_days,
        )

    @property
    def automation_slots(self) -> int:
        return self.max_concurrent_automations or automation_slots_for(
            self.ssm.concurrent_automations, self.ssm.queued_automations
        )


def config_finds_stale_key(user: UserSpec, max_access_key_age: int) -> bool:
    """ACCESS_KEYS_ROTATED: NON_COMPLIANT when an active key is max_access_key_age days old or more."""
    return any(k.status == "Active" and k.created_days_ago >= max_access_key_age for k in user.keys)


def parse_scenario(text: str | bytes, source: str) -> Scenario:
    """Validate a scenario's JSON text; ScenarioError says what is wrong and where."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"{source} is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'scenario'}: {e['msg']}" for e in error.errors()]
        raise ScenarioError(f"{source} is not a valid scenario:\n  " + "\n  ".join(problems)) from error


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; ScenarioError says what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"cannot read {path}: {error.strerror}") from error
    return parse_scenario(text, str(path))
