"""Reading a synthesized CloudFormation template in tests: resources, references, policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Resources = dict[str, dict[str, Any]]


def of_type(resources: Resources, kind: str) -> Resources:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def only(resources: Resources, kind: str, **properties: Any) -> tuple[str, dict[str, Any]]:
    """The one resource of `kind` whose properties include `properties`."""
    found = [
        (name, r)
        for name, r in of_type(resources, kind).items()
        if all(r.get("Properties", {}).get(k) == v for k, v in properties.items())
    ]
    assert len(found) == 1, f"expected one {kind} with {properties}, found {[n for n, _ in found]}"
    return found[0]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["Statement"])


def policy_documents(resources: Resources) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy document of the template: identity, trust and resource policies."""
    keys = {
        "AWS::IAM::Policy": "PolicyDocument",
        "AWS::IAM::Role": "AssumeRolePolicyDocument",
        "AWS::KMS::Key": "KeyPolicy",
        "AWS::SNS::TopicPolicy": "PolicyDocument",
        "AWS::SQS::QueuePolicy": "PolicyDocument",
        "AWS::S3::BucketPolicy": "PolicyDocument",
        "AWS::IAM::ManagedPolicy": "PolicyDocument",
    }
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table" and "ResourcePolicy" in properties:
            yield name, properties["ResourcePolicy"]["PolicyDocument"]
        key = keys.get(resource["Type"])
        if key is None:
            continue
        yield name, properties[key]
        for inline in properties.get("Policies", []):
            yield name, inline["PolicyDocument"]


def role_statements(resources: Resources, role_id: str) -> list[dict[str, Any]]:
    """The Allow statements of every AWS::IAM::Policy attached to `role_id`."""
    found = []
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if ref(role_id) in policy["Properties"]["Roles"]:
            found += statements(policy["Properties"]["PolicyDocument"])
    return found


def actions_to_resources(found: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """action -> the resources it is allowed on (conditions aside)."""
    granted: dict[str, list[Any]] = {}
    for statement in found:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


def account_arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> dict[str, Any]:
    """The Fn::Join CDK writes for `arn:<partition>:<service>:<region>:<account>:<resource>`."""
    parts: list[Any] = ["arn:", {"Ref": "AWS::Partition"}, f":{service}:"]
    if region:
        parts += [{"Ref": "AWS::Region"}]
    parts += [":"]
    if account:
        parts += [{"Ref": "AWS::AccountId"}]
    parts += [f":{resource}"]
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return {"Fn::Join": ["", merged]}


def queue_policy(resources: Resources, queue_id: str) -> dict[str, Any]:
    """The properties of the one AWS::SQS::QueuePolicy attached to `queue_id`."""
    (policy,) = [
        p["Properties"]
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if ref(queue_id) in p["Properties"]["Queues"]
    ]
    return dict(policy)


SAMPLE_PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
    "AWS::StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/keywarden/0a1b2c3d",
}
"""What CloudFormation would put for the pseudo parameters in one account and region."""


def render(value: Any) -> Any:
    """A template value as deployed with SAMPLE_PSEUDO_PARAMETERS; other references as `<Id>` / `<Id.Arn>`."""
    if isinstance(value, list):
        return [render(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return SAMPLE_PSEUDO_PARAMETERS.get(value["Ref"], f"<{value['Ref']}>")
    if set(value) == {"Fn::GetAtt"}:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return str(separator).join(str(render(part)) for part in parts)
    return {k: render(v) for k, v in value.items()}


def remediation_state_machine(resources: Resources) -> tuple[str, dict[str, Any]]:
    """The remediation workflow's state machine (`<prefix>-remediation`; the other is the sweep)."""
    found = [
        (name, r)
        for name, r in of_type(resources, "AWS::StepFunctions::StateMachine").items()
        if str(r["Properties"]["StateMachineName"]).endswith("-remediation")
    ]
    assert len(found) == 1, [n for n, _ in found]
    return found[0]
