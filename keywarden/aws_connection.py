"""Reaching a keywarden table: credentials, region, endpoint and table name, and AWS's errors in words.

The table name comes from --table, else an environment variable (KEYWARDEN_AUDIT_TABLE,
KEYWARDEN_EXEMPTION_TABLE), else (against a keywarden sandbox) the sandbox itself, else the
CloudFormation output of the stack (--stack-name, default `keywarden`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)

from deployment.outputs import (
    AUDIT_TABLE_OUTPUT,
    DEFAULT_STACK_NAME,
    EXEMPTION_TABLE_OUTPUT,
    FINDINGS_TABLE_OUTPUT,
    REMEDIATION_STATE_MACHINE_OUTPUT,
    SWEEP_STATE_MACHINE_OUTPUT,
)
from keywarden.cli_errors import CommandError
from keywarden.sandbox_client import (
    SandboxDescription,
    SandboxError,
    checked_url,
    describe_sandbox,
    is_loopback,
)


@dataclass(frozen=True)
class ResourceTarget:
    """Which keywarden table or workflow a command works on, and where its name or ARN can be found."""

    description: str
    environment_variable: str
    stack_output: str
    sandbox_attribute: str
    """The attribute of `SandboxDescription` holding the table's name in a keywarden sandbox."""
    access_hint: str
    """What a person denied access needs (shown with the error)."""
    option: str = "--table"
    """The command-line option that names it."""


AUDIT_TABLE = ResourceTarget(
    description="audit table",
    environment_variable="KEYWARDEN_AUDIT_TABLE",
    stack_output=AUDIT_TABLE_OUTPUT,
    sandbox_attribute="table_name",
    access_hint=(
        "auditors need dynamodb:Query on the audit table and its indexes: README, 'The auditor policy'"
    ),
)
EXEMPTION_TABLE = ResourceTarget(
    description="exemption table",
    environment_variable="KEYWARDEN_EXEMPTION_TABLE",
    stack_output=EXEMPTION_TABLE_OUTPUT,
    sandbox_attribute="exemption_table_name",
    access_hint="only security administrators may change exemptions: README, 'Exemptions'",
)
FINDINGS_TABLE = ResourceTarget(
    description="findings table",
    environment_variable="KEYWARDEN_FINDINGS_TABLE",
    stack_output=FINDINGS_TABLE_OUTPUT,
    sandbox_attribute="findings_table_name",
    access_hint="auditors need dynamodb:Query on the findings table and its indexes",
    option="--findings-table",
)
REMEDIATION_WORKFLOW = ResourceTarget(
    description="remediation workflow",
    environment_variable="KEYWARDEN_STATE_MACHINE_ARN",
    stack_output=REMEDIATION_STATE_MACHINE_OUTPUT,
    sandbox_attribute="state_machine_arn",
    access_hint="starting one needs states:StartExecution and states:DescribeExecution on it",
    option="--state-machine-arn",
)
SWEEP_WORKFLOW = ResourceTarget(
    description="sweep workflow",
    environment_variable="KEYWARDEN_SWEEP_STATE_MACHINE_ARN",
    stack_output=SWEEP_STATE_MACHINE_OUTPUT,
    sandbox_attribute="sweep_state_machine_arn",
    access_hint="starting one needs states:StartExecution and states:DescribeExecution on it",
    option="--state-machine-arn",
)
TABLE_ENVIRONMENT_VARIABLE = AUDIT_TABLE.environment_variable
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)
_REJECTED_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
}
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)
_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}


@dataclass(frozen=True)
class ConnectionOptions:
    table: str | None = None
    stack_name: str = DEFAULT_STACK_NAME
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True)
class TableConnection:
    client: Any
    """A boto3 DynamoDB client."""
    table: str
    region: str
    endpoint_url: str | None
    target: ResourceTarget = AUDIT_TABLE
    session: boto3.Session | None = None

    def where(self) -> str:
        return f"{self.region}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def table_resource(self) -> Any:
        """The table as a boto3 Table resource, whose items are plain Python values."""
        if self.session is None:
            raise CommandError(f"no AWS session to read {self.table}")
        dynamodb = self.session.resource(
            "dynamodb", region_name=self.region, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
        )
        return dynamodb.Table(self.table)


def _session(options: ConnectionOptions) -> boto3.Session:
    try:
        return boto3.Session(profile_name=options.profile)
    except ProfileNotFound as error:
        raise CommandError(f"AWS profile {options.profile!r} not found in the AWS config files") from error


def _with_credentials(session: boto3.Session, endpoint_url: str | None) -> boto3.Session:
    """The session if the standard chain finds credentials; a local endpoint (the sandbox)
    accepts placeholders; anything else without credentials is an error."""
    with aws_errors("reading credentials"):
        found = session.get_credentials()
    if found is not None:
        return session
    if endpoint_url and is_loopback(endpoint_url):
        return boto3.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox")  # noqa: S106
    raise CommandError(
        "no AWS credentials found: sign in (aws sso login, aws configure), "
        "pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    )


def _from_stack(
    session: boto3.Session, region: str, endpoint_url: str | None, stack: str, target: ResourceTarget
) -> str:
    cloudformation = session.client(
        "cloudformation", region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
    )
    hint = (
        f"pass {target.option} or set {target.environment_variable} "
        "(or --stack-name if the stack has another name)"
    )
    try:
        with aws_errors(f"reading stack {stack}"):
            stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except CommandError as error:
        raise CommandError(f"no {target.description} name: {error.message}; {hint}") from error
    outputs = {o["OutputKey"]: o["OutputValue"] for s in stacks for o in s.get("Outputs", [])}
    if target.stack_output not in outputs:
        raise CommandError(f"stack {stack} in {region} has no {target.stack_output} output; {hint}")
    return str(outputs[target.stack_output])


@dataclass(frozen=True)
class AwsSession:
    """Credentials, region and endpoint for keywarden's commands (and the sandbox, if one answers)."""

    session: boto3.Session
    region: str
    endpoint_url: str | None
    sandbox: SandboxDescription | None = None

    def client(self, service: str) -> Any:
        return self.session.client(  # type: ignore[call-overload]
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
        )

    def where(self) -> str:
        return f"{self.region}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")


