"""`keywarden sandbox`: the sandbox served over HTTP, so that it outlives one command.

One process holds a running `Sandbox` (moto with keywarden's extensions, keywarden deployed)
and serves it on a loopback address with moto's own server: any AWS client (boto3, the AWS
CLI, `keywarden audit --endpoint-url`) talks to it. The workflow itself runs inside this
process, and its own boto3 calls (interpreter tasks, Lambda handlers) are answered by the
in-process mock, never by real AWS: the sandbox drops AWS_ENDPOINT_URL and profiles from the
environment and moto intercepts every client in the process.

Two keywarden requests sit beside the AWS APIs (keywarden/sandbox_client.py): where things
are, and "run this scenario here" (back-dating IAM keys needs moto's objects, in this process).
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from keywarden.sandbox import Sandbox
from keywarden.sandbox_client import DESCRIBE_PATH, SCENARIOS_PATH
from keywarden.scenario import ScenarioError, parse_scenario
from keywarden.simulation import ScenarioMismatchError, run_scenario_in

LOOPBACK = "127.0.0.1"
MAX_SCENARIO_BYTES = 1_000_000

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _json_response(start_response: StartResponse, status: str, body: Any) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class PortUnavailableError(Exception):
    """The port cannot be served (taken, or not allowed)."""


class KeywardenApi:
    """The keywarden requests; everything else goes to moto."""

    def __init__(self, sandbox: Sandbox, moto_app: WsgiApp) -> None:
        self.sandbox = sandbox
        self.moto_app = moto_app
        self._one_scenario_at_a_time = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == DESCRIBE_PATH and method == "GET":
            return _json_response(start_response, "200 OK", self.describe())
        if path == SCENARIOS_PATH and method == "POST":
            return self.run_scenario(environ, start_response)
        if path.startswith("/keywarden/"):
            return _json_response(start_response, "404 Not Found", {"error": f"no keywarden request {path}"})
        return self.moto_app(environ, start_response)

    def describe(self) -> dict[str, str]:
        return {
            "region": self.sandbox.region,
            "account_id": self.sandbox.account_id,
            "table_name": self.sandbox.stack.table_name,
            "exemption_table_name": self.sandbox.stack.exemption_table_name,
            "state_machine_arn": self.sandbox.stack.state_machine_arn,
            "sweep_state_machine_arn": self.sandbox.stack.sweep_state_machine_arn,
            "findings_table_name": self.sandbox.stack.findings_table_name,
        }

    def run_scenario(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_SCENARIO_BYTES:
            return _json_response(start_response, "413 Payload Too Large", {"error": "scenario too large"})
        try:
            scenario = parse_scenario(environ["wsgi.input"].read(length), "the scenario")
        except ScenarioError as error:
            return _json_response(start_response, "400 Bad Request", {"error": str(error)})
        try:
            with self._one_scenario_at_a_time:
                report = run_scenario_in(self.sandbox, scenario)
        except ScenarioMismatchError as error:
            return _json_response(start_response, "409 Conflict", {"error": str(error)})
        except Exception as error:  # noqa: BLE001 - the client gets one line; the server log keeps the trace
            traceback.print_exc(file=sys.stderr)
            return _json_response(
                start_response, "500 Internal Server Error", {"error": f"the scenario failed: {error!r}"}
            )
        return _json_response(start_response, "200 OK", report.model_dump(mode="json"))


class SandboxServer:
    """Serve a running sandbox on 127.0.0.1:`port` (0: any free port) while the context is open."""

    def __init__(self, sandbox: Sandbox, port: int = 0, verbose: bool = False) -> None:
        self.sandbox = sandbox
        self.port = port
        self.verbose = verbose
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def __enter__(self) -> SandboxServer:
        api = KeywardenApi(self.sandbox, DomainDispatcherApplication(create_backend_app))
        # werkzeug logs a line per request; the sandbox is chatty enough without them.
        logging.getLogger("werkzeug").setLevel(logging.INFO if self.verbose else logging.ERROR)
        # Bind here: werkzeug reports a taken port by printing and calling sys.exit().
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((LOOPBACK, self.port))
            listener.listen(128)
        except OSError as error:
            listener.close()
            raise PortUnavailableError(
                f"cannot serve on {LOOPBACK}:{self.port}: {error.strerror or error}"
            ) from error
        with listener:  # the server works on its own duplicate of the socket
            self._server = make_server(
                LOOPBACK,
                self.port,
                api,
                threaded=True,
                request_handler=MotoRequestHandler,
                fd=listener.fileno(),
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="keywarden-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def serve_until_stopped(port: int, verbose: bool = False) -> None:
    """`keywarden sandbox`: deploy, serve, announce the URL, and stop cleanly on Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox() as sandbox, SandboxServer(sandbox, port, verbose) as server:
            print(
                f"keywarden sandbox listening on {server.url}\n"
                f"  region {sandbox.region}, account {sandbox.account_id}, "
                f"audit table {sandbox.stack.table_name}\n"
                "Try, from another terminal:\n"
                f"  keywarden demo --endpoint-url {server.url}\n"
                f"  keywarden audit history --user bob --endpoint-url {server.url}\n"
                "Everything lives in this process's memory: stopping it (Ctrl-C) forgets it all.",
                flush=True,
            )
            while not stop.wait(0.5):
                pass
            print("keywarden sandbox stopped", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
