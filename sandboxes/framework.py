"""The base every sandbox builds on: request log, faults, control routes and the server lifecycle.

A sandbox is one ASGI app for the emulated service, wrapped by `ExchangeMiddleware`, which reads
each request whole, applies the armed faults, runs the service, records the exchange and only then
answers. Routes under `/_sandbox/` are the inspection and control API; they are never faulted or
recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from charter.sandboxes.clock import Clock
from charter.sandboxes.faults import FaultDecision, Faults
from charter.sandboxes.recording import Exchange, Handling, RequestLog, redact_body, redact_headers
from charter.sandboxes.server import SandboxServer, serve_forever
from charter.sandboxes.tokens import TokenFormat, TokenStore

CONTROL_PREFIX = "/_sandbox"
logger = logging.getLogger("charter.sandboxes")


@dataclass
class Reply:
    """A complete HTTP response held in memory."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header `name`, case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    async def send(self, send: Send) -> None:
        """Write the response through an ASGI `send`."""
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        if not any(k == b"content-length" for k, _ in raw):
            raw.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class ConnectionDropped(ConnectionError):
    """Raised in place of a response when the ASGI server gives no way to close the socket."""


async def drop_connection(send: Send) -> None:
    """Close the client's connection without a byte of response.

    uvicorn hands the app its request cycle's bound `send`; that cycle owns the transport. Aborting
    it makes the client see a reset connection, and uvicorn, marked disconnected, writes nothing more.
    """
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        raise ConnectionDropped("the sandbox dropped the connection")
    transport.abort()
    for _ in range(3):
        await asyncio.sleep(0)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def run_buffered(app: ASGIApp, scope: Scope, body: bytes) -> Reply:
    """Run an ASGI app on a request whose body was already read, capturing its whole response."""
    delivered = False
    reply = Reply(500)
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    reply.body = b"".join(chunks)
    return reply


