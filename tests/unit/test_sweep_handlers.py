"""The sweep's two functions as Lambda runs them, on moto's DynamoDB and Step Functions.

IAM and Config are the in-memory fakes of tests/unit/fakes.py (moto has no
GetComplianceDetailsByConfigRule, and its keys are always created "now"); the owners' topic records
what is published. Settings come from deployment/sweep.py's environments, as deployed.
"""

# ruff: noqa: N803 (boto3's parameter names, as the fake IAM client is called)

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deployment.settings import DeploymentSettings
from deployment.sweep import FOLLOW_FINDINGS, FOLLOW_FLAGGED, SweepResources, sweep_function_environments
from domain.credentials import KeyStatus, UserSnapshot
from domain.exemptions import Exemption, exemption_to_item
from domain.finding_items import current_item
from domain.findings import Finding, FindingStatus, LifecyclePolicy, TransitionKind, open_finding
from domain.tables import AuditTable, FindingsTable, NotificationStateTable
from lambdas import finding_followups
from lambdas.aws_clients import AwsThrottled
from lambdas.finding_followups import FollowFindingsPorts
from lambdas.findings_store import DynamoDBFindings
from lambdas.flagged_users import FollowFlaggedPorts
from lambdas.handlers import follow_findings, follow_flagged
from lambdas.settings import FollowFindingsSettings, FollowFlaggedSettings
from tests.factories import iam_user, key
from tests.unit.fakes import FakeConfig, FakeIAM, FakeOwnerTopic, LambdaContext, client_error

ACCOUNT = "123456789012"
"""moto's account."""
REGION = "us-east-1"
RULE = "keywarden-access-keys-rotated"
RESOURCES = SweepResources(
    findings_table="kw-findings",
    audit_table="kw-audit",
    notification_state_table="kw-notification-state",
    exemption_table="kw-exemptions",
    owners_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:kw-owners",
    operators_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:kw-operators",
    remediation_state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:kw-remediation",
)
SWEPT_AT = datetime(2026, 12, 8, 6, 0, 1, tzinfo=UTC)
TODAY = SWEPT_AT.date()
BOB_ID, CAROL_ID = "AIDAEXAMPLEUSERID0001", "AIDAEXAMPLEUSERID0002"
BOB_KEY = "AKIAAAAAAAAAAAAAAAA1"


def bob(*keys: Any, tags: dict[str, str] | None = None) -> UserSnapshot:
    return iam_user(
        keys or (key(BOB_KEY, created_days_ago=120, last_used_days_ago=1, now=SWEPT_AT),),
        tags={"owner-email": "bob@example.com", **(tags or {})},
        user_id=BOB_ID,
    ).model_copy(update={"arn": f"arn:aws:iam::{ACCOUNT}:user/bob"})


class SweepIAM(FakeIAM):
    """IAM that also deactivates keys (UpdateAccessKey), as enforcement does, and refuses every call
    about the users in `refused` (AccessDenied: a permissions boundary, a broken user)."""

    refused: frozenset[str] = frozenset()

    def _user(self, name: str, operation: str) -> UserSnapshot:
        if name in self.refused:
            self.calls.append(operation)
            raise client_error(
                "AccessDenied", operation, f"not authorized to perform iam:{operation} on {name}"
            )
        return super()._user(name, operation)

    def update_access_key(self, *, UserName: str, AccessKeyId: str, Status: str) -> dict[str, Any]:
        user = self._user(UserName, "UpdateAccessKey")
        keys = tuple(
            k.model_copy(update={"status": KeyStatus(Status)}) if k.access_key_id == AccessKeyId else k
            for k in user.access_keys
        )
        self.users[UserName] = user.model_copy(update={"access_keys": keys})
        return {}


