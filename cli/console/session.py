"""The console's doors: one launch secret, one session cookie, a CSRF token, Host and Origin checks.

The console serves only its own loopback origin. `charter console` prints a URL carrying a launch
secret; the first request with it is exchanged for an HttpOnly, SameSite=Strict session cookie and the
secret is spent, so a URL seen later (shell history, a screenshot, the process list) opens nothing.
Every state change also carries the session's CSRF token and an Origin equal to the console's own;
a Host other than the console's own is refused, so a DNS-rebound name pointing at 127.0.0.1 cannot
talk to it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "charter_console"
LAUNCH_PATH = "/launch"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
# No inline script or style anywhere: everything the pages run or wear is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on form posts.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


@dataclass
class ConsoleSession:
    """The one person's session: the launch secret until spent, then the cookie and CSRF token."""

    launch_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    cookie: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Pending WebAuthn challenges by purpose ("register", "approve:<id>", "grant"), each used once.
    challenges: dict[str, bytes] = field(default_factory=dict)
    # The latest requests the doors turned away, as (status, method, path): what an attack looked like.
    refusals: deque[tuple[int, str, str]] = field(default_factory=lambda: deque(maxlen=100))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return f"<ConsoleSession opened={self.cookie is not None}>"

    def exchange(self, offered: str) -> str | None:
        """The session cookie for the launch secret, once; None for a wrong or spent secret."""
        with self._lock:
            if self.cookie is not None or not hmac.compare_digest(offered, self.launch_secret):
                return None
            self.cookie = secrets.token_urlsafe(32)
            return self.cookie

    def holds(self, cookie: str | None) -> bool:
        return bool(cookie) and self.cookie is not None and hmac.compare_digest(cookie or "", self.cookie)

    def csrf_ok(self, offered: str | None) -> bool:
        return bool(offered) and hmac.compare_digest(offered or "", self.csrf)

    def challenge(self, purpose: str, make: Callable[[bytes], bytes] | None = None) -> bytes:
        """A fresh challenge for `purpose`: 32 random bytes, or `make` of 16 (to bind it to something)."""
        value = secrets.token_bytes(32) if make is None else make(secrets.token_bytes(16))
        with self._lock:
            self.challenges[purpose] = value
        return value

    def take_challenge(self, purpose: str) -> bytes | None:
        with self._lock:
            return self.challenges.pop(purpose, None)


class Doors:
    """ASGI middleware: Host check, session cookie, Origin check on state changes, security headers."""

    def __init__(self, app: ASGIApp, session: ConsoleSession, origins: frozenset[str]) -> None:
        self.app = app
        self.session = session
        self.origins = origins
        self.hosts = frozenset(o.split("://", 1)[1] for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if refusal is not None:
            self.session.refusals.append((refusal[0], scope["method"], scope["path"]))
            await PlainTextResponse(refusal[1], status_code=refusal[0])(scope, receive, secured)
            return
        await self.app(scope, receive, secured)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = Headers(scope=scope)
        if headers.get("host") not in self.hosts:
            return 421, "This console answers only on its own loopback address."
        path: str = scope["path"]
        if scope["method"] not in ("GET", "HEAD") and headers.get("origin") not in self.origins:
            return 403, "Refused: a change must come from the console's own page."
        if path == LAUNCH_PATH or path.startswith("/static/"):
            return None
        cookie = Request(scope).cookies.get(COOKIE)
        if not self.session.holds(cookie):
            return 403, "Open the console from the link `charter console` printed (each link opens once)."
        return None


async def checked_form(request: Request, session: ConsoleSession) -> dict[str, Any]:
    """The posted form, or an error response's reason when its CSRF token is not the session's."""
    form = await request.form()
    data = {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}
    if not session.csrf_ok(str(data.get(CSRF_FIELD) or "")):
        raise CsrfRefused()
    return data


class CsrfRefused(Exception):
    """A state change without the session's CSRF token."""


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LAUNCH_PATH",
    "ConsoleSession",
    "CsrfRefused",
    "Doors",
    "checked_form",
]
