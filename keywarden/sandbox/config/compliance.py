"""AWS Config's evaluations of ACCESS_KEYS_ROTATED in the sandbox, and GetComplianceDetailsByConfigRule.

moto stores Config rules (PutConfigRule, DescribeConfigRules) but never evaluates one and has no
GetComplianceDetailsByConfigRule at all. Here an ACCESS_KEYS_ROTATED rule (an AWS managed rule,
source identifier ACCESS_KEYS_ROTATED) is evaluated when the sandbox says Config runs it
(`ConfigEvaluations.evaluate`: the rule is periodic, "Trigger type: Periodic",
https://docs.aws.amazon.com/config/latest/developerguide/access-keys-rotated.html): every IAM user
Config has recorded (config_inventory.py) is NON_COMPLIANT when one of its active keys is
maxAccessKeyAge days old or more (domain/findings.py `stale_active_keys`), COMPLIANT otherwise.
Between two evaluations the results stay what they were, as in AWS.

GetComplianceDetailsByConfigRule follows
https://docs.aws.amazon.com/config/latest/APIReference/API_GetComplianceDetailsByConfigRule.html:
ConfigRuleName required (an unknown one: NoSuchConfigRuleException); ComplianceTypes at most 3 of
COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE (INSUFFICIENT_DATA "cannot be used as a ComplianceType for
filtering results"); Limit 0 to 100, default 10 (0: the default), with NextToken paging; each
EvaluationResult is {EvaluationResultIdentifier: {EvaluationResultQualifier: {ConfigRuleName,
ResourceType, ResourceId}, OrderingTimestamp}, ComplianceType, ResultRecordedTime,
ConfigRuleInvokedTime} (https://docs.aws.amazon.com/config/latest/APIReference/API_EvaluationResult.html),
times as epoch seconds (the JSON protocol's timestamps).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from unittest import mock

from moto.config.exceptions import (
    InvalidNextTokenException,
    InvalidParameterValueException,
    NoSuchConfigRuleException,
    ValidationException,
)
from moto.config.models import ConfigRule, config_backends
from moto.config.responses import ConfigResponse
from moto.iam.models import User

from domain.config_rule import CONFIG_RULE_IDENTIFIER, IAM_USER_RESOURCE_TYPE, NON_COMPLIANT
from domain.findings import stale_active_keys
from keywarden.sandbox.config.inventory import ConfigInventory

COMPLIANT: Final = "COMPLIANT"
FILTERABLE_COMPLIANCE_TYPES: Final = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
MAX_COMPLIANCE_TYPES: Final = 3
DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 100


@dataclass(frozen=True)
class Evaluation:
    """One resource's last evaluation by one rule."""

    resource_id: str
    compliance_type: str
    recorded_at: datetime
    invoked_at: datetime


@dataclass(frozen=True)
class ComplianceChange:
    """A resource whose compliance an evaluation changed (`previous` None: first evaluated)."""

    rule_name: str
    resource_id: str
    previous: str | None
    current: str


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def user_compliance(user: User, now: datetime, max_access_key_age: int) -> str:
    """ACCESS_KEYS_ROTATED's judgement of one IAM user (moto's object) at `now`."""
    keys = [(key.access_key_id, key.status == "Active", _aware(key.create_date)) for key in user.access_keys]
    return NON_COMPLIANT if stale_active_keys(keys, now, max_access_key_age) else COMPLIANT


def _max_access_key_age(rule: ConfigRule) -> int:
    return int(rule.input_parameters_dict.get("maxAccessKeyAge", 90))


def _evaluates_access_keys(rule: ConfigRule) -> bool:
    return bool(rule.source.owner == "AWS" and rule.source.source_identifier == CONFIG_RULE_IDENTIFIER)