class FlaggingConfig(FakeConfig):
    """Config's inventory, and the rule's NON_COMPLIANT users in pages (GetComplianceDetailsByConfigRule)."""

    def __init__(self, users: dict[str, str], flagged: list[str], error: str | None = None) -> None:
        super().__init__(users)
        self.flagged, self.error = flagged, error
        self.asked: list[dict[str, Any]] = []

    def get_compliance_details_by_config_rule(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if self.error:
            raise client_error(self.error, "GetComplianceDetailsByConfigRule")
        start = int(kwargs.get("NextToken", "0"))
        ids = self.flagged[start : start + kwargs["Limit"]]
        results = [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": kwargs["ConfigRuleName"],
                        "ResourceType": "AWS::IAM::User",
                        "ResourceId": user_id,
                    },
                    "OrderingTimestamp": SWEPT_AT - timedelta(days=10),
                },
                "ComplianceType": "NON_COMPLIANT",
                "ResultRecordedTime": SWEPT_AT - timedelta(days=10),
                "ConfigRuleInvokedTime": SWEPT_AT - timedelta(days=10),
            }
            for user_id in ids
        ]
        more = start + kwargs["Limit"] < len(self.flagged)
        return {"EvaluationResults": results, **({"NextToken": str(start + kwargs["Limit"])} if more else {})}


def _table(dynamodb: Any, name: str, keys: list[str], indexes: dict[str, tuple[str, str]]) -> Any:
    attributes = {*keys, *(a for pair in indexes.values() for a in pair)}
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": keys[0], "KeyType": "HASH"},
            *([{"AttributeName": keys[1], "KeyType": "RANGE"}] if len(keys) > 1 else []),
        ],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, (pk, sk) in indexes.items()
        ]
    return dynamodb.create_table(**kwargs)


