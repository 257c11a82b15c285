"""What every fake provider shares: recording, faults, tokens, idempotency, callbacks, control.

A fake is a :class:`FakeProvider` subclass holding one provider account in memory. It declares
its API routes with :meth:`FakeProvider.api`, which records each request, applies an injected
fault and checks the credentials before the handler runs, and builds its Starlette app with
:meth:`FakeProvider.build_app`, which adds the control endpoints every fake answers (no
authentication, under ``/__control``):

- ``GET /__control/requests`` (``?path=`` prefix): the API requests received, oldest first
  (control calls excluded), each ``{"method", "path", "query", "headers", "body"}``.
- ``GET /__control/deliveries``: the callbacks the fake sent, with their outcome.
- ``POST /__control/faults``: fail upcoming API calls: ``{"status": 503, "body": null,
  "count": 1, "delay_ms": 0, "path": null}`` (``path`` is a prefix; ``null`` matches any).
- ``POST /__control/settings``: change the fake's tunables (each fake lists its own); answers
  their values.
- ``POST /__control/reset``: cancel pending callbacks and forget everything but the settings.
- ``POST /__control/expire-tokens``: invalidate every issued token (fakes that issue tokens).

Every handler runs on the server's event loop while tests read the state from theirs, hence
:attr:`FakeProvider.lock` around everything a test may read in memory.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import secrets
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from billing_fakes.server import ReceivedRequest, read_request

__all__ = [
    "Answer",
    "FakeError",
    "FakeProvider",
    "Fault",
    "FaultPlan",
    "Handler",
    "IdempotencyKeys",
    "Outgoing",
    "bearer_token",
    "control_json",
    "text_or_none",
]

Handler = Callable[[Request, ReceivedRequest], Awaitable[Response]]
"""An API route's body: the request and what was recorded of it (its body already read)."""


@dataclass(slots=True)
class Fault:
    """An injected failure: answer ``status`` with ``body`` after ``delay_ms``, ``count`` times."""

    status: int = 503
    body: Any = None
    count: int = 1
    delay_ms: int = 0
    path: str | None = None  # only requests whose path starts with this; None = any


