"""A stand-in for Slack's incoming webhooks: an HTTP server on 127.0.0.1 that keeps every post.

Each webhook is a path (`/services/<name>`), as each Slack webhook is its own URL. By default
every post is answered 200 "ok"; `answer_next` scripts failures (429 with Retry-After, 5xx,
a slow answer) to rehearse the forwarder's retries and its dead-letter queue.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock
from urllib.parse import quote, unquote

import boto3

from keywarden.sandbox.clock import VirtualClock


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    body: str = "ok"
    retry_after: str | None = None
    location: str | None = None
    """A redirect target (Location header)."""
    delay_seconds: float = 0.0
    """Real seconds to wait before answering (to make the client time out)."""


@dataclass(frozen=True)
class SlackPost:
    webhook: str
    """The webhook's name: `default`, or the channel it posts to."""
    payload: dict[str, Any]
    status: int


@dataclass
class SlackWebhookServer:
    posts: list[SlackPost] = field(default_factory=list)
    _script: deque[ScriptedAnswer] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> SlackWebhookServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                answer = server._next_answer()
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                try:
                    payload = json.loads(raw)
                except json.JSONDecodeError:
                    payload = {"unreadable": raw.decode("utf-8", "replace")}
                    answer = ScriptedAnswer(400, "invalid_payload")
                name = unquote(self.path.removeprefix("/services/"))
                with server._lock:
                    server.posts.append(SlackPost(name, payload, answer.status))
                try:
                    self.send_response(answer.status)
                    if answer.retry_after is not None:
                        self.send_header("Retry-After", answer.retry_after)
                    if answer.location is not None:
                        self.send_header("Location", answer.location)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(answer.body.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout being rehearsed)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the posts are kept, not printed."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, and every sandbox closes its server.
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-webhooks",
            daemon=True,
        ).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, name: str) -> str:
        """The webhook URL of `name` (`default`, or a channel such as `#payments-alerts`)."""
        if self._server is None:
            raise RuntimeError("the Slack webhook server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/{quote(name, safe='')}"

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """The next posts get these answers, in order; then 200 "ok" again."""
        with self._lock:
            self._script.extend(answers)

    def _next_answer(self) -> ScriptedAnswer:
        with self._lock:
            return self._script.popleft() if self._script else ScriptedAnswer()

    def delivered(self) -> list[SlackPost]:
        """Posts Slack accepted (200), in order."""
        with self._lock:
            return [p for p in self.posts if p.status == 200]


def add_channel_webhook(server: SlackWebhookServer, secret_name: str, channel: str, region: str) -> None:
    """Give `channel` its own webhook in the Slack secret, as a team would when it sets one up."""
    secrets = boto3.client("secretsmanager", region_name=region)
    webhooks = json.loads(secrets.get_secret_value(SecretId=secret_name)["SecretString"])
    webhooks.setdefault("channels", {})[channel] = server.url(channel)
    secrets.put_secret_value(SecretId=secret_name, SecretString=json.dumps(webhooks))


@contextlib.contextmanager
def slack_backoff_on(clock: VirtualClock) -> Iterator[None]:
    """The Slack forwarder's back-off waits cost simulated time on `clock`, not real time."""
    with (
        mock.patch("notifications.slack_webhook._sleep", clock.advance),
        mock.patch("notifications.slack_webhook._monotonic", side_effect=lambda: clock.elapsed_seconds),
    ):
        yield