class Sweep:
    """The deployed sweep's tables, state machine, IAM, Config and owners' topic, on moto."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> None:
        self.monkeypatch = monkeypatch
        dynamodb = boto3.resource("dynamodb", region_name=REGION)
        self.findings_table = _table(
            dynamodb, RESOURCES.findings_table, ["pk", "sk"], FindingsTable.indexes()
        )
        self.audit = _table(dynamodb, RESOURCES.audit_table, ["pk", "sk"], AuditTable.indexes())
        self.state = _table(dynamodb, RESOURCES.notification_state_table, ["pk", "sk"], {})
        self.exemptions = _table(dynamodb, RESOURCES.exemption_table, ["user"], {})
        self.stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        role = f"arn:aws:iam::{ACCOUNT}:role/kw-remediation"
        self.state_machine_arn = self.stepfunctions.create_state_machine(
            name="kw-remediation",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn=role,
        )["stateMachineArn"]
        resources = SweepResources(
            **{**RESOURCES.__dict__, "remediation_state_machine_arn": self.state_machine_arn}
        )
        self.environments = sweep_function_environments(
            DeploymentSettings.model_validate(settings), resources
        )
        self.iam = SweepIAM(bob())
        self.config = FlaggingConfig({BOB_ID: "bob"}, [BOB_ID])
        self.topic = FakeOwnerTopic()
        self.store = DynamoDBFindings(self.findings_table)

    # --- the functions, as the ASL invokes them --------------------------------------------------

    def follow_flagged(
        self, sweep: str = "sweep-a", next_token: str | None = None, at: datetime = SWEPT_AT
    ) -> dict[str, Any]:
        settings = FollowFlaggedSettings.from_environment(self.environments[FOLLOW_FLAGGED.substitution])
        ports = FollowFlaggedPorts(
            config=self.config,
            iam=self.iam,
            stepfunctions=self.stepfunctions,
            audit=self.audit,
            notification_state=self.state,
            exemption_table=self.exemptions,
            findings=self.store,
            owner_topic=self.topic,
        )
        self.monkeypatch.setattr(follow_flagged, "_configured", lambda: (settings, ports))
        request = {"sweep_name": sweep, "swept_at": at.isoformat(), "next_token": next_token}
        answer: dict[str, Any] = follow_flagged.handler(request, LambdaContext())
        return answer

    def follow_findings(
        self, sweep: str = "sweep-a", at: datetime = SWEPT_AT, start: dict[str, str] | None = None
    ) -> dict[str, Any]:
        settings = FollowFindingsSettings.from_environment(self.environments[FOLLOW_FINDINGS.substitution])
        ports = FollowFindingsPorts(
            findings=self.store, iam=self.iam, exemption_table=self.exemptions, owner_topic=self.topic
        )
        self.monkeypatch.setattr(follow_findings, "_configured", lambda: (settings, ports))
        request = {"sweep_name": sweep, "swept_at": at.isoformat(), "exclusive_start_key": start}
        answer: dict[str, Any] = follow_findings.handler(request, LambdaContext())
        return answer

    # --- what a test arranges and reads ----------------------------------------------------------

    def remediated(self, user_id: str, outcome: str, at: datetime, execution: str) -> None:
        self.audit.put_item(
            Item={
                "pk": AuditTable.remediation_pk(execution),
                "sk": AuditTable.REMEDIATION_SK,
                AuditTable.USER_ID: user_id,
                AuditTable.OUTCOME: outcome,
                AuditTable.RECORDED_AT: at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
        )

    def owner_was_told(self, user_id: str, key_id: str, at: datetime) -> None:
        self.state.put_item(
            Item={
                "pk": NotificationStateTable.user_pk(user_id),
                "sk": NotificationStateTable.key_sk(key_id),
                NotificationStateTable.FIRST_NOTIFIED_AT: at.isoformat(),
                NotificationStateTable.LAST_MESSAGE_ID: "msg-remediation",
            }
        )

    def exempt(self, user: str) -> None:
        self.exemptions.put_item(
            Item=exemption_to_item(
                Exemption(
                    user=user,
                    reason="break-glass account",
                    added_by="admin",
                    added_at=SWEPT_AT - timedelta(days=1),
                    expires_at=SWEPT_AT + timedelta(days=30),
                )
            )
        )

    def has_finding(self, finding: Finding) -> None:
        self.findings_table.put_item(Item=current_item(finding))

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.findings_table.get_item(Key={"pk": pk, "sk": sk}).get("Item")
        return found

    def history(self, key_id: str) -> list[str]:
        items = self.findings_table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
            ExpressionAttributeValues={":pk": FindingsTable.finding_pk(key_id), ":t": "T#"},
        )["Items"]
        return [str(item["sk"]) for item in items]

    def executions(self) -> list[dict[str, Any]]:
        listed = self.stepfunctions.list_executions(stateMachineArn=self.state_machine_arn)["executions"]
        return [self.stepfunctions.describe_execution(executionArn=e["executionArn"]) for e in listed]

    def kinds(self) -> list[str]:
        return [n.attributes["kind"]["StringValue"] for n in self.topic.published]


@pytest.fixture
def sweep(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sweep]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield Sweep(monkeypatch)


@pytest.fixture
def enforcing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sweep]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield Sweep(monkeypatch, enforceAfterDeadline=True)


def bobs_finding(first_notice_on: date, **changes: Any) -> Finding:
    return open_finding(
        access_key_id=BOB_KEY,
        user_id=BOB_ID,
        user_name="bob",
        account_id=ACCOUNT,
        owner_email="bob@example.com",
        first_notice_on=first_notice_on,
        today=first_notice_on,
        policy=LifecyclePolicy(),
        exempt=False,
    ).model_copy(update=changes)


# --- FollowFlaggedUsers -----------------------------------------------------------------------------


def test_a_flagged_user_never_remediated_is_redriven_once_a_day(sweep: Sweep) -> None:
    """Given bob flagged by Config with no remediation recorded (his event was lost),
    When the sweep follows the flagged users, again in a retry, and in a second sweep that day,
    Then one remediation is started, named for the day, with a Config-shaped event from the sweep,
    and the re-drive is recorded with its reason."""
    assert sweep.follow_flagged() == {"users": 1, "redriven": 1, "opened": 0, "failed": 0, "next_token": None}
    sweep.follow_flagged()  # the same sweep's retry
    assert sweep.follow_flagged(sweep="sweep-b")["redriven"] == 0
    (execution,) = sweep.executions()
    assert execution["name"] == f"sweep-20261208-{BOB_ID}"
    event = json.loads(execution["input"])
    assert (event["source"], event["id"], event["detail-type"]) == (
        "keywarden.sweep",
        f"sweep-2026-12-08-{BOB_ID}",
        "Config Rules Compliance Change",
    )
    assert (event["account"], event["region"], event["detail"]["resourceId"]) == (ACCOUNT, REGION, BOB_ID)
    assert event["detail"]["newEvaluationResult"]["resultRecordedTime"] == "2026-11-28T06:00:01Z"  # Config's
    redrive = sweep.item(FindingsTable.redrive_pk(BOB_ID), "2026-12-08")
    assert redrive is not None
    assert (redrive["reason"], redrive["execution_name"], redrive["sweep"]) == (
        "NEVER_REMEDIATED",
        f"sweep-20261208-{BOB_ID}",
        "sweep-a",
    )
    assert sweep.history(BOB_KEY) == []


@pytest.mark.parametrize(
    ("newest", "older", "reason"),
    [
        ("FAILED", "REMEDIATED", "FAILED"),
        ("REPLAYED", "TIMED_OUT", "TIMED_OUT"),
        ("DRY_RUN", None, "DRY_RUN_ONLY"),
    ],
)
def test_a_flagged_user_whose_newest_attempt_did_not_succeed_is_redriven(
    sweep: Sweep, newest: str, older: str | None, reason: str
) -> None:
    """Given bob's newest real remediation failed, timed out, or ran only in dry-run mode (and the
    deployment now enforces), When the sweep follows him, Then he is re-driven, for that reason."""
    if older:
        sweep.remediated(BOB_ID, older, SWEPT_AT - timedelta(days=20), "run-old")
    sweep.remediated(BOB_ID, newest, SWEPT_AT - timedelta(days=2), "run-new")
    assert sweep.follow_flagged()["redriven"] == 1
    redrive = sweep.item(FindingsTable.redrive_pk(BOB_ID), "2026-12-08")
    assert redrive is not None
    assert redrive["reason"] == reason


def test_a_settled_users_stale_key_gets_a_finding_from_the_remediations_notice(sweep: Sweep) -> None:
    """Given bob remediated (KEYS_LEFT_ACTIVE) and told on 12-01,
    When the sweep follows the flagged users twice, Then one finding opens with that first notice and a
    deadline 14 days later, the sweep sends nothing, and nothing is re-driven."""
    sweep.remediated(BOB_ID, "KEYS_LEFT_ACTIVE", datetime(2026, 12, 1, 9, tzinfo=UTC), "run-1")
    sweep.owner_was_told(BOB_ID, BOB_KEY, datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC))
    assert sweep.follow_flagged() == {"users": 1, "redriven": 0, "opened": 1, "failed": 0, "next_token": None}
    assert sweep.follow_flagged(sweep="sweep-b")["opened"] == 0
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.status, finding.first_notice_on, finding.deadline, finding.opened_on) == (
        FindingStatus.OPEN,
        date(2026, 12, 1),
        date(2026, 12, 15),
        TODAY,
    )
    assert (finding.owner_email, finding.account_id) == ("bob@example.com", ACCOUNT)
    assert sweep.history(BOB_KEY) == ["T#2026-12-08#OPENED"]
    assert sweep.topic.published == []
    assert sweep.executions() == []


def test_a_stale_key_no_remediation_told_of_gets_the_sweeps_first_notice_once(sweep: Sweep) -> None:
    """Given bob settled (NO_CHANGE) but his key went stale since, nobody told,
    When the sweep follows him, and its retry too, Then the finding's first notice is today, the sweep
    sends one FIRST_NOTICE and records its message id."""
    sweep.remediated(BOB_ID, "NO_CHANGE", SWEPT_AT - timedelta(days=60), "run-1")
    sweep.follow_flagged()
    sweep.follow_flagged()
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.first_notice_on, finding.deadline) == (TODAY, date(2026, 12, 22))
    assert sweep.kinds() == ["FIRST_NOTICE"]
    notice = sweep.item(FindingsTable.finding_pk(BOB_KEY), "T#2026-12-08#FIRST_NOTICE")
    assert notice is not None
    assert (notice["message_id"], notice["sweep"]) == ("msg-1", "sweep-a")


def test_an_exempt_users_finding_opens_closed_exempt_and_nobody_is_told(sweep: Sweep) -> None:
    """Given bob exempted and settled (EXEMPT), When the sweep follows him, Then his key's finding opens
    closed EXEMPT, with no message."""
    sweep.exempt("bob")
    sweep.remediated(BOB_ID, "EXEMPT", SWEPT_AT - timedelta(days=1), "run-1")
    assert sweep.follow_flagged()["opened"] == 1
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.status, finding.closed_on) == (FindingStatus.EXEMPT, TODAY)
    assert sweep.history(BOB_KEY) == ["T#2026-12-08#EXEMPT", "T#2026-12-08#OPENED"]
    assert sweep.topic.published == []


def test_a_user_whose_exemption_ended_is_redriven_and_then_followed_again(sweep: Sweep) -> None:
    """Given bob's key closed EXEMPT while he was exempt, and no exemption applies any more,
    When the sweep follows him, Then he is re-driven (EXEMPTION_ENDED); and When, the next day, his
    re-drive has left the key active and told him, Then the finding opens again with that notice's
    deadline and its OPENED transition of the day."""
    sweep.remediated(BOB_ID, "EXEMPT", SWEPT_AT - timedelta(days=40), "run-1")
    sweep.has_finding(
        bobs_finding(date(2026, 10, 29), status=FindingStatus.EXEMPT, closed_on=date(2026, 10, 29))
    )

    assert sweep.follow_flagged()["redriven"] == 1
    redrive = sweep.item(FindingsTable.redrive_pk(BOB_ID), "2026-12-08")
    assert redrive is not None
    assert redrive["reason"] == "EXEMPTION_ENDED"

    next_day = SWEPT_AT + timedelta(days=1)
    sweep.remediated(BOB_ID, "KEYS_LEFT_ACTIVE", next_day - timedelta(hours=20), "run-2")
    sweep.owner_was_told(BOB_ID, BOB_KEY, next_day - timedelta(hours=20))
    assert sweep.follow_flagged(sweep="sweep-b", at=next_day)["opened"] == 1
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.status, finding.first_notice_on, finding.deadline, finding.closed_on) == (
        FindingStatus.OPEN,
        date(2026, 12, 8),
        date(2026, 12, 22),
        None,
    )
    assert "T#2026-12-09#OPENED" in sweep.history(BOB_KEY)
    assert sweep.topic.published == []  # the re-drive's remediation told him


def test_an_exempt_users_closed_finding_stays_closed_while_the_exemption_applies(sweep: Sweep) -> None:
    """Given bob exempt, his key's finding closed EXEMPT, When the sweep follows him, Then nothing is
    re-driven, reopened or sent."""
    sweep.exempt("bob")
    sweep.remediated(BOB_ID, "EXEMPT", SWEPT_AT - timedelta(days=3), "run-1")
    sweep.has_finding(
        bobs_finding(date(2026, 12, 5), status=FindingStatus.EXEMPT, closed_on=date(2026, 12, 5))
    )
    assert sweep.follow_flagged() == {"users": 1, "redriven": 0, "opened": 0, "failed": 0, "next_token": None}
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert finding.status is FindingStatus.EXEMPT
    assert sweep.topic.published == []


def test_a_flagged_user_aws_refuses_is_recorded_alone_and_the_others_are_followed(sweep: Sweep) -> None:
    """Given bob and carol flagged and settled, and IAM refusing every call about bob,
    When the sweep follows the flagged users, Then carol's stale key gets its finding, bob is recorded as
    not followed (SWEEP#<sweep> / ITEM#<user id>), and the page says 1 failed instead of failing."""
    carol_key = "AKIAAAAAAAAAAAAAAAA2"
    carol = iam_user(
        (key(carol_key, created_days_ago=120, last_used_days_ago=1, now=SWEPT_AT),),
        tags={"owner-email": "carol@example.com"},
        user_name="carol",
        user_id=CAROL_ID,
    )
    sweep.iam = SweepIAM(bob(), carol)
    sweep.iam.refused = frozenset({"bob"})
    sweep.config = FlaggingConfig({BOB_ID: "bob", CAROL_ID: "carol"}, [BOB_ID, CAROL_ID])
    for user_id in (BOB_ID, CAROL_ID):
        sweep.remediated(user_id, "KEYS_LEFT_ACTIVE", SWEPT_AT - timedelta(days=2), f"run-{user_id}")
    page = sweep.follow_flagged()
    assert (page["users"], page["opened"], page["failed"]) == (2, 1, 1)
    assert sweep.store.get(carol_key) is not None
    assert sweep.store.get(BOB_KEY) is None
    refused = sweep.item(FindingsTable.sweep_pk("sweep-a"), f"ITEM#{BOB_ID}")
    assert refused is not None
    assert refused["error"] == "AccessDenied"


def test_config_is_read_a_page_at_a_time_and_the_token_handed_back(sweep: Sweep) -> None:
    """Given 150 flagged users Config does not know by name (deleted since), When the sweep follows them,
    Then it asks for 100 NON_COMPLIANT users at a time and hands back Config's token until the last page."""
    sweep.config = FlaggingConfig({}, [f"AIDAUSER{i:04d}" for i in range(150)])
    for i in range(150):
        sweep.remediated(f"AIDAUSER{i:04d}", "REMEDIATED", SWEPT_AT - timedelta(days=3), f"run-{i}")
    first = sweep.follow_flagged()
    assert (first["users"], first["next_token"]) == (100, "100")
    second = sweep.follow_flagged(next_token=first["next_token"])
    assert (second["users"], second["next_token"]) == (50, None)
    assert [a.get("NextToken") for a in sweep.config.asked] == [None, "100"]
    assert {(a["ConfigRuleName"], tuple(a["ComplianceTypes"]), a["Limit"]) for a in sweep.config.asked} == {
        (RULE, ("NON_COMPLIANT",), 100)
    }


def test_throttled_config_fails_the_page_as_aws_throttled(sweep: Sweep) -> None:
    """Given Config throttling after the client's retries, When the sweep follows the flagged users,
    Then the function fails with AwsThrottled, which the sweep's Retry waits out."""
    sweep.config = FlaggingConfig({}, [BOB_ID], error="ThrottlingException")
    with pytest.raises(AwsThrottled, match="GetComplianceDetailsByConfigRule throttled"):
        sweep.follow_flagged()


# --- FollowFindings ---------------------------------------------------------------------------------


def test_a_reminder_is_sent_once_on_its_day_whoever_sweeps_again(sweep: Sweep) -> None:
    """Given bob's finding (first notice 12-01, deadline 12-15) on 12-08, 7 days before,
    When the sweep follows findings, retries, and a second sweep runs that day,
    Then one REMINDER goes out, recorded with its message id, and the finding remembers it."""
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    first = sweep.follow_findings()
    assert first == {
        "followed": 1,
        "reminders": 1,
        "escalations": 0,
        "enforced": 0,
        "resolved": 0,
        "closed": 0,
        "failed": 0,
        "next_key": None,
    }
    sweep.follow_findings()
    assert sweep.follow_findings(sweep="sweep-b")["reminders"] == 0
    assert sweep.kinds() == ["REMINDER"]
    reminder = sweep.item(FindingsTable.finding_pk(BOB_KEY), "T#2026-12-08#REMINDER")
    assert reminder is not None
    assert (reminder["message_id"], reminder["reminder_days"], reminder["sweep"]) == ("msg-1", [7], "sweep-a")
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.reminder_days_sent, finding.reminded_on) == ((7,), (TODAY,))


