"""The scenario `keywarden demo` runs: the case keywarden exists for.

alice and bob each have one access key created 120 days ago. alice never used hers: the runbook
deactivates it. bob used his today: the runbook silently leaves it active, and without keywarden
nobody would know. bob's owner and his team's Slack channel are in his tags: keywarden posts to
the channel and emails the owner.

Then nine days pass, one daily sweep each. The first opens a finding for bob's key: deadline 14
days after the first notice. On day 7 (7 days before it) bob is reminded; on day 9 he rotates the
key (a new one, the old one deleted) and that day's sweep closes the finding RESOLVED.
"""

from __future__ import annotations

from keywarden.scenario import KeySpec, Scenario, UserSpec

DEMO_DAYS = 9
BOB_ROTATES_ON_DAY = 9

DEMO_SCENARIO = Scenario(
    max_access_key_age=90,
    max_credential_usage_age=90,
    days=DEMO_DAYS,
    users=[
        UserSpec(name="alice", keys=[KeySpec(created_days_ago=120, last_used_days_ago=None)]),
        UserSpec(
            name="bob",
            tags={
                "owner-email": "bob.owner@example.com",
                "slack-channel": "payments-alerts",  # IAM tag values cannot hold "#"
                "team": "payments",
            },
            keys=[
                KeySpec(
                    created_days_ago=120,
                    last_used_days_ago=0,
                    last_used_service="s3",
                    last_used_region="eu-west-1",
                    rotated_on_day=BOB_ROTATES_ON_DAY,
                )
            ],
        ),
    ],
)
