"""Posting to a chat webhook: a local HTTP server answers 200, 429, 500, or too late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from domain.classification import CredentialPolicy, classify_key
from domain.notification_facts import NotificationFacts
from keywarden.sandbox.servers.slack_server import SlackWebhookServer
from keywarden.sandbox.servers.teams_server import TeamsWebhookServer
from keywarden.sandbox.servers.webhook_server import ScriptedAnswer
from notifications.channels.slack import parse_slack_webhooks, route
from notifications.channels.teams import deliver_to_teams, parse_teams_webhooks
from notifications.webhook import RetryPolicy, WebhookDeliveryError, Webhooks, post_json
from tests.factories import NOW, key, notification_facts

PAYLOAD = {"text": "hello", "blocks": []}
NO_JITTER = RetryPolicy(max_attempts=4, timeout_seconds=2.0, base_delay_seconds=1.0, jitter=False)


class FakeTime:
    """Sleeps are recorded and move a fake monotonic clock: no test waits for a back-off."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def slack() -> Iterator[SlackWebhookServer]:
    server = SlackWebhookServer()
    server.start()
    yield server
    server.close()


def post(url: str, policy: RetryPolicy = NO_JITTER, budget: float = 60.0) -> tuple[int, FakeTime]:
    time = FakeTime()
    delivered = post_json(url, PAYLOAD, policy, budget, "Slack", sleep=time.sleep, monotonic=time.monotonic)
    return len(delivered.attempts), time