def test_at_the_deadline_the_escalation_goes_to_the_security_contact_and_the_tagged_manager(
    sweep: Sweep,
) -> None:
    """Given bob's deadline today and his owner-manager tag, When followed, Then one ESCALATION names
    the security contact and alice, and the finding is escalated (and overdue)."""
    sweep.iam = SweepIAM(bob(tags={"owner-manager": "alice@example.com"}))
    sweep.has_finding(bobs_finding(date(2026, 11, 24), reminder_days_sent=(2, 7)))
    assert sweep.follow_findings()["escalations"] == 1
    (message,) = sweep.topic.published
    facts = json.loads(json.loads(message.message)["lambda"])
    assert facts["kind"] == "ESCALATION"
    assert facts["finding"]["escalated_to"] == ["security@example.com", "alice@example.com"]
    escalation = sweep.item(FindingsTable.finding_pk(BOB_KEY), "T#2026-12-08#ESCALATION")
    assert escalation is not None
    assert escalation["escalated_to"] == ["security@example.com", "alice@example.com"]
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.escalated_on, finding.overdue) == (TODAY, True)


def test_with_enforcement_off_an_overdue_key_stays_active_and_nobody_is_told_again(sweep: Sweep) -> None:
    """Given bob escalated 7 days ago and enforcement off, When followed, Then nothing happens."""
    sweep.has_finding(
        bobs_finding(date(2026, 11, 17), escalated_on=date(2026, 12, 1), reminder_days_sent=(2, 7))
    )
    assert sweep.follow_findings()["followed"] == 1
    assert sweep.topic.published == []
    assert sweep.iam.users["bob"].access_keys[0].status is KeyStatus.ACTIVE


