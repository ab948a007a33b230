"""Owner notifications: one forwarder per selected channel on the owners' topic, and what each may use.

What a channel needs comes from its registry entry (notifications/channels/):
- a webhook channel: its webhook secret (no value in the template; the operator puts it once),
  read by that channel's forwarder alone;
- the email channel: the SES sender identity, used by the email forwarder alone, for its one
  From address.
"""

from __future__ import annotations

from typing import assert_never

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from deployment.names import ResourceNames
from deployment.settings import DeploymentSettings
from infra.constructs.encryption_key import EncryptionKey
from infra.constructs.forwarder import Forwarder
from infra.constructs.functions import FunctionPackage
from infra.nag import acknowledge
from notifications.channels import Channel, EmailChannel, WebhookChannel


def _construct_id(name: str) -> str:
    """`slack` -> `Slack` (the forwarder's construct: its logical ids stay as they were)."""
    return name.capitalize()


def _purpose(channel: Channel, settings: DeploymentSettings) -> str:
    """What the forwarder's role is for (its description)."""
    match channel:
        case WebhookChannel():
            return f"posts owner notifications to {channel.title} with the webhook secret"
        case EmailChannel():
            return f"emails owner notifications through SES from {settings.notification_sender_email}"
        case _:
            assert_never(channel)


class OwnerNotifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        names: ResourceNames,
        key: EncryptionKey,
        package: FunctionPackage,
        owners: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.forwarders: dict[str, Forwarder] = {}
        self.webhook_secrets: dict[str, secretsmanager.Secret] = {}
        self.sender_identity: ses.EmailIdentity | None = None
        for channel in settings.channels:
            forwarder = Forwarder(
                self,
                _construct_id(channel.name),
                channel=channel.name,
                purpose=_purpose(channel, settings),
                owners=owners,
                package=package,
                settings=settings,
                names=names,
                key=key,
            )
            self.forwarders[channel.name] = forwarder
            self._provide(channel, forwarder.role, settings, key)

    def _provide(
        self, channel: Channel, role: iam.IRole, settings: DeploymentSettings, key: EncryptionKey
    ) -> None:
        """What the channel's entry says it needs, and the forwarder's right to use it (nothing more)."""
        match channel:
            case WebhookChannel():
                secret = self._webhook_secret(channel, settings.webhook_secret_name(channel.name), key)
                self._allow_reading_the_webhook(role, channel, secret, key)
                self.webhook_secrets[channel.name] = secret
            case EmailChannel():
                if settings.create_sender_identity:
                    self.sender_identity = ses.EmailIdentity(
                        self,
                        "SenderIdentity",
                        identity=ses.Identity.email(settings.notification_sender_email),
                    )
                self._allow_sending_as_the_sender(role, settings)
            case _:
                assert_never(channel)

    def _webhook_secret(
        self, channel: WebhookChannel, name: str, key: EncryptionKey
    ) -> secretsmanager.Secret:
        # No value in the template: CloudFormation stores a random placeholder, which the forwarder
        # refuses ("the Slack webhook secret is not usable") until the operator puts the webhook
        # with `aws secretsmanager put-secret-value` (README, "Deploying to AWS").
        secret = secretsmanager.Secret(
            self,
            f"{_construct_id(channel.name)}Webhook",
            secret_name=name,
            description=channel.secret.description,
            encryption_key=key.key,
        )
        acknowledge(secret, "AwsSolutions-SMG4", channel.secret.not_rotated_because)
        return secret

    @staticmethod
    def _allow_reading_the_webhook(
        role: iam.IRole, channel: WebhookChannel, secret: secretsmanager.Secret, key: EncryptionKey
    ) -> None:
        service = _construct_id(channel.name)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=f"ReadThe{service}Webhook",
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret.secret_arn],
            )
        )
        # The secret is under keywarden's key: decrypt through Secrets Manager, for this secret only.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=f"DecryptThe{service}Webhook",
                actions=["kms:Decrypt"],
                resources=[key.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": secret.secret_arn,
                    }
                },
            )
        )

    def _allow_sending_as_the_sender(self, role: iam.IRole, settings: DeploymentSettings) -> None:
        arn = Stack.of(self).format_arn
        # SES authorizes a send on the identity that verified the sender: the address itself or
        # its domain. The condition keeps either to the one From address.
        identities = (settings.notification_sender_email, settings.notification_sender_domain)
        resources = [arn(service="ses", resource="identity", resource_name=i) for i in identities]
        if settings.ses_configuration_set:
            resources.append(
                arn(service="ses", resource="configuration-set", resource_name=settings.ses_configuration_set)
            )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="SendOwnerEmailsFromTheSender",
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=resources,
                conditions={"StringEquals": {"ses:FromAddress": settings.notification_sender_email}},
            )
        )