def test_a_200_is_posted_once_without_waiting(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 200, When a message is posted
    attempts, time = post(slack.url("default"))

    # Then it is posted once, with no wait
    assert attempts == 1
    assert time.sleeps == []
    assert [(p.webhook, p.payload, p.status) for p in slack.posts] == [("default", PAYLOAD, 200)]


def test_429_waits_exactly_retry_after(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 429 with Retry-After: 7, then 200
    slack.answer_next(ScriptedAnswer(429, "rate_limited", retry_after="7"))

    # When a message is posted
    attempts, time = post(slack.url("default"))

    # Then the poster waits exactly 7 s and posts again
    assert attempts == 2
    assert time.sleeps == [7.0]
    assert [p.status for p in slack.posts] == [429, 200]


def test_a_retry_after_given_as_an_http_date_is_waited_until_then(slack: SlackWebhookServer) -> None:
    # Given a 429 whose Retry-After is an HTTP date 30 s ahead
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    slack.answer_next(ScriptedAnswer(429, "rate_limited", retry_after=later))

    # When a message is posted
    attempts, time = post(slack.url("default"))

    # Then the poster waits until about then
    assert attempts == 2
    assert 25 <= time.sleeps[0] <= 30


def test_5xx_backs_off_exponentially(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 500, 503, then 200
    slack.answer_next(ScriptedAnswer(500, "internal_error"), ScriptedAnswer(503, "unavailable"))

    # When a message is posted, without jitter
    attempts, time = post(slack.url("default"))

    # Then it waits 1 s, then 2 s
    assert attempts == 3
    assert time.sleeps == [1.0, 2.0]


def test_full_jitter_stays_under_the_exponential_ceiling(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 502 three times
    slack.answer_next(*[ScriptedAnswer(502, "bad_gateway")] * 3)

    # When a message is posted with full jitter
    attempts, time = post(slack.url("default"), RetryPolicy(max_attempts=4, jitter=True))

    # Then each wait lies between 0 and its exponential ceiling of 1, 2, 4 s
    assert attempts == 4
    assert [0 <= wait <= ceiling for wait, ceiling in zip(time.sleeps, [1, 2, 4], strict=True)] == [True] * 3


def test_persistent_500_gives_up_without_revealing_the_url(slack: SlackWebhookServer) -> None:
    # Given a webhook that always answers 500
    slack.answer_next(*[ScriptedAnswer(500, "internal_error")] * 10)
    url = slack.url("default")

    # When a message is posted
    with pytest.raises(WebhookDeliveryError) as raised:
        post(url)

    # Then it gives up after 4 attempts, and the error does not reveal the URL
    assert str(raised.value) == "Slack answered 500 internal_error; gave up after 4 attempts"
    assert len(slack.posts) == 4
    assert "127.0.0.1" not in repr(raised.value)


def test_a_timeout_is_retried(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers after 1 s, and a 0.2 s timeout
    slack.answer_next(ScriptedAnswer(200, "ok", delay_seconds=1.0))
    policy = RetryPolicy(max_attempts=2, timeout_seconds=0.2, jitter=False)
    time = FakeTime()

    # When a message is posted
    delivered = post_json(
        slack.url("default"), PAYLOAD, policy, 30, "Slack", sleep=time.sleep, monotonic=time.monotonic
    )

    # Then the first attempt timed out and the second was accepted after a 1 s wait
    first, second = delivered.attempts
    assert (first.status, first.error) == (None, "the request timed out (TimeoutError)")
    assert second.status == 200
    assert time.sleeps == [1.0]


def test_only_timeouts_is_a_failure(slack: SlackWebhookServer) -> None:
    # Given a webhook that is always too slow, When a message is posted
    slack.answer_next(*[ScriptedAnswer(200, "ok", delay_seconds=0.6)] * 2)
    policy = RetryPolicy(max_attempts=2, timeout_seconds=0.2, jitter=False)

    # Then it fails, saying every attempt timed out
    with pytest.raises(WebhookDeliveryError, match=r"timed out \(TimeoutError\); gave up after 2 attempts"):
        post(slack.url("default"), policy)


def test_a_client_error_is_not_retried(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 404, When a message is posted
    slack.answer_next(ScriptedAnswer(404, "no_service"))

    # Then it fails at once, not retried
    with pytest.raises(WebhookDeliveryError, match=r"^Slack answered 404 no_service; not retried"):
        post(slack.url("default"))
    assert len(slack.posts) == 1


def test_a_retry_after_beyond_the_time_left_gives_up_at_once(slack: SlackWebhookServer) -> None:
    # Given a 429 asking for 120 s with 28 s left to the function
    slack.answer_next(ScriptedAnswer(429, "rate_limited", retry_after="120"))

    # When a message is posted, Then it gives up at once instead of being cut off
    with pytest.raises(WebhookDeliveryError, match="would not finish within the function's time"):
        post(slack.url("default"), budget=28)
    assert len(slack.posts) == 1


def test_nobody_listening_is_retried_then_fails(slack: SlackWebhookServer) -> None:
    # Given no server listening on the webhook's port
    url = slack.url("default")
    slack.close()

    # When a message is posted, Then connection refusals are retried, then it fails
    with pytest.raises(WebhookDeliveryError, match=r"failed \(ConnectionRefusedError\); gave up after 4"):
        post(url)


class TestWebhookSecret:
    def test_a_bare_url_is_the_default_webhook(self) -> None:
        """Given a secret holding only a URL, When it is parsed, Then that URL is the default webhook."""
        assert parse_slack_webhooks(" https://hooks.slack.com/services/T0/B0/x \n") == Webhooks(
            default="https://hooks.slack.com/services/T0/B0/x"
        )

    def test_channel_names_in_the_secret_gain_their_hash(self) -> None:
        # Given a secret whose channels are named without '#' or by id, When it is parsed
        webhooks = parse_slack_webhooks(
            '{"default": "https://hooks.slack.com/d", "channels": {"payments": "https://hooks.slack.com/p",'
            ' "C0123ABCD9": "https://hooks.slack.com/c"}}'
        )

        # Then names gain their '#' and ids stay as they are
        assert webhooks.channels == {
            "#payments": "https://hooks.slack.com/p",
            "C0123ABCD9": "https://hooks.slack.com/c",
        }

    @pytest.mark.parametrize(
        "secret",
        [
            "http://hooks.slack.com/services/T0/B0/leaked",
            '{"default": "ftp://hooks.slack.com/leaked"}',
            '{"default": "https://hooks.slack.com/d", "channels": {"Bad Channel": "https://hooks.slack.com/leaked"}}',
            '{"default": "https://hooks.slack.com/leaked", "extra": 1}',
            "{not json leaked",
        ],
    )
    def test_an_unusable_secret_is_refused_without_echoing_it(self, secret: str) -> None:
        """Given a secret that is not usable (not https, a malformed channel, an unknown field, not JSON),
        When it is parsed, Then it is refused without echoing any of it."""
        with pytest.raises(WebhookDeliveryError, match="the Slack webhook secret is not usable") as raised:
            parse_slack_webhooks(secret)
        assert "leaked" not in str(raised.value)

    def test_plain_http_is_accepted_on_loopback(self) -> None:
        """Given a plain-http URL on loopback (the sandbox's), When it is parsed, Then it is accepted."""
        assert parse_slack_webhooks("http://127.0.0.1:8080/services/default").default.startswith(
            "http://127.0.0.1"
        )


class TestRouting:
    WEBHOOKS = Webhooks(
        default="https://hooks.slack.com/d", channels={"#payments": "https://hooks.slack.com/p"}
    )

    def test_an_owner_channel_with_its_own_webhook_is_posted_there(self) -> None:
        # Given the owner's channel has its own webhook, When the message is routed
        target = route("#payments", self.WEBHOOKS)

        # Then it goes to that webhook, for that channel, with no note
        assert (target.url, target.channel, target.note) == ("https://hooks.slack.com/p", "#payments", None)

    def test_a_channel_without_a_webhook_goes_to_the_default_and_says_so(self) -> None:
        # Given the owner's channel has no webhook of its own, When the message is routed
        target = route("#billing", self.WEBHOOKS)

        # Then it goes to the default channel, with a note saying so
        assert (target.url, target.channel) == ("https://hooks.slack.com/d", "default")
        assert target.note == (
            "This was meant for #billing, which has no keywarden webhook: posted to the default channel."
        )

    def test_no_channel_goes_to_the_default(self) -> None:
        """Given no owner channel, When the message is routed, Then it goes to the default channel."""
        assert route(None, self.WEBHOOKS).channel == "default"

    def test_the_urls_are_never_shown_in_reprs(self) -> None:
        """Given routes and webhooks, When shown with repr (as in a log), Then no URL appears."""
        assert "hooks.slack.com" not in repr(route("#payments", self.WEBHOOKS))
        assert "hooks.slack.com" not in repr(self.WEBHOOKS)


def test_a_redirect_is_not_followed(slack: SlackWebhookServer) -> None:
    # Given a webhook that answers 302 to elsewhere
    slack.answer_next(ScriptedAnswer(302, "moved", location=slack.url("elsewhere")))

    # When a message is posted, Then it fails at once, not retried, and nothing is posted elsewhere
    with pytest.raises(WebhookDeliveryError, match=r"^Slack answered 302 moved; not retried"):
        post(slack.url("default"))
    assert [p.webhook for p in slack.posts] == ["default"]


class TestTeams:
    @pytest.fixture
    def teams(self) -> Iterator[TeamsWebhookServer]:
        server = TeamsWebhookServer()
        server.start()
        yield server
        server.close()

    @pytest.fixture
    def time(self, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
        fake = FakeTime()
        monkeypatch.setattr("notifications.webhook._sleep", fake.sleep)
        monkeypatch.setattr("notifications.webhook._monotonic", fake.monotonic)
        return fake

    @staticmethod
    def facts() -> NotificationFacts:
        used = key("AKIAIOSFODNN7EXAMPLE", created_days_ago=120, last_used_days_ago=0)
        return notification_facts((classify_key(used, used, CredentialPolicy(90, 90), NOW, NOW),))

    def test_throttled_then_accepted_waits_exactly_retry_after(
        self, teams: TeamsWebhookServer, time: FakeTime
    ) -> None:
        # Given Teams throttling the first post for 7 seconds
        teams.answer_next(ScriptedAnswer(429, "Rate limit is exceeded", retry_after="7"))

        # When the card is delivered
        receipt = deliver_to_teams(self.facts(), parse_teams_webhooks(teams.url("default")), NO_JITTER, 28)

        # Then the forwarder waited what Teams asked, and the second post was accepted
        assert time.sleeps == [7.0]
        assert [p.status for p in teams.posts] == [429, 202]
        assert (receipt.attempts, receipt.details) == (2, {"teams_webhook": "default"})

    def test_an_outage_gives_up_naming_teams_never_the_url(
        self, teams: TeamsWebhookServer, time: FakeTime
    ) -> None:
        # Given Teams answering 503 to every post, on a webhook URL with a secret signature
        teams.answer_next(*[ScriptedAnswer(503, "Service Unavailable")] * 4)
        url = teams.url("default") + "?sig=s3cr3t"

        # When the card is delivered
        with pytest.raises(WebhookDeliveryError) as raised:
            deliver_to_teams(self.facts(), parse_teams_webhooks(url), NO_JITTER, 60)

        # Then it gives up after 4 attempts, backing off, naming Teams and never the URL
        assert str(raised.value) == "Teams answered 503 Service Unavailable; gave up after 4 attempts"
        assert time.sleeps == [1.0, 2.0, 4.0]
        assert "s3cr3t" not in repr(raised.value)
        assert "127.0.0.1" not in repr(raised.value)

    def test_a_refused_card_is_not_retried(self, teams: TeamsWebhookServer, time: FakeTime) -> None:
        # Given the Teams stand-in, When a body that is not a Teams message is posted
        # Then it fails at once, not retried
        with pytest.raises(WebhookDeliveryError, match=r"^Teams answered 400 Bad payload: type must be"):
            post_json(teams.url("default"), {"text": "not a message"}, NO_JITTER, 30, "Teams")
        assert len(teams.posts) == 1