def test_with_enforcement_on_the_key_is_deactivated_the_delay_after_the_deadline(enforcing: Sweep) -> None:
    """Given enforcement on and bob's deadline 7 days ago, When followed, Then his key is Inactive in IAM,
    he is told (ENFORCED), and the finding closes ENFORCED."""
    enforcing.has_finding(
        bobs_finding(date(2026, 11, 17), escalated_on=date(2026, 12, 1), reminder_days_sent=(2, 7))
    )
    page = enforcing.follow_findings()
    assert (page["enforced"], page["closed"]) == (1, 1)
    assert enforcing.iam.users["bob"].access_keys[0].status is KeyStatus.INACTIVE
    assert enforcing.kinds() == ["ENFORCED"]
    finding = enforcing.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.status, finding.enforced_on) == (FindingStatus.ENFORCED, TODAY)


def test_in_dry_run_mode_enforcement_only_records_what_it_would_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given enforcement on in a dry-run deployment, When bob's enforcement day comes,
    Then WOULD_ENFORCE is recorded, the key stays Active, nobody is told, the finding stays open."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dry = Sweep(monkeypatch, enforceAfterDeadline=True, dryRun=True)
        dry.has_finding(
            bobs_finding(date(2026, 11, 17), escalated_on=date(2026, 12, 1), reminder_days_sent=(2, 7))
        )
        assert dry.follow_findings()["enforced"] == 0
        assert dry.history(BOB_KEY) == ["T#2026-12-08#WOULD_ENFORCE"]
        assert dry.iam.users["bob"].access_keys[0].status is KeyStatus.ACTIVE
        assert dry.topic.published == []
        finding = dry.store.get(BOB_KEY)
        assert finding is not None
        assert (finding.status, finding.enforcement_previewed_on) == (FindingStatus.OPEN, TODAY)


