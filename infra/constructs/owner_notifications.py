"""Owner notifications: the Slack and email forwarders on the owners' topic, and what each may use.

- Slack: the webhook secret (no value in the template; the operator puts it once), read by the
  Slack forwarder alone.
- Email: the SES sender identity, used by the email forwarder alone, for its one From address.
"""

from __future__ import annotations

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
from notifications import FORWARDER_HANDLERS


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

        def forwarder(
            channel: str, environment: dict[str, str], purpose: str, concurrency: int | None = None
        ) -> Forwarder:
            return Forwarder(
                self,
                channel.capitalize(),
                channel=channel,
                handler=FORWARDER_HANDLERS[channel],
                environment=environment,
                purpose=purpose,
                owners=owners,
                package=package,
                settings=settings,
                names=names,
                key=key,
                reserved_concurrency=concurrency,
            )

        self.slack = forwarder(
            "slack",
            settings.slack_forwarder_environment(),
            "posts owner notifications to Slack with the webhook secret",
            settings.slack_forwarder_concurrency or None,
        )
        self.email = forwarder(
            "email",
            settings.email_forwarder_environment(),
            f"emails owner notifications through SES from {settings.notification_sender_email}",
        )
        self.webhook_secret = self._webhook_secret(settings, key)
        self._allow_reading_the_webhook(self.slack.role, key)
        if settings.create_sender_identity:
            self.sender_identity: ses.EmailIdentity | None = ses.EmailIdentity(
                self, "SenderIdentity", identity=ses.Identity.email(settings.notification_sender_email)
            )
        else:
            self.sender_identity = None
        self._allow_sending_as_the_sender(self.email.role, settings)
        self.forwarders = {"slack": self.slack, "email": self.email}

    def _webhook_secret(self, settings: DeploymentSettings, key: EncryptionKey) -> secretsmanager.Secret:
        # No value in the template: CloudFormation stores a random placeholder, which the Slack
        # forwarder refuses ("the Slack webhook secret is not usable") until the operator puts
        # the webhook with `aws secretsmanager put-secret-value` (README, "Deploying to AWS").
        secret = secretsmanager.Secret(
            self,
            "SlackWebhook",
            secret_name=settings.slack_webhook_secret_name,
            description="keywarden: Slack incoming webhook URL(s) of owner notifications "
            '(a URL, or {"default": url, "channels": {"#name": url}})',
            encryption_key=key.key,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "A Slack incoming webhook URL cannot be rotated by Secrets Manager: it is revoked and "
            "re-created in Slack, then put in this secret by the operator.",
        )
        return secret

    def _allow_reading_the_webhook(self, role: iam.IRole, key: EncryptionKey) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTheSlackWebhook",
                actions=["secretsmanager:GetSecretValue"],
                resources=[self.webhook_secret.secret_arn],
            )
        )
        # The secret is under keywarden's key: decrypt through Secrets Manager, for this secret only.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptTheSlackWebhook",
                actions=["kms:Decrypt"],
                resources=[key.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": self.webhook_secret.secret_arn,
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
