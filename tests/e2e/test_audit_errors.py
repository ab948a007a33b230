"""`keywarden audit` errors: one short line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.core.authorization import enable_iam_authentication
from typer.testing import CliRunner

from deployment.policies import auditor_policy
from keywarden.cli import app
from keywarden.sandbox import Sandbox
from keywarden.sandbox.fixtures.seed import seed_audit_table, synthetic_history

pytestmark = pytest.mark.e2e
runner = CliRunner()


def audit(*arguments: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["audit", *arguments], env=env)


def assert_short_error(result: Any, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    message = " ".join(result.stderr.split())  # rich wraps long lines
    assert message.startswith("error: ")
    for fragment in fragments:
        assert fragment in message


@pytest.fixture
def no_aws_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine where nobody signed in to AWS: no variables, empty files, no instance role."""
    for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "KEYWARDEN_AUDIT_TABLE",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--since", "2026-02-30"], ["--since '2026-02-30' is not a valid date"]),
        (["--until", "last tuesday"], ["--until 'last tuesday' is not a date", "90d"]),
        (["--since", "2026-10-01", "--until", "2026-09-01"], ["is after --until"]),
        (["--outcome", "FIXED"], ["unknown outcome 'FIXED'", "KEYS_LEFT_ACTIVE"]),
        (["--key", "AKIA-NOT-A-KEY"], ["is not an access key id"]),
        (["--account", "12345"], ["is not an AWS account id"]),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(
    no_aws_configuration: Path, arguments: list[str], fragments: list[str]
) -> None:
    """Given no AWS configuration at all, When history gets a bad date, period, outcome, key or account,
    Then it exits 2 with one line saying what is wrong with the input."""
    # No credentials, no region: the input is checked first, so these say what is wrong with it.
    assert_short_error(audit("history", *arguments), 2, *fragments)


def test_summary_checks_its_dates_too(no_aws_configuration: Path) -> None:
    """Given no AWS configuration, When summary gets a bad date, Then it exits 2 saying so."""
    assert_short_error(audit("summary", "--since", "13/01/2026"), 2, "--since '13/01/2026' is not a date")


def test_missing_credentials(no_aws_configuration: Path) -> None:
    """Given no credentials, When history runs,
    Then it exits 1 saying none were found and to use --profile."""
    result = audit("history", "--user", "bob", "--region", "eu-west-1", "--table", "keywarden-audit")
    assert_short_error(result, 1, "no AWS credentials found", "--profile")


def test_an_unknown_profile(no_aws_configuration: Path) -> None:
    """Given no configured profiles, When history runs with --profile auditor,
    Then it exits 1 saying the profile is not found."""
    result = audit("history", "--profile", "auditor", "--table", "keywarden-audit")
    assert_short_error(result, 1, "AWS profile 'auditor' not found")