def test_a_user_tagged_keywarden_enforce_never_keeps_the_key(enforcing: Sweep) -> None:
    """Given enforcement on and bob tagged keywarden-enforce=never, When his enforcement day comes,
    Then nothing is deactivated and nothing sent."""
    enforcing.iam = SweepIAM(bob(tags={"keywarden-enforce": "never"}))
    enforcing.has_finding(
        bobs_finding(date(2026, 11, 17), escalated_on=date(2026, 12, 1), reminder_days_sent=(2, 7))
    )
    assert enforcing.follow_findings()["enforced"] == 0
    assert enforcing.iam.users["bob"].access_keys[0].status is KeyStatus.ACTIVE


def test_a_rotated_key_resolves_its_finding_and_it_is_followed_no_more(sweep: Sweep) -> None:
    """Given bob rotated (his old key deleted, a new one created), When followed, Then the finding closes
    RESOLVED (DELETED) with a RESOLVED message, leaves the open findings, and gets nothing after."""
    sweep.iam = SweepIAM(bob(key("AKIANEWKEY0000000001", created_days_ago=1, now=SWEPT_AT)))
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    page = sweep.follow_findings()
    assert (page["resolved"], page["closed"]) == (1, 1)
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert (finding.status, finding.resolution, finding.days_to_close) == (
        FindingStatus.RESOLVED,
        "DELETED",
        7,
    )
    assert sweep.kinds() == ["RESOLVED"]
    assert sweep.follow_findings(at=SWEPT_AT + timedelta(days=5))["followed"] == 0


