"""Run ASGI apps (fake providers, callback receivers) under uvicorn in background threads.

A :class:`FakeServer` owns one uvicorn server bound to ``127.0.0.1``. With ``port=0`` the socket
is bound before the thread starts, so :attr:`FakeServer.base_url` is known immediately and no
other process can take the port between choosing and binding it. Each server runs its own event
loop in its own thread; callers (pytest on its own loop, a CLI) talk to it over real HTTP only.

Usage from a pytest fixture::

    @pytest.fixture(scope="session")
    def daraja() -> Iterator[FakeServer]:
        with FakeServer(create_daraja_app(), name="daraja") as server:
            yield server

Usage from a CLI command (blocks until Ctrl-C)::

    run_forever([FakeServer(create_daraja_app(), port=8801, name="daraja"), ...])
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "CallbackRecorder",
    "FakeServer",
    "ReceivedRequest",
    "Startable",
    "read_request",
    "run_forever",
    "unflatten",
]

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 10.0


class FakeServer:
    """One ASGI app served by uvicorn on ``host:port`` in a daemon thread.

    Args:
        app: the ASGI application to serve.
        host: interface to bind; loopback by default since fakes must not be reachable from
            outside the machine.
        port: fixed port, or ``0`` for a free one chosen by the kernel.
        name: label used in thread names and error messages.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "fake",
        lifespan: Literal["on", "off"] = "off",
    ) -> None:
        self.app = app
        self.host = host
        self.name = name
        # "on" for a real application whose lifespan closes its pools; the fakes have none.
        self.lifespan = lifespan
        self._requested_port = port
        self._port: int | None = None
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        """The bound port; only valid once started."""
        if self._port is None:
            raise RuntimeError(f"{self.name} server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port`` without a trailing slash; only valid once started."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> None:
        """Bind the socket, start serving in a background thread and wait until it accepts.

        Raises:
            RuntimeError: already started, or uvicorn failed to start in time.
        """
        if self._thread is not None:
            raise RuntimeError(f"{self.name} server is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            # The fakes speak plain HTTP/1.1; skipping websockets avoids importing a library
            # whose deprecation warnings would become errors under ``filterwarnings = error``.
            ws="none",
            lifespan=self.lifespan,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server
        thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"fake-{self.name}", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} server failed to start") from self._error
            time.sleep(0.005)

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced by start(); a thread cannot raise to its caller
            self._error = exc

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for the thread and release the socket. Idempotent."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_S)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Startable(Protocol):
    """Anything served in the background: a :class:`FakeServer`, the mail catcher's SMTP."""

    def start(self) -> None:
        """Start serving."""

    def stop(self) -> None:
        """Stop serving."""


def run_forever(servers: Sequence[Startable]) -> None:
    """Start every server, block until interrupted (Ctrl-C), then stop them in reverse order."""
    started: list[Startable] = []
    try:
        for server in servers:
            server.start()
            started.append(server)
        # A bare wait is interruptible by SIGINT on POSIX, which is how the CLI stops.
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in reversed(started):
            server.stop()


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One HTTP request as an app received it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    query_string: str = ""

    @property
    def params(self) -> dict[str, Any]:
        """Form parameters nested by their brackets (``a[b]=1``, ``c[]=x``, as Stripe sends
        them): the body's when it is form-encoded, else the query string's."""
        form = "x-www-form-urlencoded" in self.headers.get("content-type", "")
        text = self.body.decode("utf-8", "replace") if form else self.query_string
        return unflatten(parse_qsl(text, keep_blank_values=True))

    @property
    def json(self) -> Any:
        """The body parsed as JSON; ``None`` when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view; the body parsed as JSON, as form fields or as text."""
        body: Any = self.json
        if body is None and self.body:
            form = "x-www-form-urlencoded" in self.headers.get("content-type", "")
            body = self.params if form else self.body.decode("utf-8", "replace")
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": body,
        }


async def read_request(scope: Scope, receive: Receive) -> ReceivedRequest:
    """Read a whole HTTP request from ASGI ``scope``/``receive``."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    query_string = scope.get("query_string", b"").decode("latin-1")
    return ReceivedRequest(
        method=scope["method"],
        path=scope["path"],
        query=dict(parse_qsl(query_string)),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        body=b"".join(chunks),
        query_string=query_string,
    )


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested parameters from Stripe's bracket notation (``a[b]=1``, ``c[]=x``)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if match is None:
            result[key] = value
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                child: Any = [] if following == "" else {}
                node.append(child)
                node = child
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if following == "" else {})
    return result


Responder = Callable[[ReceivedRequest], tuple[int, Any]]
"""Builds the ``(status, json_body)`` a :class:`CallbackRecorder` answers with."""


def _accept(_: ReceivedRequest) -> tuple[int, Any]:
    return 200, {"ResultCode": 0, "ResultDesc": "Accepted"}


class CallbackRecorder:
    """An ASGI app that records every request it receives; stands in for our webhook routes.

    Serve it with :class:`FakeServer` and give its URL to a fake provider as the callback or IPN
    URL. It runs on the server's thread while the test waits on its own loop, hence the lock.

    Args:
        responder: builds the answer; by default ``200 {"ResultCode": 0, "ResultDesc":
            "Accepted"}`` (the Daraja acknowledgement).
    """

    def __init__(self, responder: Responder | None = None) -> None:
        self.responder: Responder = responder or _accept
        self._requests: list[ReceivedRequest] = []
        self._condition = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        with self._condition:
            self._requests.append(request)
            self._condition.notify_all()
        status, payload = self.responder(request)
        body = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A snapshot of what was received so far, oldest first."""
        with self._condition:
            return list(self._requests)

    def clear(self) -> None:
        """Forget what was received."""
        with self._condition:
            self._requests.clear()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests arrived; raise ``TimeoutError`` otherwise."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} request(s), got {len(self._requests)}")
            return list(self._requests)

    async def wait_for_async(self, count: int = 1, within_s: float = 5.0) -> list[ReceivedRequest]:
        """Like :meth:`wait_for` without blocking the caller's event loop."""
        deadline = time.monotonic() + within_s
        while True:
            received = self.requests
            if len(received) >= count:
                return received
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} request(s), got {len(received)}")
            await asyncio.sleep(0.005)
