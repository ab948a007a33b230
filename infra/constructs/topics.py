"""The SNS topics: owners (key owners are told) and operators (failures, alarms)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


def _topic(
    scope: Construct, construct_id: str, name: str, display_name: str, key: kms.IKey, emails: Sequence[str]
) -> sns.Topic:
    topic = sns.Topic(
        scope,
        construct_id,
        topic_name=name,
        display_name=display_name,
        master_key=key,
        enforce_ssl=True,
    )
    for email in emails:
        topic.add_subscription(subscriptions.EmailSubscription(email))
    return topic


class Topics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        owners_name: str,
        operators_name: str,
        key: kms.IKey,
        owner_emails: Sequence[str],
        operator_emails: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.owners = _topic(self, "Owners", owners_name, "keywarden: key owners", key, owner_emails)
        self.operators = _topic(
            self, "Operators", operators_name, "keywarden: operators", key, operator_emails
        )
