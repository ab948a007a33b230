"""The sandbox reuses boto3 clients, parsed workflows and JSONPaths, and writes execution histories itself,
only where that changes nothing."""

from __future__ import annotations

import json
import os
import time
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.responses import StepFunctionResponse

from keywarden.sandbox import Sandbox
from keywarden.sandbox.aws.client_cache import cached_clients
from keywarden.sandbox.stepfunctions.parsed_json_paths import json_paths_parsed_once
from keywarden.sandbox.stepfunctions.parsed_workflows import workflows_parsed_once
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e

ROLE = "arn:aws:iam::123456789012:role/sandbox"
MOTO_HISTORY = StepFunctionResponse.get_execution_history  # moto's own, before any sandbox patch
PASS_THROUGH = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "ResultPath": "$.seen", "End": True}}}


def test_the_same_client_is_reused_and_a_different_one_is_not() -> None:
    with mock_aws(), cached_clients():
        sns = boto3.client("sns", region_name="us-east-1")
        assert boto3.client("sns", region_name="us-east-1") is sns
        assert boto3.client(service_name="sns", region_name="us-east-1") is sns
        assert boto3.client("sns", region_name="eu-west-1") is not sns
        assert boto3.client("sqs", region_name="us-east-1") is not sns
        patient = boto3.client("sns", region_name="us-east-1", config=Config(retries={"max_attempts": 8}))
        assert patient is not sns
        assert (
            boto3.client("sns", region_name="us-east-1", config=Config(retries={"max_attempts": 8}))
            is patient
        )
        assert (
            boto3.client("sns", region_name="us-east-1", aws_access_key_id="ak", aws_secret_access_key="sk")
            is not sns
        )
        assert boto3.Session().client("sns", region_name="us-east-1") is not sns  # another session


def test_a_client_follows_the_region_and_credentials_of_the_environment() -> None:
    with mock_aws(), cached_clients():
        with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1"}):
            ireland = boto3.client("sns")
        with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}):
            virginia = boto3.client("sns")
            assert boto3.client("sns") is virginia
        assert (ireland.meta.region_name, virginia.meta.region_name) == ("eu-west-1", "us-east-1")
        with mock.patch.dict(os.environ, {"AWS_ACCESS_KEY_ID": "another"}):
            assert boto3.client("sns", region_name="us-east-1") is not virginia


def test_no_client_outlives_the_context() -> None:
    with mock_aws():
        with cached_clients():
            inside = boto3.client("sns", region_name="us-east-1")
        with cached_clients():
            assert boto3.client("sns", region_name="us-east-1") is not inside
        assert boto3.client("sns", region_name="us-east-1") is not boto3.client(
            "sns", region_name="us-east-1"
        )


def _run(sfn: Any, arn: str, name: str) -> dict[str, object]:
    """Start an execution on moto's own interpreter (a thread of its own, in real time: no sandbox
    here) and wait for it, up to 60 s of real time on a busy machine."""
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"n": name}))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return {"status": described["status"], "output": json.loads(described["output"])}
        time.sleep(0.02)
    raise AssertionError("the execution did not end within 60 s")


def test_a_definition_is_parsed_once_and_every_execution_runs_it() -> None:
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        workflows_parsed_once() as programs,
    ):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name="echo", definition=json.dumps(PASS_THROUGH), roleArn=ROLE)[
            "stateMachineArn"
        ]
        parse = AmazonStateLanguageParser.parse
        with mock.patch.object(AmazonStateLanguageParser, "parse", side_effect=parse) as parsing:
            first, second = _run(sfn, arn, "first"), _run(sfn, arn, "second")
        assert parsing.call_count == 1
        assert len(programs) == 1
    assert first == {"status": "SUCCEEDED", "output": {"n": "first", "seen": {"n": "first"}}}
    assert second == {"status": "SUCCEEDED", "output": {"n": "second", "seen": {"n": "second"}}}


def test_a_result_path_is_parsed_once_and_every_execution_applies_it() -> None:
    # Given moto's interpreter with JSONPaths kept, when two executions apply the same ResultPath,
    # then the path's text was parsed once and each execution's output holds its own result
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        mock.patch.object(result_path, "parse", wraps=result_path.parse) as parsing,
        json_paths_parsed_once(),
    ):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(name="echo", definition=json.dumps(PASS_THROUGH), roleArn=ROLE)[
            "stateMachineArn"
        ]
        first, second = _run(sfn, arn, "first"), _run(sfn, arn, "second")
    assert parsing.call_args_list == [mock.call("$.seen")]
    assert first == {"status": "SUCCEEDED", "output": {"n": "first", "seen": {"n": "first"}}}
    assert second == {"status": "SUCCEEDED", "output": {"n": "second", "seen": {"n": "second"}}}


def test_boto3_reads_the_same_execution_history_written_directly() -> None:
    with Sandbox() as sandbox:
        user = sandbox.add_user(UserSpec(name="alice", keys=[KeySpec(created_days_ago=120)]))
        [arn] = sandbox.put_event(sandbox.compliance_change(user.user_id))
        with mock.patch.object(StepFunctionResponse, "get_execution_history", MOTO_HISTORY):
            expected = sandbox.client("stepfunctions").get_execution_history(executionArn=arn)
        written = sandbox.client("stepfunctions").get_execution_history(executionArn=arn)
    expected.pop("ResponseMetadata")
    written.pop("ResponseMetadata")
    assert written == expected
    assert len(written["events"]) > 20
    assert {"ExecutionStarted", "TaskStateEntered", "LambdaFunctionSucceeded", "ExecutionSucceeded"} <= {
        event["type"] for event in written["events"]
    }


def test_a_json_path_is_parsed_once_and_reads_each_input() -> None:
    with mock.patch.object(json_path, "parse", wraps=json_path.parse) as parsing, json_paths_parsed_once():
        assert json_path.extract_json("$.user.name", {"user": {"name": "alice"}}) == "alice"
        assert json_path.extract_json("$.user.name", {"user": {"name": "bob"}}) == "bob"
        with pytest.raises(json_path.NoSuchJsonPathError):
            json_path.extract_json("$.user.name", {"user": {}})
    assert parsing.call_count == 1