def open_session(options: ConnectionOptions, *, ask_sandbox: bool = True) -> AwsSession:
    """The session, region and endpoint `options` describe; CommandError says what is missing.

    `ask_sandbox` False: the caller names everything itself and needs no description of a sandbox.
    """
    endpoint_url = None
    sandbox = None
    if options.endpoint_url:
        try:
            endpoint_url = checked_url(options.endpoint_url)
        except SandboxError as error:
            raise CommandError(f"--endpoint-url: {error}") from error
        # A keywarden sandbox listens on loopback only; never send it a question elsewhere.
        if is_loopback(endpoint_url) and (ask_sandbox or options.region is None):
            sandbox = describe_sandbox(endpoint_url)
    session = _session(options)
    region = options.region or (sandbox.region if sandbox else None) or session.region_name
    if not region:
        raise CommandError("no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile")
    return AwsSession(_with_credentials(session, endpoint_url), region, endpoint_url, sandbox)


def resolve_name(aws: AwsSession, given: str | None, stack_name: str, target: ResourceTarget) -> str:
    """A resource's name or ARN: as given, else the sandbox's, else the stack's output."""
    if given:
        return given
    if aws.sandbox is not None:
        known = getattr(aws.sandbox, target.sandbox_attribute, None)
        if not known:
            raise CommandError(
                f"the sandbox at {aws.endpoint_url} has no {target.description} "
                f"(started by an older keywarden?); pass {target.option}"
            )
        return str(known)
    return _from_stack(aws.session, aws.region, aws.endpoint_url, stack_name, target)


def table_connection(aws: AwsSession, table: str, target: ResourceTarget = AUDIT_TABLE) -> TableConnection:
    """A DynamoDB client for `table` in `aws`'s region and endpoint."""
    return TableConnection(
        client=aws.client("dynamodb"),
        table=table,
        region=aws.region,
        endpoint_url=aws.endpoint_url,
        target=target,
        session=aws.session,
    )


def connect(options: ConnectionOptions, target: ResourceTarget = AUDIT_TABLE) -> TableConnection:
    """A DynamoDB client and the table's name; CommandError says what is missing."""
    aws = open_session(options, ask_sandbox=options.table is None)
    return table_connection(aws, resolve_name(aws, options.table, options.stack_name, target), target)


def _error_parts(error: ClientError) -> tuple[str, str, int]:
    """Code, message and HTTP status; a message some endpoints send as XML is reduced to its text."""
    details = error.response.get("Error", {})
    code, message = str(details.get("Code", "")), str(details.get("Message", "") or error)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    embedded = _XML_MESSAGE.search(message)
    if embedded:
        message = embedded.group(1)
    return code, message, status


def _client_error_message(error: ClientError, doing: str, target: ResourceTarget) -> str:
    code, message, status = _error_parts(error)
    if code in _DENIED or status == 403:
        return f"access denied {doing}: {message} ({target.access_hint})"
    if code in _REJECTED_CREDENTIALS:
        return f"AWS refused the credentials {doing} ({code}): they are invalid or expired; sign in again"
    return f"{doing} failed: {code}: {message}"


@contextlib.contextmanager
def aws_errors(
    doing: str, connection: TableConnection | None = None, target: ResourceTarget | None = None
) -> Iterator[None]:
    """Turn boto3's exceptions into one-line CommandErrors while `doing` something (to `target`)."""
    try:
        yield
    except ClientError as error:
        code, message, _ = _error_parts(error)
        # AWS: ValidationException "The table does not have the specified index"; moto says
        # ResourceNotFoundException "Invalid index".
        missing_index = "index" in message.lower()
        if connection and code == "ResourceNotFoundException" and not missing_index:
            raise CommandError(
                f"{connection.target.description} {connection.table!r} not found in {connection.where()}: "
                f"check --table, {connection.target.environment_variable}, --region and --profile"
            ) from error
        if connection and code in {"ValidationException", "ResourceNotFoundException"} and missing_index:
            raise CommandError(
                f"table {connection.table!r} lacks keywarden's indexes ({message}): is it the audit "
                "table, deployed by this version of keywarden?"
            ) from error
        about = connection.target if connection else (target or AUDIT_TABLE)
        raise CommandError(_client_error_message(error, doing, about)) from error
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise CommandError(f"no usable AWS credentials ({error}): sign in, or pass --profile") from error
    except (TokenRetrievalError, SSOError) as error:
        raise CommandError(f"the AWS SSO session cannot be used ({error}): run `aws sso login`") from error
    except NoRegionError as error:
        raise CommandError("no AWS region: pass --region, or set AWS_REGION") from error
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as error:
        raise CommandError(f"cannot reach AWS {doing}: {error}") from error
    except BotoCoreError as error:
        raise CommandError(f"{doing} failed: {error}") from error