class ConfigEvaluations:
    """The evaluation results of every ACCESS_KEYS_ROTATED rule in one account and region."""

    def __init__(self, inventory: ConfigInventory) -> None:
        self.inventory = inventory
        self._results: dict[str, dict[str, Evaluation]] = {}
        """Rule name -> resource id -> its last evaluation, in the order first evaluated."""
        self._lock = threading.Lock()

    def _rules(self) -> dict[str, ConfigRule]:
        backend = config_backends[self.inventory.account_id][self.inventory.region]
        return dict(backend.config_rules)

    def evaluate(self, now: datetime | None = None) -> list[ComplianceChange]:
        """Config runs every ACCESS_KEYS_ROTATED rule now; returns the changes (every rule's, in order).

        The users evaluated are the ones Config records now; a user no longer recorded (deleted)
        loses its result, as Config deletes a deleted resource's evaluations."""
        moment = now or self.inventory.clock.now()
        changes: list[ComplianceChange] = []
        users = self.inventory.recorded_users()
        with self._lock:
            for name, rule in self._rules().items():
                if not _evaluates_access_keys(rule):
                    continue
                previous = self._results.get(name, {})
                current: dict[str, Evaluation] = {}
                for user in users:
                    compliance = user_compliance(user, moment, _max_access_key_age(rule))
                    current[user.id] = Evaluation(user.id, compliance, moment, moment)
                    before = previous.get(user.id)
                    was = before.compliance_type if before else None
                    if was != compliance:
                        changes.append(ComplianceChange(name, user.id, was, compliance))
                self._results[name] = current
        return changes

    def results(self, rule_name: str) -> list[Evaluation]:
        """The rule's last evaluation of each resource (NoSuchConfigRuleException: no such rule)."""
        if rule_name not in self._rules():
            raise NoSuchConfigRuleException(rule_name)
        with self._lock:
            return list(self._results.get(rule_name, {}).values())

    def compliance_details(
        self,
        rule_name: str | None,
        compliance_types: list[str] | None = None,
        limit: int | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """The GetComplianceDetailsByConfigRule answer (the API reference's rules, see the module)."""
        if not rule_name:
            raise ValidationException(
                "1 validation error detected: Value null at 'configRuleName' failed to satisfy "
                "constraint: Member must not be null"
            )
        types = list(compliance_types or [])
        if len(types) > MAX_COMPLIANCE_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{types}' at 'complianceTypes' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_COMPLIANCE_TYPES}"
            )
        unknown = [t for t in types if t not in FILTERABLE_COMPLIANCE_TYPES]
        if unknown:
            raise InvalidParameterValueException(
                f"The complianceTypes {unknown} are not valid: use {', '.join(FILTERABLE_COMPLIANCE_TYPES)}"
            )
        if limit is not None and not 0 <= limit <= MAX_LIMIT:
            relation = "greater than or equal to 0" if limit < 0 else f"less than or equal to {MAX_LIMIT}"
            raise ValidationException(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                f"constraint: Member must have value {relation}"
            )
        page_size = limit or DEFAULT_LIMIT
        results = [r for r in self.results(rule_name) if not types or r.compliance_type in types]
        start = 0
        if next_token:
            # The token names the first resource of the next page.
            start = next((i for i, r in enumerate(results) if r.resource_id == next_token), -1)
            if start < 0:
                raise InvalidNextTokenException()
        page = results[start : start + page_size]
        answer: dict[str, Any] = {"EvaluationResults": [_shape(rule_name, r) for r in page]}
        if start + page_size < len(results):
            answer["NextToken"] = results[start + page_size].resource_id
        return answer


def _shape(rule_name: str, result: Evaluation) -> dict[str, Any]:
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule_name,
                "ResourceType": IAM_USER_RESOURCE_TYPE,
                "ResourceId": result.resource_id,
            },
            "OrderingTimestamp": result.invoked_at.timestamp(),
        },
        "ComplianceType": result.compliance_type,
        "ResultRecordedTime": result.recorded_at.timestamp(),
        "ConfigRuleInvokedTime": result.invoked_at.timestamp(),
    }


@contextlib.contextmanager
def compliance_details_api(evaluations: ConfigEvaluations) -> Iterator[ConfigEvaluations]:
    """GetComplianceDetailsByConfigRule answers from `evaluations` (in their account and region)."""
    inventory = evaluations.inventory

    def get_compliance_details_by_config_rule(self: ConfigResponse) -> str:
        if (self.current_account, self.region) != (inventory.account_id, inventory.region):
            raise NoSuchConfigRuleException(str(self._get_param("ConfigRuleName")))
        return json.dumps(
            evaluations.compliance_details(
                self._get_param("ConfigRuleName"),
                compliance_types=self._get_param("ComplianceTypes"),
                limit=self._get_param("Limit"),
                next_token=self._get_param("NextToken"),
            )
        )

    with mock.patch.object(
        ConfigResponse,
        "get_compliance_details_by_config_rule",
        get_compliance_details_by_config_rule,
        create=True,
    ):
        yield evaluations
