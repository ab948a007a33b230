"""Evaluate for dry-run and exempt users: predicted results in a real run's words, nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from domain.action_decision import decide_action
from domain.credentials import KeyStatus, SnapshotResult
from domain.exemptions import Exemption, ExemptionCheck
from domain.results import RemediationAction
from lambdas.evaluation import EvaluateInput, WorkflowState, evaluate
from tests.factories import NOW, key, login_profile
from tests.unit.test_evaluation import EXECUTION, REQUEST, SETTINGS, automation, deactivate, user

EXEMPTION = Exemption(
    user="bob",
    reason="break-glass account",
    added_by="arn:aws:iam::111122223333:role/SecurityAdmin",
    added_at=NOW - timedelta(days=2),
    expires_at=NOW + timedelta(days=20),
)


def without_password(snapshot: SnapshotResult) -> SnapshotResult:
    assert snapshot.user is not None
    return snapshot.model_copy(update={"user": snapshot.user.model_copy(update={"login_profile": None})})


def run(state: WorkflowState) -> Any:
    return evaluate(
        EvaluateInput(state=state, execution_arn=EXECUTION, execution_name="run-1", evaluated_at=NOW),
        SETTINGS,
    )


def summary(evaluation: Any) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in evaluation.record_items[0].items()}


BEFORE = user(
    [
        key("AKIAAAAAAAAAAAAAAAA1", created_days_ago=120),
        key("AKIAAAAAAAAAAAAAAAA2", created_days_ago=120, last_used_days_ago=3),
        key("AKIAAAAAAAAAAAAAAAA3", created_days_ago=10, last_used_days_ago=1),
        key("AKIAAAAAAAAAAAAAAAA4", created_days_ago=300, status=KeyStatus.INACTIVE),
    ],
    tags={"owner-email": "bob@example.com"},
    profile=login_profile(200, 150),
)


def test_a_dry_run_predicts_what_a_real_run_records() -> None:
    dry = run(
        WorkflowState(request=REQUEST, before=BEFORE, decision=decide_action(ExemptionCheck(), True, 90))
    )
    after_real_run = without_password(deactivate(BEFORE, "AKIAAAAAAAAAAAAAAAA1"))
    real = run(
        WorkflowState(
            request=REQUEST,
            before=BEFORE,
            decision=decide_action(ExemptionCheck(), False, 90),
            automation=automation("Success"),
            after=after_real_run,
        )
    )
    assert dry.outcome.value == "DRY_RUN"
    assert [(k.access_key_id, k.result) for k in dry.keys] == [(k.access_key_id, k.result) for k in real.keys]
    assert dry.password == real.password
    # The dry run changed nothing: every key is still in its status of before.
    assert [k.status_after for k in dry.keys] == [k.status_before for k in dry.keys]
    record = summary(dry)
    assert record["results_predicted"] is True
    assert "would revoke: AKIAAAAAAAAAAAAAAAA1, console password" in record["reason"]
    assert "would leave active because recently used: AKIAAAAAAAAAAAAAAAA2" in record["reason"]
    assert summary(real)["results_predicted"] is False


def test_a_dry_run_tells_the_owner_what_would_happen() -> None:
    dry = run(
        WorkflowState(request=REQUEST, before=BEFORE, decision=decide_action(ExemptionCheck(), True, 90))
    )
    assert dry.notify_owner
    assert dry.notification.subject.startswith(
        "[keywarden dry run] Action needed: rotate access key AKIAAAAAAAAAAAAAAAA2"
    )
    text = dry.notification.text
    assert "dry-run mode: it changed nothing" in text
    assert "AKIAAAAAAAAAAAAAAAA1: WOULD BE DEACTIVATED (dry run: not changed yet)" in text
    assert "Console password: WOULD BE DELETED (dry run: not changed yet)" in text
    assert all(
        claim.attribute_values[":result"]["S"].startswith("DRY_RUN:") for claim in dry.notification_claims
    )
    assert dry.operator_alert is None


def test_an_exempt_user_is_recorded_with_the_exemption_and_not_notified() -> None:
    decision = decide_action(ExemptionCheck(applied=EXEMPTION), False, 90)
    exempt = run(WorkflowState(request=REQUEST, before=BEFORE, decision=decision))
    assert exempt.outcome.value == "EXEMPT"
    assert "break-glass account" in exempt.reason
    assert not exempt.notify_owner
    assert exempt.operator_alert is None
    record = summary(exempt)
    assert record["exemption"] == {
        "user": "bob",
        "reason": "break-glass account",
        "added_by": "arn:aws:iam::111122223333:role/SecurityAdmin",
        "added_at": (NOW - timedelta(days=2)).isoformat().replace("+00:00", "Z"),
        "expires_at": (NOW + timedelta(days=20)).isoformat().replace("+00:00", "Z"),
        "status": "applied",
    }
    assert record["results_predicted"] is True


def test_an_expired_exemption_is_said_in_the_record_of_a_real_run() -> None:
    expired = EXEMPTION.model_copy(update={"expires_at": NOW - timedelta(days=1)})
    decision = decide_action(ExemptionCheck(expired=expired), False, 90)
    assert decision.action is RemediationAction.REMEDIATE
    result = run(
        WorkflowState(
            request=REQUEST,
            before=BEFORE,
            decision=decision,
            automation=automation("Success"),
            after=without_password(deactivate(BEFORE, "AKIAAAAAAAAAAAAAAAA1")),
        )
    )
    record = summary(result)
    assert record["outcome"] == "KEYS_LEFT_ACTIVE"
    assert record["exemption"]["status"] == "expired"
    assert "exemption 'bob' (break-glass account) expired on" in record["reason"]
    assert "no longer applies" in record["reason"]
