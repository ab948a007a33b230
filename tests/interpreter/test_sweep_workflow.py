"""statemachine/sweep.asl.json run in moto's interpreter with keywarden's corrections (AWS's strict
paths), its two functions stood in for (tests/interpreter/sweep_stubs.py): the loops, the totals,
the retries and the failure path, as deployed (deployment/sweep.py's substitutions)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sns.models import sns_backends

from deployment.settings import DeploymentSettings
from deployment.sweep import FOLLOW_FINDINGS, FOLLOW_FLAGGED, SweepResources, sweep_substitutions
from domain.tables import FindingsTable
from keywarden.sandbox.aws.lambda_runtime import InProcessLambda, in_process_lambda
from keywarden.sandbox.clock import VirtualClock
from keywarden.sandbox.stepfunctions.interpreter import aws_faithful_interpreter
from keywarden.sandbox.stepfunctions.strict_paths import aws_strict_paths
from statemachine import SWEEP, render_definition
from tests.interpreter.running import ROLE_ARN, finished

ACCOUNT, REGION = "123456789012", "us-east-1"
FINDINGS_PAGE = {
    "followed": 0,
    "reminders": 0,
    "escalations": 0,
    "enforced": 0,
    "resolved": 0,
    "closed": 0,
    "failed": 0,
}


@dataclass
class SweepRun:
    status: str
    error: str | None
    output: Any
    path: list[str]
    requests: list[tuple[str, dict[str, Any]]]
    """(function, request) of every invocation, in order."""
    name: str
    start: str


@pytest.fixture
def aws(request: pytest.FixtureRequest) -> Iterator[InProcessLambda]:
    strict = not request.config.getoption("lenient_paths")
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        aws_faithful_interpreter(VirtualClock()),
        aws_strict_paths(strict=strict),
        in_process_lambda(InProcessLambda()) as runtime,
    ):
        yield runtime


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "run in process")
    return buffer.getvalue()


def run_sweep(
    runtime: InProcessLambda, flagged: dict[str, list[Any]], findings: dict[str, list[Any]]
) -> SweepRun:
    """Deploy the sweep (its findings table, the operators' topic, two stand-in functions answering
    `flagged` / `findings` by page) and run it once, as EventBridge Scheduler starts it (input {})."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="kw-findings",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    operators = boto3.client("sns", region_name=REGION).create_topic(Name="kw-operators")["TopicArn"]
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    role = boto3.client("iam").create_role(
        RoleName="kw-sweep-functions", AssumeRolePolicyDocument=json.dumps(trust)
    )
    functions = boto3.client("lambda", region_name=REGION)
    arns = {}
    for function, handler, pages in (
        (FOLLOW_FLAGGED, "tests.interpreter.sweep_stubs.follow_flagged", flagged),
        (FOLLOW_FINDINGS, "tests.interpreter.sweep_stubs.follow_findings", findings),
    ):
        arns[function.substitution] = functions.create_function(
            FunctionName=function.substitution.removesuffix("FunctionArn"),
            Runtime="python3.13",
            Role=role["Role"]["Arn"],
            Handler=handler,
            Code={"ZipFile": _zip()},
            Environment={"Variables": {"STUB_PAGES": json.dumps(pages)}},
        )["FunctionArn"]
    resources = SweepResources(
        findings_table="kw-findings",
        audit_table="kw-audit",
        notification_state_table="kw-notification-state",
        exemption_table="kw-exemptions",
        owners_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:kw-owners",
        operators_topic_arn=operators,
        remediation_state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:kw-remediation",
    )
    definition = render_definition(sweep_substitutions(DeploymentSettings(), resources, arns), SWEEP)
    stepfunctions = boto3.client("stepfunctions", region_name=REGION)
    machine = stepfunctions.create_state_machine(name="kw-sweep", definition=definition, roleArn=ROLE_ARN)
    execution = stepfunctions.start_execution(
        stateMachineArn=machine["stateMachineArn"], name="sweep-20261208", input="{}"
    )["executionArn"]
    described = finished(stepfunctions, execution)
    events = stepfunctions.get_execution_history(executionArn=execution)["events"]
    return SweepRun(
        status=described["status"],
        error=described.get("error"),
        output=json.loads(described["output"]) if "output" in described else None,
        path=[e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e],
        requests=[(i.function_name, i.event) for i in runtime.invocations],
        name="sweep-20261208",
        start=described["startDate"].isoformat(),
    )