class Sandbox(ABC):
    """An emulated service on loopback: state, tokens, faults, request log and server lifecycle."""

    name: str = "sandbox"

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.tokens = TokenStore(self.clock, self.token_format())
        self.requests = RequestLog()
        self.faults = Faults(self.clock, self.tokens)
        self.lock = threading.RLock()
        self._server: SandboxServer | None = None
        self._app: ASGIApp | None = None

    def __repr__(self) -> str:
        where = self._server.url if self._server and self._server.running else "not started"
        return f"{type(self).__name__}({where})"

    # What each service provides.
    @abstractmethod
    def service_app(self) -> ASGIApp:
        """The ASGI app emulating the service itself."""

    @abstractmethod
    def restore_seed(self) -> None:
        """Put the service's data back to its seed fixtures."""

    @abstractmethod
    def dump_state(self) -> dict[str, object]:
        """The service's data as JSON, for `/_sandbox/state`."""

    def token_format(self) -> TokenFormat:
        """How this provider's tokens look."""
        return TokenFormat()

    def fault_reply(self, decision: FaultDecision, method: str, path: str) -> Reply:
        """The answer to a request hit by a `fail` or `rate_limit` fault; services override the shape."""
        headers = [("content-type", "application/json")]
        if decision.kind == "rate_limit":
            headers.append(("retry-after", str(decision.retry_after)))
            body = {"message": "rate limit exceeded"}
        else:
            body = {"message": "the sandbox injected a server error"}
        return Reply(decision.status, headers, json.dumps(body).encode())

    def control_routes(self) -> list[BaseRoute]:
        """Extra Starlette routes mounted under `/_sandbox/` (service knobs)."""
        return []

    def login_for(self, headers: Mapping[str, str]) -> str | None:
        """Whose token a request carried, for the request log."""
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not value:
            return None
        token = self.tokens.lookup(value.strip())
        return token.login if token else None

    # Lifecycle.
    def reset(self) -> None:
        """Restore the seed data and forget tokens, faults, the request log and clock offsets."""
        with self.lock:
            self.restore_seed()
            self.tokens.reset()
            self.requests.clear()
            self.faults.clear()
            self.clock.reset()
            if isinstance(self._app, ExchangeMiddleware):
                self._app.forget_answers()

    @property
    def app(self) -> ASGIApp:
        """The whole ASGI app: control routes plus the faulted, recorded service."""
        if self._app is None:
            from charter.sandboxes.control import control_app

            self._app = ExchangeMiddleware(self, self.service_app(), control_app(self))
        return self._app

    def start(self) -> Self:
        """Serve on a free port of 127.0.0.1 in a background thread; returns self."""
        if self._server is None:
            self._server = SandboxServer(self.app)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop the background server."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        """Base URL of the running sandbox, e.g. `http://127.0.0.1:54321`."""
        if self._server is None:
            raise RuntimeError(f"{self.name} sandbox is not started; call start() first")
        return self._server.url

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve in the foreground until interrupted (for `charter sandbox up`)."""
        serve_forever(self.app, port=port, host=host)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ExchangeMiddleware:
    """Applies faults, runs the service, records the exchange, then answers (or drops the connection)."""

    def __init__(self, sandbox: Sandbox, service: ASGIApp, control: ASGIApp) -> None:
        self.sandbox = sandbox
        self.service = service
        self.control = control
        # The last answer served for each method and path, for the `replay` fault.
        self._last: dict[tuple[str, str], Reply] = {}

    def forget_answers(self) -> None:
        """Drop the answers kept for `replay`: one from before a reset is never served after it."""
        self._last.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.service(scope, receive, send)
            return
        path: str = scope["path"]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            await self.control(scope, receive, send)
            return
        body = await _read_body(receive)
        method: str = scope["method"]
        decision = self.sandbox.faults.decide(method, path)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.kind == "stall_before":
            await asyncio.sleep(decision.seconds)
        if decision.kind == "drop_before":
            self._record(scope, body, None, "dropped_before")
            await drop_connection(send)
            return
        if decision.kind in ("fail", "rate_limit"):
            reply = self.sandbox.fault_reply(decision, method, path)
            self._record(scope, body, reply, "fault")
            await reply.send(send)
            return
        if decision.kind == "replay" and (method, path) in self._last:
            reply = self._last[(method, path)]
            self._record(scope, body, reply, "fault")
            await reply.send(send)
            return
        try:
            reply = await run_buffered(self.service, scope, body)
        except Exception as exc:
            # A defect in the emulator itself: answer and record it so the test shows what broke.
            logger.exception("the %s sandbox failed on %s %s", self.sandbox.name, method, path)
            message = {"message": "Internal Server Error", "sandbox_error": repr(exc)[:500]}
            reply = Reply(500, [("content-type", "application/json")], json.dumps(message).encode())
        if decision.kind == "drop_after":
            self._record(scope, body, reply, "dropped_after")
            await drop_connection(send)
            return
        if decision.kind in ("stall_before", "stall_after"):
            outcome: Handling = "stalled_before" if decision.kind == "stall_before" else "stalled_after"
            self._record(scope, body, reply, outcome)
            if decision.kind == "stall_after":
                await asyncio.sleep(decision.seconds)
            await reply.send(send)
            return
        self._record(scope, body, reply, "served")
        self._last[(method, path)] = reply
        await reply.send(send)

    def _record(self, scope: Scope, body: bytes, reply: Reply | None, outcome: Handling) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        log = self.sandbox.requests
        resp_headers = {k.lower(): v for k, v in reply.headers} if reply else {}
        seq = log.next_seq()
        query = scope.get("query_string", b"").decode("latin-1")
        log.spot(seq, scope["method"], scope["path"], query, headers, body)
        log.add(
            Exchange(
                seq=seq,
                timestamp=self.sandbox.clock.now(),
                method=scope["method"],
                path=scope["path"],
                query=query,
                request_headers=redact_headers(headers),
                request_body=redact_body(body, headers.get("content-type", "")),
                status=reply.status if reply else None,
                response_headers=redact_headers(resp_headers),
                response_body=redact_body(reply.body, resp_headers.get("content-type", "")) if reply else b"",
                outcome=outcome,
                login=self.sandbox.login_for(headers),
            )
        )
