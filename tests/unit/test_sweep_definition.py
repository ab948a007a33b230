"""The daily sweep's ASL file and deployment/sweep.py: the rules of the definition and its contract
with the sweep's functions and the stacks that deploy it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from deployment.settings import DeploymentSettings
from deployment.sweep import (
    FOLLOW_FINDINGS,
    FOLLOW_FLAGGED,
    SWEEP_FUNCTIONS,
    SWEEP_HANDLERS,
    SweepResources,
    sweep_function_environments,
    sweep_substitutions,
)
from domain.tables import FindingsTable
from lambdas.settings import FollowFindingsSettings, FollowFlaggedSettings
from lambdas.sweep_pages import FindingsPage, FlaggedUsersPage, FollowFindingsRequest, FollowFlaggedRequest
from statemachine import SWEEP, SWEEP_SUBSTITUTIONS, definition_text, placeholders, render_definition
from tests.unit.test_statemachine_definition import reads, successors, written_on_every_way

RESOURCES = SweepResources(
    findings_table="kw-findings",
    audit_table="kw-audit",
    notification_state_table="kw-notification-state",
    exemption_table="kw-exemptions",
    owners_topic_arn="arn:aws:sns:us-east-1:123456789012:kw-owners",
    operators_topic_arn="arn:aws:sns:us-east-1:123456789012:kw-operators",
    remediation_state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:kw-remediation",
)
FUNCTION_ARNS = {f.substitution: f"value-of-{f.substitution}" for f in SWEEP_FUNCTIONS}
REQUEST_MODELS: dict[str, type[BaseModel]] = {
    FOLLOW_FLAGGED.substitution: FollowFlaggedRequest,
    FOLLOW_FINDINGS.substitution: FollowFindingsRequest,
}
RESULT_MODELS: dict[str, type[BaseModel]] = {
    FOLLOW_FLAGGED.substitution: FlaggedUsersPage,
    FOLLOW_FINDINGS.substitution: FindingsPage,
}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    values = sweep_substitutions(DeploymentSettings(), RESOURCES, FUNCTION_ARNS)
    rendered: dict[str, Any] = json.loads(render_definition(values, SWEEP))
    return rendered


def test_every_placeholder_is_a_declared_substitution() -> None:
    """Given the sweep's ASL file, When its ${Name}s are listed, Then they are exactly the declared ones."""
    assert placeholders(definition_text(SWEEP)) == set(SWEEP_SUBSTITUTIONS)


def test_substitutions_refuse_a_missing_function() -> None:
    """Given the ARNs of one function only, When the substitutions are made, Then the missing one is named."""
    with pytest.raises(ValueError, match="FollowFindingsFunctionArn"):
        sweep_substitutions(DeploymentSettings(), RESOURCES, {FOLLOW_FLAGGED.substitution: "arn"})


def test_the_failure_record_and_alert_use_the_deployed_table_and_topic(definition: dict[str, Any]) -> None:
    """Given the rendered sweep, When a step fails, Then the failure is written to the findings table
    under SWEEP#<execution name> / FAILURE, and the operators' topic is told."""
    states = definition["States"]
    record = states["RecordSweepFailure"]["Parameters"]
    assert record["TableName"] == "kw-findings"
    assert record["Item"][FindingsTable.PARTITION_KEY] == {
        "S.$": "States.Format('SWEEP#{}', $$.Execution.Name)"
    }
    assert FindingsTable.sweep_pk("x") == "SWEEP#x"
    assert record["Item"][FindingsTable.SORT_KEY] == {"S": FindingsTable.SWEEP_FAILURE_SK}
    for attribute in (FindingsTable.RECORDED_AT, FindingsTable.SWEEP, FindingsTable.EXECUTION_ARN):
        assert attribute in record["Item"]
    assert {FindingsTable.ERROR, FindingsTable.CAUSE} <= set(record["Item"])
    assert states["AlertOperatorsOfSweepFailure"]["Parameters"]["TopicArn"] == RESOURCES.operators_topic_arn