def test_a_deleted_users_finding_closes_without_a_message(sweep: Sweep) -> None:
    """Given bob deleted from IAM, When followed, Then USER_DELETED, nobody told."""
    sweep.iam = SweepIAM()
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    assert sweep.follow_findings()["closed"] == 1
    finding = sweep.store.get(BOB_KEY)
    assert finding is not None
    assert finding.status is FindingStatus.USER_DELETED
    assert sweep.topic.published == []


def test_an_unsent_claim_of_another_sweep_is_left_to_it(sweep: Sweep) -> None:
    """Given another sweep claimed today's reminder and has not sent it (it is running, or died),
    When this sweep follows bob, Then it sends nothing and leaves the finding as it is."""
    finding = bobs_finding(date(2026, 12, 1))
    sweep.has_finding(finding)
    sweep.store.claim(
        finding,
        TODAY,
        TransitionKind.REMINDER,
        sweep="sweep-other",
        at=SWEPT_AT,
        sends_message=True,
    )
    assert sweep.follow_findings()["reminders"] == 0
    assert sweep.topic.published == []
    assert sweep.store.get(BOB_KEY) == finding


def test_a_finding_aws_refuses_is_recorded_alone_and_the_others_are_followed(sweep: Sweep) -> None:
    """Given two findings due a reminder today, bob's and carol's, and IAM refusing every call about bob,
    When the sweep follows findings, Then carol is reminded, bob's finding is recorded as not followed
    (SWEEP#<sweep> / ITEM#<key id>, with AWS's error), and the page says 1 failed instead of failing."""
    carol_key = "AKIAAAAAAAAAAAAAAAA2"
    carol = iam_user(
        (key(carol_key, created_days_ago=120, last_used_days_ago=1, now=SWEPT_AT),),
        tags={"owner-email": "carol@example.com"},
        user_name="carol",
        user_id=CAROL_ID,
    )
    sweep.iam = SweepIAM(bob(), carol)
    sweep.iam.refused = frozenset({"bob"})
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    sweep.has_finding(
        bobs_finding(date(2026, 12, 1)).model_copy(
            update={"access_key_id": carol_key, "user_id": CAROL_ID, "user_name": "carol"}
        )
    )
    page = sweep.follow_findings()
    assert (page["followed"], page["reminders"], page["failed"]) == (2, 1, 1)
    refused = sweep.item(FindingsTable.sweep_pk("sweep-a"), f"ITEM#{BOB_KEY}")
    assert refused is not None
    assert (refused["error"], refused["sweep"]) == ("AccessDenied", "sweep-a")
    assert "not authorized" in refused["cause"]
    assert sweep.kinds() == ["REMINDER"]
    assert sweep.topic.published[0].attributes["user_name"]["StringValue"] == "carol"
    bobs = sweep.store.get(BOB_KEY)
    assert bobs is not None
    assert bobs.reminded_on == ()