@dataclass(slots=True)
class FaultPlan:
    """Failures queued by the control endpoint and consumed by the API routes."""

    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        """Queue ``fault``."""
        self.faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """The first queued fault matching ``path``, consuming one of its ``count``."""
        for fault in self.faults:
            if fault.path is None or path.startswith(fault.path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()


class FakeError(Exception):
    """A provider's error answer: raised by an operation, rendered by the route."""

    def __init__(self, status: int, body: Any, *, media_type: str = "application/json") -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.media_type = media_type

    def response(self) -> Response:
        """The answer the provider would give."""
        return JSONResponse(self.body, self.status, media_type=self.media_type)


@dataclass(frozen=True, slots=True)
class Answer:
    """An API answer (``payload`` ``None``: no body); ``keep`` says whether an
    ``Idempotency-Key`` replays it later."""

    status: int
    payload: Any
    media_type: str = "application/json"
    keep: bool = True

    def response(self, headers: dict[str, str] | None = None) -> Response:
        """The HTTP response."""
        if self.payload is None:
            return Response(status_code=self.status, headers=headers)
        return JSONResponse(self.payload, self.status, headers=headers, media_type=self.media_type)


@dataclass(frozen=True, slots=True)
class _Kept:
    fingerprint: Hashable
    answer: Answer


class IdempotencyKeys:
    """The answers kept per ``Idempotency-Key`` (callers hold :attr:`FakeProvider.lock`)."""

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def answer(
        self, key: str | None, fingerprint: Hashable, run: Callable[[], Answer]
    ) -> tuple[Answer, bool] | None:
        """``(answer, replayed)``: the kept answer for ``key``, else ``run()`` (kept when it
        says so); ``None`` when ``key`` was first used with another request."""
        kept = self._kept.get(key) if key else None
        if kept is not None:
            return (kept.answer, True) if kept.fingerprint == fingerprint else None
        answer = run()
        if key and answer.keep:
            self._kept[key] = _Kept(fingerprint, answer)
        return answer, False

    def clear(self) -> None:
        """Forget every key."""
        self._kept.clear()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request a fake sends to a callback URL; ``note`` is recorded with its outcome."""

    url: str
    kind: str
    method: str = "POST"
    json: Any = None
    content: bytes | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    note: dict[str, Any] = field(default_factory=dict)


def text_or_none(value: object) -> str | None:
    """``value`` when it is a non-empty string, else ``None`` (optional control fields)."""
    return value if isinstance(value, str) and value else None


def bearer_token(request: Request) -> str:
    """What follows ``Bearer`` in the ``Authorization`` header (the whole header without it)."""
    return request.headers.get("authorization", "").removeprefix("Bearer ").strip()


async def control_json(request: Request) -> dict[str, Any]:
    """A control request's JSON object body (``{}`` when empty); 400 for anything else."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise HTTPException(400, "a control body is a JSON object")
    return data


class FakeProvider:
    """State, routes and control endpoints of one fake provider account.

    A subclass sets :attr:`settings` (a mutable object whose :attr:`settable` attributes the
    settings control may change), overrides :meth:`fault_body`, :meth:`authenticate` and
    :meth:`forget`, and builds :attr:`app` with :meth:`build_app`.
    """

    issues_tokens: ClassVar[bool] = False
    """Whether the provider hands out expiring tokens (adds ``/__control/expire-tokens``)."""
    settable: ClassVar[tuple[str, ...]] = ()
    """The settings ``POST /__control/settings`` may change."""

    settings: Any
    app: Starlette

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[ReceivedRequest] = []
        self.deliveries: list[dict[str, Any]] = []
        self.faults = FaultPlan()
        self.tokens: dict[str, float] = {}  # issued token -> monotonic expiry
        self.idempotency = IdempotencyKeys()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what a fake overrides ------------------------------------------------------------

    def fault_body(self, status: int) -> Any:
        """The body of an injected ``status`` that came without one."""
        return {"error": "injected fault", "status": status}

    def authenticate(self, request: Request) -> Response | None:
        """The refusal for a request without valid credentials, else ``None``."""
        return None

    def forget(self) -> None:
        """Drop the provider's own objects (called by reset, under the lock)."""

    # -- routes ---------------------------------------------------------------------------

    def api(
        self, path: str, handler: Handler, *, methods: Sequence[str], authenticated: bool = True
    ) -> Route:
        """An API route: record the request, apply a queued fault, check the credentials
        (unless not ``authenticated``), then run ``handler``; a :class:`FakeError` it raises
        becomes the provider's error answer."""

        async def endpoint(request: Request) -> Response:
            received = await read_request(request.scope, request.receive)
            with self.lock:
                self.requests.append(received)
                fault = self.faults.take(received.path)
            if fault is not None:
                if fault.delay_ms:
                    await asyncio.sleep(fault.delay_ms / 1000)
                body = fault.body if fault.body is not None else self.fault_body(fault.status)
                return JSONResponse(body, status_code=fault.status)
            if authenticated:
                denied = self.authenticate(request)
                if denied is not None:
                    return denied
            try:
                return await handler(request, received)
            except FakeError as exc:
                return exc.response()

        return Route(path, endpoint, methods=list(methods))

    def once(
        self,
        received: ReceivedRequest,
        fingerprint: Hashable,
        run: Callable[[str | None], Answer],
        *,
        reused: Callable[[str], FakeError],
        keeps: Callable[[FakeError], bool] = lambda error: False,
    ) -> Response:
        """``run(idempotency_key)`` under the lock, honouring ``Idempotency-Key`` on POST
        requests as Stripe and Mollie do: the answer is kept (errors when ``keeps`` says so)
        and given again, marked ``Idempotent-Replayed``, to the same request (same
        ``fingerprint``); the key with any other request raises ``reused(key)``."""
        key = received.headers.get("idempotency-key") if received.method == "POST" else None

        def answer() -> Answer:
            try:
                result = run(key)
            except FakeError as exc:
                return Answer(exc.status, exc.body, exc.media_type, keep=keeps(exc))
            # A copy: the objects behind the answer change later, the kept answer must not.
            return Answer(result.status, copy.deepcopy(result.payload), result.media_type)

        with self.lock:
            outcome = self.idempotency.answer(
                key, (received.method, received.path, fingerprint), answer
            )
        if outcome is None:
            raise reused(str(key))
        kept, replayed = outcome
        return kept.response({"Idempotent-Replayed": "true"} if replayed else None)

    def view(self, path: str, read: Callable[[], Any]) -> Route:
        """A ``GET /__control{path}`` answering ``read()`` (under the lock) as JSON."""

        async def endpoint(request: Request) -> Response:
            with self.lock:
                return JSONResponse(read())

        return Route(f"/__control{path}", endpoint, methods=["GET"])

    def command(self, path: str, change: Callable[[Request, dict[str, Any]], Any]) -> Route:
        """A ``POST /__control{path}`` answering ``change(request, body)``, run under the lock,
        as JSON; a :class:`FakeError` it raises is the answer."""

        async def endpoint(request: Request) -> Response:
            body = await control_json(request)
            with self.lock:
                try:
                    return JSONResponse(change(request, body))
                except FakeError as exc:
                    return exc.response()

        return Route(f"/__control{path}", endpoint, methods=["POST"])

    def build_app(self, routes: Iterable[BaseRoute]) -> Starlette:
        """The Starlette app: ``routes`` and the shared control routes; ``app.state.fake``
        is this object."""
        control = [
            Route("/__control/requests", self.control_requests, methods=["GET"]),
            self.view("/deliveries", lambda: list(self.deliveries)),
            Route("/__control/faults", self.control_faults, methods=["POST"]),
            Route("/__control/settings", self.control_settings, methods=["POST"]),
            Route("/__control/reset", self.control_reset, methods=["POST"]),
        ]
        if self.issues_tokens:
            control.append(
                Route("/__control/expire-tokens", self.control_expire_tokens, methods=["POST"])
            )
        app = Starlette(routes=[*routes, *control])
        app.state.fake = self
        return app

    # -- tokens ---------------------------------------------------------------------------

    def issue_token(self, ttl_ms: int, nbytes: int) -> str:
        """A new random token valid for ``ttl_ms``."""
        token = secrets.token_urlsafe(nbytes)
        with self.lock:
            self.tokens[token] = time.monotonic() + ttl_ms / 1000
        return token

    def token_valid(self, request: Request) -> bool:
        """Whether the request's bearer token was issued and has not expired."""
        with self.lock:
            expires_at = self.tokens.get(bearer_token(request))
        return expires_at is not None and time.monotonic() < expires_at

    # -- callbacks ------------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background (a reset cancels it)."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, outgoing: Sequence[Outgoing], *, timeout_s: float) -> list[dict[str, Any]]:
        """Send each request in order, recording each outcome in :attr:`deliveries`."""
        results: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=timeout_s, verify=_tls_context()) as client:
            for attempt, item in enumerate(outgoing, start=1):
                record: dict[str, Any] = {
                    "kind": item.kind,
                    "method": item.method,
                    "url": item.url,
                    "attempt": attempt,
                    **item.note,
                }
                try:
                    response = await client.request(
                        item.method,
                        item.url,
                        json=item.json,
                        content=item.content,
                        params=item.params,
                        headers=item.headers,
                    )
                    record["status_code"] = response.status_code
                    record["response"] = response.text[:500]
                except httpx.HTTPError as exc:
                    record["error"] = f"{type(exc).__name__}: {exc}"
                with self.lock:
                    self.deliveries.append(record)
                results.append(record)
        return results

    # -- shared control endpoints ---------------------------------------------------------

    async def control_requests(self, request: Request) -> Response:
        """API requests received, oldest first (``?path=`` filters by prefix)."""
        prefix = request.query_params.get("path", "")
        with self.lock:
            received = [r for r in self.requests if r.path.startswith(prefix)]
        return JSONResponse([r.to_dict() for r in received])

    async def control_faults(self, request: Request) -> Response:
        """Fail upcoming API calls (``status``, ``body``, ``count``, ``delay_ms``, ``path``)."""
        data = await control_json(request)
        try:
            fault = Fault(
                status=int(data.get("status", 503)),
                body=data.get("body"),
                count=int(data.get("count", 1)),
                delay_ms=int(data.get("delay_ms", 0)),
                path=text_or_none(data.get("path")),
            )
        except (TypeError, ValueError):
            raise HTTPException(400, "status, count and delay_ms are integers") from None
        with self.lock:
            self.faults.add(fault)
            return JSONResponse({"queued": len(self.faults.faults)})

    async def control_settings(self, request: Request) -> Response:
        """Change the :attr:`settable` settings given; answer all of them."""
        data = await control_json(request)
        with self.lock:
            for name in self.settable:
                if name in data:
                    setattr(self.settings, name, data[name])
            return JSONResponse({name: getattr(self.settings, name) for name in self.settable})

    async def control_expire_tokens(self, request: Request) -> Response:
        """Invalidate every token issued so far (clients must fetch a new one)."""
        with self.lock:
            self.tokens.clear()
        return JSONResponse({"expired": True})

    async def control_reset(self, request: Request) -> Response:
        """Cancel pending callbacks; forget requests, deliveries, faults, tokens, idempotency
        keys and the provider's objects."""
        # A callback still scheduled from an earlier test must not reach the next test.
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        with self.lock:
            self.requests.clear()
            self.deliveries.clear()
            self.faults.clear()
            self.tokens.clear()
            self.idempotency.clear()
            self.forget()
        return JSONResponse({"reset": True})


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs 20 ms a client; callbacks are sent often.
    return httpx.create_ssl_context()