def test_no_region(no_aws_configuration: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given credentials but no region, When history runs, Then it exits 1 saying so and to use --region."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert_short_error(audit("history", "--table", "keywarden-audit"), 1, "no AWS region", "--region")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        seed_audit_table(running.stack.table_name, running.region, running.account_id, synthetic_history(50))
        yield running


def test_missing_table(sandbox: Sandbox) -> None:
    """Given the sandbox, When history names a table that does not exist,
    Then it exits 1 saying it is not found in the region and to use --table."""
    result = audit("history", "--user", "bob", "--table", "keywarden-audit-typo")
    assert_short_error(result, 1, "audit table 'keywarden-audit-typo' not found in us-east-1", "--table")


def test_a_table_without_keywarden_indexes(sandbox: Sandbox) -> None:
    """Given a table without keywarden's indexes, When history reads it,
    Then it exits 1 saying the table lacks them."""
    sandbox.client("dynamodb").create_table(
        TableName="something-else",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    result = audit("history", "--account", "111111111111", "--table", "something-else")
    assert_short_error(result, 1, "table 'something-else' lacks keywarden's indexes")


def _iam_user(sandbox: Sandbox, name: str, policy: dict[str, Any]) -> dict[str, str]:
    iam = sandbox.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="access", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_access_denied_and_the_auditor_policy_is_enough(sandbox: Sandbox) -> None:
    """Given IAM authentication on, a user allowed only s3:ListBucket and one with the auditor policy,
    When each runs history (and the auditor summary),
    Then the first is refused with AWS's reason and a pointer to the policy,
    and the auditor's runs succeed."""
    table_arn = sandbox.client("dynamodb").describe_table(TableName="keywarden-audit")["Table"]["TableArn"]
    policy = auditor_policy(table_arn)
    # moto checks DynamoDB actions against resource "*": the statement is widened to that here;
    # the actions (Query and GetItem, nothing else) are what this test proves sufficient.
    policy["Statement"][0]["Resource"] = "*"
    auditor = _iam_user(sandbox, "auditor", policy)
    stranger = _iam_user(
        sandbox,
        "stranger",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
        },
    )
    blind = {"AWS_SESSION_TOKEN": "", "KEYWARDEN_AUDIT_TABLE": "keywarden-audit"}
    with enable_iam_authentication():
        denied = audit("history", "--account", "111111111111", env={**stranger, **blind})
        allowed = audit("history", "--account", "111111111111", "--format", "json", env={**auditor, **blind})
        counted = audit("summary", "--format", "json", env={**auditor, **blind})
    assert_short_error(denied, 1, "access denied", "stranger is not authorized to perform: dynamodb:Query")
    assert "README, 'The auditor policy'" in " ".join(denied.stderr.split())
    assert allowed.exit_code == 0, allowed.output
    assert {r["account_id"] for r in json.loads(allowed.stdout)} == {"111111111111"}
    assert counted.exit_code == 0, counted.output
    assert json.loads(counted.stdout)["total"] > 0


def stub_cloudformation(monkeypatch: pytest.MonkeyPatch, stack: str, outputs: dict[str, str] | None) -> None:
    """moto's CloudFormation needs extras keywarden does not install: DescribeStacks is stubbed.
    `outputs` None: the stack does not exist."""
    make_client = boto3.session.Session.client

    def client(self: boto3.session.Session, service: str, *args: Any, **kwargs: Any) -> Any:
        made = make_client(self, service, *args, **kwargs)
        if service == "cloudformation":
            stub = Stubber(made)
            if outputs is None:
                stub.add_client_error(
                    "describe_stacks", "ValidationError", f"Stack with id {stack} does not exist",
                    expected_params={"StackName": stack},
                )  # fmt: skip
            else:
                stack_description = {
                    "StackName": stack,
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
                stub.add_response("describe_stacks", {"Stacks": [stack_description]}, {"StackName": stack})
            stub.activate()
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
    monkeypatch.delenv("KEYWARDEN_AUDIT_TABLE", raising=False)


def test_the_table_name_comes_from_the_stack_output(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given no table named but the stack's AuditTableName output, When history runs,
    Then it reads the table the output names."""
    stub_cloudformation(monkeypatch, "keywarden", {"AuditTableName": "keywarden-audit"})
    found = audit("history", "--account", "111111111111", "--format", "json")
    assert found.exit_code == 0, found.output
    assert {r["account_id"] for r in json.loads(found.stdout)} == {"111111111111"}


def test_no_stack_and_no_table_says_how_to_name_the_table(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given no table named and a stack that does not exist, When history runs,
    Then it exits 1 with CloudFormation's reason and to pass --table."""
    stub_cloudformation(monkeypatch, "keywarden-prod", None)
    missing = audit("history", "--stack-name", "keywarden-prod")
    assert_short_error(
        missing, 1, "no audit table name", "Stack with id keywarden-prod does not exist", "pass --table"
    )


def test_a_stack_without_the_output(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given a stack without the AuditTableName output, When summary runs,
    Then it exits 1 saying the stack has no such output."""
    stub_cloudformation(monkeypatch, "keywarden", {"SomethingElse": "x"})
    assert_short_error(audit("summary"), 1, "stack keywarden in us-east-1 has no AuditTableName output")