def test_throttled_iam_for_one_finding_still_fails_the_whole_page(sweep: Sweep) -> None:
    """Given IAM throttling, When the sweep follows findings, Then the page fails as AwsThrottled (the
    sweep retries it later) rather than recording the finding as not followed."""
    sweep.iam = SweepIAM(bob(), error="Throttling")
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    with pytest.raises(AwsThrottled):
        sweep.follow_findings()
    assert sweep.item(FindingsTable.sweep_pk("sweep-a"), f"ITEM#{BOB_KEY}") is None


def test_open_findings_are_read_a_page_at_a_time(sweep: Sweep, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given two open findings and pages of one, When the sweep follows them page after page,
    Then each is followed once and the last page has no next key."""
    monkeypatch.setattr(finding_followups, "PAGE_SIZE", 1)
    sweep.iam = SweepIAM(
        bob(
            key(BOB_KEY, created_days_ago=120, now=SWEPT_AT),
            key("AKIAAAAAAAAAAAAAAAA2", created_days_ago=100, now=SWEPT_AT),
        )
    )
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    sweep.has_finding(
        bobs_finding(date(2026, 12, 3)).model_copy(update={"access_key_id": "AKIAAAAAAAAAAAAAAAA2"})
    )
    followed, start = 0, None
    for _ in range(4):
        page = sweep.follow_findings(start=start)
        followed += page["followed"]
        start = page["next_key"]
        if start is None:
            break
    assert (followed, start) == (2, None)


def test_throttled_iam_fails_the_page_as_aws_throttled(sweep: Sweep) -> None:
    """Given IAM throttling, When the sweep follows findings, Then AwsThrottled (the sweep retries)."""
    sweep.iam = SweepIAM(bob(), error="Throttling")
    sweep.has_finding(bobs_finding(date(2026, 12, 1)))
    with pytest.raises(AwsThrottled, match="throttled"):
        sweep.follow_findings()


def test_a_sweep_that_died_after_sending_stores_the_state_without_sending_again(sweep: Sweep) -> None:
    """Given today's reminder sent and marked (by an earlier run of this or another sweep) but the
    finding's state not stored, When the sweep follows bob, Then nothing is sent and the state is stored."""
    finding = bobs_finding(date(2026, 12, 1))
    sweep.has_finding(finding)
    reminder = TransitionKind.REMINDER
    sweep.store.claim(finding, TODAY, reminder, sweep="sweep-other", at=SWEPT_AT, sends_message=True)
    sweep.store.mark_sent(BOB_KEY, TODAY, reminder, "msg-earlier")
    assert sweep.follow_findings()["reminders"] == 0
    assert sweep.topic.published == []
    stored = sweep.store.get(BOB_KEY)
    assert stored is not None
    assert (stored.reminder_days_sent, stored.reminded_on) == ((7,), (TODAY,))
