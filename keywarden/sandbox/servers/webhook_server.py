"""A stand-in for a chat service's incoming webhooks: an HTTP server on 127.0.0.1 that keeps every post.

Each webhook is a path (`/services/<name>`), as each real webhook is its own URL. A subclass is
one service (slack_server.py, for one): what it refuses, how it answers what it takes.
`answer_next` scripts failures (429 with Retry-After, 5xx, a slow answer) to rehearse the
forwarder's retries and its dead-letter queue.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from unittest import mock
from urllib.parse import quote, unquote

from domain.owners import OwnerContact
from keywarden.sandbox.clock import VirtualClock

DEFAULT_WEBHOOK = "default"


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    body: str = "ok"
    retry_after: str | None = None
    location: str | None = None
    """A redirect target (Location header)."""
    delay_seconds: float = 0.0
    """Real seconds to wait before answering (to make the client time out)."""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class WebhookPost:
    webhook: str
    """The webhook's name: `default`, or the channel it posts to."""
    payload: Any
    status: int

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


class WebhookServer:
    """Incoming webhooks of one service; by default every well-formed post is accepted."""

    channel: ClassVar[str]
    """The keywarden channel it stands in for (a name of notifications/channels/)."""
    default_destination: ClassVar[str]
    """Where the default webhook posts, as the report names it."""
    accepted: ClassVar[ScriptedAnswer] = ScriptedAnswer()

    def __init__(self) -> None:
        self.posts: list[WebhookPost] = []
        self._script: deque[ScriptedAnswer] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def refusal(self, payload: Any, size: int) -> ScriptedAnswer | None:
        """The service's answer to a payload it does not take (None: it takes it)."""
        return None

    def prepare_for(self, owner: OwnerContact, secret_name: str, region: str) -> None:
        """What the service needs once this owner exists (a webhook for the owner's channel...)."""

    def destination(self, webhook: str) -> str:
        return self.default_destination if webhook == DEFAULT_WEBHOOK else webhook

    def _answer(self, raw: bytes) -> tuple[Any, ScriptedAnswer]:
        scripted = self._next_answer()
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError:
            return {"unreadable": raw.decode("utf-8", "replace")}, ScriptedAnswer(400, "invalid_payload")
        if scripted is not None and not scripted.succeeded:
            return payload, scripted  # the service is failing: it looks at nothing
        return payload, self.refusal(payload, len(raw)) or scripted or self.accepted

    def start(self) -> WebhookServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload, answer = server._answer(self.rfile.read(length))
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                name = unquote(self.path.removeprefix("/services/"))
                with server._lock:
                    server.posts.append(WebhookPost(name, payload, answer.status))
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
            name=f"{self.channel}-webhooks",
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
            raise RuntimeError(f"the {self.channel} webhook server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/{quote(name, safe='')}"

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """The next posts get these answers, in order; then the service's usual answers again."""
        with self._lock:
            self._script.extend(answers)

    def _next_answer(self) -> ScriptedAnswer | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def delivered(self) -> list[WebhookPost]:
        """Posts the service accepted, in order."""
        with self._lock:
            return [p for p in self.posts if p.accepted]


@contextlib.contextmanager
def webhook_backoff_on(clock: VirtualClock) -> Iterator[None]:
    """The webhook forwarders' back-off waits cost simulated time on `clock`, not real time."""
    with (
        mock.patch("notifications.webhook._sleep", clock.advance),
        mock.patch("notifications.webhook._monotonic", side_effect=lambda: clock.elapsed_seconds),
    ):
        yield