def test_every_transition_names_a_state_and_every_state_is_reached(definition: dict[str, Any]) -> None:
    """Given the sweep, When every Next, Default, Choice and Catch is followed from StartAt,
    Then each names a state, and every state is on some way."""
    states = definition["States"]
    reached, todo = set(), [definition["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(target for target, _ in successors(states[name]))
    assert reached == set(states)


def test_every_task_fails_into_the_record_then_the_alert_then_fail(definition: dict[str, Any]) -> None:
    """Given either function's Task, When it fails after its retries, Then the failure is recorded, the
    operators are alerted whether or not the record could be written, and the execution fails."""
    states = definition["States"]
    for function in ("FollowFlaggedUsers", "FollowFindings"):
        assert [(c["ErrorEquals"], c["Next"], c["ResultPath"]) for c in states[function]["Catch"]] == [
            (["States.ALL"], "RecordSweepFailure", "$.failure")
        ]
    record = states["RecordSweepFailure"]
    assert {record["Next"], *(c["Next"] for c in record["Catch"])} == {"AlertOperatorsOfSweepFailure"}
    alert = states["AlertOperatorsOfSweepFailure"]
    assert {states[alert["Next"]]["Type"], *(states[c["Next"]]["Type"] for c in alert["Catch"])} == {"Fail"}


def test_each_function_retries_lambda_errors_and_waits_out_throttling(definition: dict[str, Any]) -> None:
    """Given either function's Task, When Lambda fails transiently or AWS throttles the function
    (lambdas/aws_clients.py AwsThrottled), Then the Task is tried again with a jittered back-off."""
    for function in ("FollowFlaggedUsers", "FollowFindings"):
        retried = {error for r in definition["States"][function]["Retry"] for error in r["ErrorEquals"]}
        assert {"AwsThrottled", "Lambda.ServiceException", "Lambda.TooManyRequestsException"} <= retried


def test_each_loop_repeats_while_its_page_says_there_is_more(definition: dict[str, Any]) -> None:
    """Given each page's answer, When it carries a next token (key), Then the same function runs again;
    when null, the sweep goes on to the findings (the totals); with anything not followed, it fails."""
    states = definition["States"]
    more_flagged = states["MoreFlaggedUsers"]
    assert more_flagged["Choices"] == [
        {"Not": {"Variable": "$.sweep.flagged.next_token", "IsNull": True}, "Next": "FollowFlaggedUsers"}
    ]
    assert more_flagged["Default"] == "FollowFindings"
    more_findings = states["MoreFindings"]
    assert more_findings["Choices"] == [
        {"Not": {"Variable": "$.sweep.findings.next_key", "IsNull": True}, "Next": "FollowFindings"}
    ]
    count_failures = states[more_findings["Default"]]
    any_failed = states[count_failures["Next"]]
    assert any_failed["Choices"] == [
        {"Variable": "$.sweep.failures.failed", "NumericGreaterThan": 0, "Next": "SweepIncomplete"}
    ]
    assert states[states[any_failed["Default"]]["Next"]]["Type"] == "Succeed"
    assert states["SweepIncomplete"]["Next"] == "RecordSweepFailure"
    flagged_page = states["FollowFlaggedUsers"]["Parameters"]["next_token.$"]
    findings_page = states["FollowFindings"]["Parameters"]["exclusive_start_key.$"]
    assert (flagged_page, findings_page) == ("$.sweep.flagged.next_token", "$.sweep.findings.next_key")


def test_every_path_read_is_written_on_every_way_there(definition: dict[str, Any]) -> None:
    """Given any state reading $.something, When the execution gets there by any way, success or Catch,
    Then a step on every such way wrote it."""
    written = written_on_every_way(definition)
    for name, state in definition["States"].items():
        for path, guarded in reads(
            {k: v for k, v in state.items() if k not in ("ResultSelector", "ResultPath", "Catch")}
        ):
            if not guarded:
                assert any(path == w or path.startswith(w + ".") for w in written[name]), (name, path)


def test_what_the_sweep_reads_of_a_page_is_always_in_the_answer(definition: dict[str, Any]) -> None:
    """Given each function's answer model, When the sweep reads $.page.x after that function,
    Then x is a field that function always returns."""
    states = definition["States"]
    for task, count in (("FollowFlaggedUsers", "CountFlaggedUsers"), ("FollowFindings", "CountFindings")):
        model = RESULT_MODELS[states[task]["Resource"].removeprefix("value-of-")]
        assert (states[task]["ResultPath"], states[task]["Next"]) == ("$.page", count)
        read = {
            path.removeprefix("$.page.") for path, _ in reads(states[count]) if path.startswith("$.page.")
        }
        assert read == {name for name, field in model.model_fields.items() if field.is_required()}


def test_each_function_is_given_exactly_what_its_request_model_reads(definition: dict[str, Any]) -> None:
    """Given the two Tasks, When they invoke their functions, Then each passes exactly its request's fields,
    the day being the sweep's start for every page."""
    invoked = {
        state["Resource"].removeprefix("value-of-"): state["Parameters"]
        for state in definition["States"].values()
        if state.get("Resource", "").startswith("value-of-")
    }
    assert set(invoked) == set(SWEEP_HANDLERS)
    for function, parameters in invoked.items():
        assert {p.removesuffix(".$") for p in parameters} == set(REQUEST_MODELS[function].model_fields)
        assert parameters["swept_at.$"] == "$$.Execution.StartTime"


def test_the_environments_are_what_the_functions_read() -> None:
    """Given deployment settings with the lifecycle changed, When the environments are made,
    Then each function reads back the same lifecycle, tables, topic and state machine."""
    settings = DeploymentSettings.model_validate(
        {
            "gracePeriodDays": 10,
            "reminderDaysBeforeDeadline": "2,5",
            "enforceAfterDeadline": True,
            "enforcementDelayDays": 3,
            "escalationTagKeys": "manager,owner-manager",
            "dryRun": True,
        }
    )
    environments = sweep_function_environments(settings, RESOURCES)
    assert set(environments) == set(SWEEP_HANDLERS)
    flagged = FollowFlaggedSettings.from_environment(environments[FOLLOW_FLAGGED.substitution])
    findings = FollowFindingsSettings.from_environment(environments[FOLLOW_FINDINGS.substitution])
    for function in (flagged, findings):
        assert function.lifecycle == settings.lifecycle
        assert function.lifecycle.reminder_days_before_deadline == (5, 2)
        assert function.dry_run is True
        assert function.findings_table_name == "kw-findings"
        assert function.owners_topic_arn == RESOURCES.owners_topic_arn
    assert flagged.remediation_state_machine_arn == RESOURCES.remediation_state_machine_arn
    assert (flagged.audit_table_name, flagged.notification_state_table_name) == (
        "kw-audit",
        "kw-notification-state",
    )
    assert findings.escalation_tags == ("manager", "owner-manager")
