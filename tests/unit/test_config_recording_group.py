"""Which recording groups record AWS::IAM::User, by the rules of Config's RecordingGroup reference."""

from __future__ import annotations

from typing import Any

import pytest

from keywarden.sandbox.config.recorder import recording_group, records_iam_users


@pytest.mark.parametrize(
    ("group", "records"),
    [
        # allSupported alone excludes the global IAM resource types.
        ({"allSupported": True, "includeGlobalResourceTypes": False}, False),
        ({"allSupported": True}, False),
        ({"allSupported": True, "includeGlobalResourceTypes": True}, True),
        (
            {
                "allSupported": True,
                "includeGlobalResourceTypes": True,
                "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
            },
            True,
        ),
        # Listed types are recorded whatever includeGlobalResourceTypes says.
        ({"allSupported": False, "resourceTypes": ["AWS::IAM::User"]}, True),
        ({"allSupported": False, "resourceTypes": ["AWS::IAM::Role", "AWS::S3::Bucket"]}, False),
        # Exclusion records the global IAM types unless they are excluded.
        (
            {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
            True,
        ),
        (
            {
                "allSupported": False,
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::User"]},
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            },
            False,
        ),
    ],
)
def test_recording_group_rules(group: dict[str, Any], records: bool) -> None:
    """Given a recording group as DescribeConfigurationRecorders shows it, When asked whether it records
    IAM users, Then it does exactly when the RecordingGroup reference says it does."""
    assert records_iam_users(group) is records


def test_the_sandbox_groups_say_what_they_are_asked() -> None:
    """Given the console's group with and without global resources, When the sandbox builds them,
    Then only the one with global resources records IAM users."""
    assert (records_iam_users(recording_group(True)), records_iam_users(recording_group(False))) == (
        True,
        False,
    )
