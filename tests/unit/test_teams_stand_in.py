"""The sandbox's Teams webhook: it refuses what Teams refuses, so a bad card fails in a test."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.classification import CredentialPolicy, classify_key
from keywarden.sandbox.servers.teams_server import TeamsWebhookServer
from notifications.channels.teams import render_teams_message
from tests.factories import NOW, key, notification_facts

Payload = dict[str, Any]


@pytest.fixture
def teams() -> Iterator[TeamsWebhookServer]:
    server = TeamsWebhookServer()
    server.start()
    yield server
    server.close()


def valid() -> Payload:
    used = key("AKIAIOSFODNN7EXAMPLE", created_days_ago=120, last_used_days_ago=3)
    facts = notification_facts((classify_key(used, used, CredentialPolicy(90, 90), NOW, NOW),))
    return render_teams_message(facts)


def post(server: TeamsWebhookServer, payload: Any) -> tuple[int, str]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(server.url("default"), data=body, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_documented_card_is_accepted_as_workflows_accept_it(teams: TeamsWebhookServer) -> None:
    """Given an Adaptive Card as Microsoft documents it, When it is posted, Then the stand-in answers 202
    as Workflows does and delivers it."""
    assert post(teams, valid()) == (202, "")
    assert [p.status for p in teams.delivered()] == [202]


def _without(*path: str) -> Callable[[Payload], None]:
    def change(payload: Payload) -> None:
        target: Any = payload
        for step in path[:-1]:
            target = target[int(step)] if step.isdigit() else target[step]
        del target[path[-1]]

    return change


def _set(value: Any, *path: str) -> Callable[[Payload], None]:
    def change(payload: Payload) -> None:
        target: Any = payload
        for step in path[:-1]:
            target = target[int(step)] if step.isdigit() else target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_without("type"), "type must be 'message'"),
        (_set("MessageCard", "type"), "type must be 'message'"),
        (_set([], "attachments"), "attachments must hold at least one card"),
        (_set("text/plain", "attachments", "0", "contentType"), "contentType must be"),
        (_without("attachments", "0", "content", "type"), "must have type 'AdaptiveCard'"),
        (_without("attachments", "0", "content", "version"), "needs a version"),
        (_set("2.0", "attachments", "0", "content", "version"), "newer than Teams renders"),
        (_set([{"text": "untyped"}], "attachments", "0", "content", "body"), "each with a type"),
    ],
)
def test_what_teams_refuses_is_refused(
    teams: TeamsWebhookServer, change: Callable[[Payload], None], problem: str
) -> None:
    # Given the card keywarden renders, broken in one way
    payload = copy.deepcopy(valid())
    change(payload)

    # When it is posted
    status, body = post(teams, payload)

    # Then the stand-in refuses it, says why, and nothing is delivered
    assert status == 400
    assert problem in body
    assert teams.delivered() == []


def test_a_message_over_28_kb_is_refused(teams: TeamsWebhookServer) -> None:
    # Given a card past Teams' 28 KB
    payload = valid()
    payload["attachments"][0]["content"]["body"].append(
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "x" * 29_000}]}
    )

    # When it is posted
    status, body = post(teams, payload)

    # Then it is refused as too large, naming the limit
    assert status == 413
    assert "Teams takes at most 28672" in body


def test_not_json_is_refused(teams: TeamsWebhookServer) -> None:
    """Given a body that is not JSON, When it is posted, Then it is refused."""
    assert post(teams, b"{not json")[0] == 400
