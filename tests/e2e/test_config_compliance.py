"""GetComplianceDetailsByConfigRule in the sandbox: Config's last evaluation of ACCESS_KEYS_ROTATED,
answered as AWS answers it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from domain.config_rule import IAM_USER_RESOURCE_TYPE
from keywarden.sandbox import Sandbox
from keywarden.sandbox.fixtures.iam_users import CreatedUser
from keywarden.scenario import KeySpec, UserSpec

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def users(sandbox: Sandbox) -> dict[str, CreatedUser]:
    """Given 12 users with a stale active key, one with a fresh key and one whose stale key is Inactive,
    evaluated once by Config."""
    specs = [UserSpec(name=f"stale{i:02d}", keys=[KeySpec(created_days_ago=120)]) for i in range(12)]
    specs += [
        UserSpec(name="fresh", keys=[KeySpec(created_days_ago=89)]),
        UserSpec(name="parked", keys=[KeySpec(created_days_ago=300, status="Inactive")]),
    ]
    created = {spec.name: sandbox.add_user(spec) for spec in specs}
    sandbox.evaluate_config_rule()
    return created


def details(sandbox: Sandbox, **request: Any) -> dict[str, Any]:
    answer: dict[str, Any] = sandbox.client("config").get_compliance_details_by_config_rule(
        ConfigRuleName=request.pop("ConfigRuleName", sandbox.settings.config_rule_name), **request
    )
    return answer


def all_pages(sandbox: Sandbox, **request: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    paginator = sandbox.client("config").get_paginator("get_compliance_details_by_config_rule")
    for page in paginator.paginate(ConfigRuleName=sandbox.settings.config_rule_name, **request):
        results.extend(page["EvaluationResults"])
    return results


def test_every_recorded_user_has_the_rules_judgement(sandbox: Sandbox, users: dict[str, CreatedUser]) -> None:
    # When every result is read, page by page
    results = all_pages(sandbox)
    # Then each user has one, NON_COMPLIANT exactly when an active key is 90 days old or more
    by_id = {r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r for r in results}
    compliance = {name: by_id[user.user_id]["ComplianceType"] for name, user in users.items()}
    assert compliance == {**{f"stale{i:02d}": "NON_COMPLIANT" for i in range(12)},
                          "fresh": "COMPLIANT", "parked": "COMPLIANT"}  # fmt: skip
    qualifier = by_id[users["fresh"].user_id]["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    assert qualifier == {
        "ConfigRuleName": sandbox.settings.config_rule_name,
        "ResourceType": IAM_USER_RESOURCE_TYPE,
        "ResourceId": users["fresh"].user_id,
    }
    recorded = by_id[users["fresh"].user_id]
    assert recorded["ResultRecordedTime"] == recorded["ConfigRuleInvokedTime"]
    assert abs(recorded["ResultRecordedTime"] - sandbox.clock.now()) < timedelta(seconds=1)


def test_results_filter_by_compliance_and_page_by_ten(
    sandbox: Sandbox, users: dict[str, CreatedUser]
) -> None:
    # When NON_COMPLIANT results are asked for without a Limit
    first = details(sandbox, ComplianceTypes=["NON_COMPLIANT"])
    # Then a page holds AWS's default 10, and the next page the other 2
    assert len(first["EvaluationResults"]) == 10
    second = details(sandbox, ComplianceTypes=["NON_COMPLIANT"], NextToken=first["NextToken"])
    assert len(second["EvaluationResults"]) == 2
    assert "NextToken" not in second
    ids = {
        r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]
        for r in first["EvaluationResults"] + second["EvaluationResults"]
    }
    assert ids == {users[f"stale{i:02d}"].user_id for i in range(12)}
    # And Limit 0 means the default, Limit 100 one page of everything
    assert len(details(sandbox, Limit=0)["EvaluationResults"]) == 10
    assert len(details(sandbox, Limit=100)["EvaluationResults"]) == len(users)
    compliant = all_pages(sandbox, ComplianceTypes=["COMPLIANT"])
    assert [r["ComplianceType"] for r in compliant] == ["COMPLIANT"] * 2


@pytest.mark.parametrize(
    ("request_fields", "code"),
    [
        ({"Limit": 101}, "ValidationException"),
        ({"ComplianceTypes": ["INSUFFICIENT_DATA"]}, "InvalidParameterValueException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"ConfigRuleName": "no-such-rule"}, "NoSuchConfigRuleException"),
    ],
)
def test_requests_aws_refuses_are_refused(
    sandbox: Sandbox, users: dict[str, CreatedUser], request_fields: dict[str, Any], code: str
) -> None:
    # When a request breaks the API reference's rules, Then it is refused with AWS's error
    with pytest.raises(ClientError) as refused:
        details(sandbox, **request_fields)
    assert refused.value.response["Error"]["Code"] == code


def test_results_change_only_when_config_evaluates_again(
    sandbox: Sandbox, users: dict[str, CreatedUser]
) -> None:
    # Given the fresh user's key turns 90 days old a day later
    iam = sandbox.client("iam")
    sandbox.clock.advance(86_400)
    before = {r["ComplianceType"] for r in all_pages(sandbox) if _resource(r) == users["fresh"].user_id}
    # When Config evaluates again
    changes = sandbox.evaluate_config_rule()
    # Then the result changed only then, and the change is reported
    assert before == {"COMPLIANT"}
    assert [(c.resource_id, c.previous, c.current) for c in changes] == [
        (users["fresh"].user_id, "COMPLIANT", "NON_COMPLIANT")
    ]
    # And once its key is deactivated, the next evaluation finds it COMPLIANT again
    [key] = iam.list_access_keys(UserName="fresh")["AccessKeyMetadata"]
    iam.update_access_key(UserName="fresh", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert [c.current for c in sandbox.evaluate_config_rule()] == ["COMPLIANT"]


def _resource(result: dict[str, Any]) -> str:
    return str(result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"])
