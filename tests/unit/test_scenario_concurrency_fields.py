"""The scenario's concurrency fields: SSM's quotas, duplicate and timed events, API rate limits."""

from __future__ import annotations

import json

import pytest

from keywarden.scenario import ScenarioError, parse_scenario

USER = {"name": "alice", "keys": [{"created_days_ago": 120}]}


def test_defaults_are_aws_quotas_one_delivery_at_the_start_and_no_rate_overrides() -> None:
    """Given a scenario that says nothing of concurrency, When it is read, Then SSM's quotas are AWS's,
    each user's event is delivered once at the start, and no API rate is overridden."""
    scenario = parse_scenario(json.dumps({"users": [USER]}), "scenario.json")
    assert (scenario.ssm.concurrent_automations, scenario.ssm.queued_automations) == (100, 1000)
    assert (scenario.users[0].duplicate_events, scenario.users[0].event_at_seconds) == (1, 0)
    assert scenario.throttling == {}


def test_the_fields_are_read_as_written() -> None:
    # Given the fields set for SSM, throttling and a user's deliveries
    text = json.dumps(
        {
            "ssm": {"concurrent_automations": 5, "queued_automations": 0},
            "throttling": {"iam:GetUser": {"burst": 10, "per_second": 2.5}},
            "users": [{**USER, "duplicate_events": 2, "event_at_seconds": 90}],
        }
    )

    # When the scenario is read
    scenario = parse_scenario(text, "scenario.json")

    # Then each is read as written
    assert (scenario.ssm.concurrent_automations, scenario.ssm.queued_automations) == (5, 0)
    assert scenario.throttling["iam:GetUser"].per_second == 2.5
    assert (scenario.users[0].duplicate_events, scenario.users[0].event_at_seconds) == (2, 90)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"ssm": {"concurrent_automations": 0}}, "ssm.concurrent_automations"),
        ({"throttling": {"GetUser": {"burst": 1, "per_second": 1}}}, "throttling.GetUser"),
        ({"users": [{**USER, "duplicate_events": 0}]}, "users.0.duplicate_events"),
        ({"users": [{**USER, "event_at_seconds": -1}]}, "users.0.event_at_seconds"),
    ],
)
def test_bad_values_are_refused_where_they_are(change: dict[str, object], where: str) -> None:
    """Given one out-of-range value, When the scenario is read, Then it is refused, saying where."""
    with pytest.raises(ScenarioError, match=where.replace(".", r"\.")):
        parse_scenario(json.dumps({"users": [USER], **change}), "scenario.json")