def test_each_loop_runs_until_its_last_page_and_the_sweep_ends_with_the_totals(aws: InProcessLambda) -> None:
    """Given two pages of flagged users and two of open findings,
    When the sweep runs, Then each function is asked for each page in turn, every page with the sweep's
    name and start, and the sweep succeeds with the pages' counts added up."""
    flagged = {
        "null": [{"users": 100, "redriven": 2, "opened": 3, "failed": 0, "next_token": "page-2"}],
        '"page-2"': [{"users": 7, "redriven": 1, "opened": 0, "failed": 0, "next_token": None}],
    }
    findings = {
        "null": [
            {
                **FINDINGS_PAGE,
                "followed": 50,
                "reminders": 4,
                "resolved": 2,
                "closed": 2,
                "next_key": {"pk": "p"},
            }
        ],
        '{"pk": "p"}': [
            {**FINDINGS_PAGE, "followed": 9, "escalations": 1, "enforced": 1, "closed": 1, "next_key": None}
        ],
    }
    run = run_sweep(aws, flagged, findings)
    assert (run.status, run.error) == ("SUCCEEDED", None)
    assert run.output == {
        "flagged": {"users": 107, "redriven": 3, "opened": 3, "failed": 0},
        "findings": {
            "followed": 59,
            "reminders": 4,
            "escalations": 1,
            "enforced": 1,
            "resolved": 2,
            "closed": 3,
            "failed": 0,
        },
    }
    pages = [
        (function, request.get("next_token", request.get("exclusive_start_key")))
        for function, request in run.requests
    ]
    assert pages == [
        ("FollowFlagged", None),
        ("FollowFlagged", "page-2"),
        ("FollowFindings", None),
        ("FollowFindings", {"pk": "p"}),
    ]
    assert {(request["sweep_name"], request["swept_at"][:19]) for _, request in run.requests} == {
        (run.name, run.start[:19])
    }
    assert run.path[-2:] == ["SweepTotals", "Swept"]


def test_a_throttled_function_is_tried_again_and_the_sweep_goes_on(aws: InProcessLambda) -> None:
    """Given FollowFindings throttled once (AwsThrottled), When the sweep runs, Then the same page is
    asked again and the sweep succeeds."""
    flagged = {"null": [{"users": 0, "redriven": 0, "opened": 0, "failed": 0, "next_token": None}]}
    findings = {"null": [{"raise": "AwsThrottled"}, {**FINDINGS_PAGE, "followed": 1, "next_key": None}]}
    run = run_sweep(aws, flagged, findings)
    assert run.status == "SUCCEEDED"
    assert [function for function, _ in run.requests] == ["FollowFlagged", "FollowFindings", "FollowFindings"]
    assert run.output["findings"]["followed"] == 1


def test_users_and_findings_that_could_not_be_followed_fail_the_sweep_after_all_pages(
    aws: InProcessLambda,
) -> None:
    """Given a page of flagged users with 2 that AWS refused and a page of findings with 1,
    When the sweep runs, Then every page is still read, and then the sweep is recorded, alerted and
    failed as keywarden.SweepIncomplete, saying how many."""
    flagged = {
        "null": [{"users": 10, "redriven": 0, "opened": 1, "failed": 2, "next_token": "page-2"}],
        '"page-2"': [{"users": 3, "redriven": 1, "opened": 0, "failed": 0, "next_token": None}],
    }
    findings = {"null": [{**FINDINGS_PAGE, "followed": 4, "failed": 1, "next_key": None}]}
    run = run_sweep(aws, flagged, findings)
    assert (run.status, run.error) == ("FAILED", "keywarden.SweepIncomplete")
    assert [function for function, _ in run.requests] == ["FollowFlagged", "FollowFlagged", "FollowFindings"]
    assert run.path[-5:] == [
        "AnyFailed",
        "SweepIncomplete",
        "RecordSweepFailure",
        "AlertOperatorsOfSweepFailure",
        "SweepFailed",
    ]


def test_a_failed_function_is_recorded_alerted_and_fails_the_sweep(aws: InProcessLambda) -> None:
    """Given FollowFlaggedUsers failing with an error the sweep does not retry,
    When the sweep runs, Then the failure is written to the findings table (SWEEP#<execution> / FAILURE),
    the operators are told, and the execution fails with the function's error."""
    flagged = {"null": [{"raise": "ValueError"}]}
    run = run_sweep(aws, flagged, {"null": [{**FINDINGS_PAGE, "next_key": None}]})
    assert (run.status, run.error) == ("FAILED", "ValueError")
    assert run.path == [
        "StartSweep",
        "FollowFlaggedUsers",
        "RecordSweepFailure",
        "AlertOperatorsOfSweepFailure",
        "SweepFailed",
    ]
    item = (
        boto3.resource("dynamodb", region_name=REGION)
        .Table("kw-findings")
        .get_item(Key={"pk": FindingsTable.sweep_pk(run.name), "sk": FindingsTable.SWEEP_FAILURE_SK})["Item"]
    )
    assert (item["error"], item["sweep"]) == ("ValueError", run.name)
    assert "ValueError from the stand-in" in item["cause"]
    topic = sns_backends[ACCOUNT][REGION].topics[f"arn:aws:sns:{REGION}:{ACCOUNT}:kw-operators"]
    ((_, message, subject, *_),) = topic.sent_notifications
    assert subject == "[keywarden] Daily sweep FAILED"
    assert run.name in message
    assert "ValueError" in message
