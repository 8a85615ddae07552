"""`GoogleSandbox`: Gmail v1, Calendar v3, batch and Google's OAuth server on one loopback port."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from charter.sandboxes.clock import Clock
from charter.sandboxes.faults import FaultDecision
from charter.sandboxes.framework import Reply, Sandbox
from charter.sandboxes.google import batch, oauth_routes
from charter.sandboxes.google.api import JSON_TYPE, dispatch
from charter.sandboxes.google.calendar import reads as _calendar_reads  # noqa: F401  (registers handlers)
from charter.sandboxes.google.calendar import writes as _calendar_writes  # noqa: F401
from charter.sandboxes.google.calendar.seed import add_bulk_events, build_calendars
from charter.sandboxes.google.calendar.state import CalendarState
from charter.sandboxes.google.control import GoogleControl
from charter.sandboxes.google.errors import GoogleError
from charter.sandboxes.google.gmail import drafts as _gmail_drafts  # noqa: F401
from charter.sandboxes.google.gmail import messages as _gmail_messages  # noqa: F401
from charter.sandboxes.google.gmail.seed import ACCOUNTS, OWNER, add_bulk_messages, build_mailbox
from charter.sandboxes.google.gmail.state import Mailbox
from charter.sandboxes.google.oauth import GOOGLE_TOKENS, GoogleOAuth
from charter.sandboxes.google.quota import Quota
from charter.sandboxes.tokens import TokenFormat

TEMPLATE_MAX_AGE = 600.0


@dataclass(frozen=True)
class GoogleSeed:
    """Extra generated data on top of the seeded mailbox and calendars, kept across resets."""

    messages: int = 0
    events: int = 0


class GoogleState:
    """The accounts, Mona's mailbox and her calendars, rebuilt from the seed on every reset."""

    def __init__(self, clock: Clock, seed: GoogleSeed) -> None:
        now = clock.now()
        self.accounts: dict[str, str] = dict(ACCOUNTS)
        self.gmail: Mailbox = build_mailbox(now)
        self.mailboxes: dict[str, Mailbox] = {OWNER: self.gmail}
        self.calendar: CalendarState = build_calendars(clock)
        if seed.messages or seed.events:
            self.add_bulk(seed.messages, seed.events, now)

    def clone(self) -> GoogleState:
        """An independent copy (resets copy a template instead of generating mail again)."""
        twin = copy.copy(self)
        twin.accounts = dict(self.accounts)
        twin.gmail = self.gmail.clone()
        twin.mailboxes = {**self.mailboxes, self.gmail.email: twin.gmail}
        twin.calendar = self.calendar.clone()
        return twin

    def __repr__(self) -> str:
        return (
            f"GoogleState(accounts={sorted(self.accounts)}, gmail={self.gmail!r}, calendar={self.calendar!r})"
        )

    def add_bulk(self, messages: int, events: int, now: float) -> None:
        """Generated messages and events (history is not kept for them: they predate any sync)."""
        add_bulk_messages(self.gmail, messages, now)
        self.gmail.truncate_history()
        add_bulk_events(self.calendar, events)


class GoogleSandbox(Sandbox):
    """Gmail and Calendar of mona@acme.com on 127.0.0.1, with Google's OAuth server, batch and quota."""

    name = "google"

    def __init__(self, *, clock: Clock | None = None, seed: GoogleSeed | None = None) -> None:
        super().__init__(clock=clock)
        self._seed = seed or GoogleSeed()
        self._template: tuple[float, GoogleState] | None = None
        self.state = self._fresh_state()
        self.quota = Quota(self.clock)
        self.oauth = GoogleOAuth(self)

    def token_format(self) -> TokenFormat:
        """`ya29.…` access tokens (3599 s) and `1//…` refresh tokens."""
        return GOOGLE_TOKENS

    def _fresh_state(self) -> GoogleState:
        now = self.clock.now()
        # Seed dates are relative to today; a template a few minutes old from the same day still fits.
        template = self._template
        if (
            template is None
            or abs(now - template[0]) > TEMPLATE_MAX_AGE
            or now // 86_400 != template[0] // 86_400
        ):
            template = self._template = (now, GoogleState(self.clock, self._seed))
        return template[1].clone()

    def reset(self) -> None:
        """Back to real time first, so the fresh seed is dated from today, then the usual reset."""
        self.clock.reset()
        super().reset()

    def restore_seed(self) -> None:
        """Fresh mailbox and calendars, full quota, default OAuth settings."""
        self.state = self._fresh_state()
        self.quota.reset()
        self.oauth.reset()

    def seed_bulk(self, messages: int = 0, events: int = 0) -> None:
        """Add generated messages and events now (until the next reset), e.g. for benchmarks."""
        with self.lock:
            self.state.add_bulk(messages, events, self.clock.now())

    def service_app(self) -> ASGIApp:
        """OAuth, batch, and every Gmail and Calendar method routed by the discovery documents."""
        routes: list[BaseRoute] = [
            *oauth_routes.ROUTES,
            Route("/batch", batch.batch, methods=["POST"]),
            Route("/batch/{api}/{version}", batch.batch, methods=["POST"]),
            Route("/{path:path}", self._api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
        app = Starlette(routes=routes)
        app.state.sandbox = self
        return app

    async def _api(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        reply = dispatch(self, request.method, request.url.path, request.url.query, headers, body)
        return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    def fault_reply(self, decision: FaultDecision, method: str, path: str) -> Reply:
        """Google's error bodies for injected rate limits and server errors."""
        if decision.kind == "rate_limit":
            if decision.status == 403:
                error = GoogleError(
                    403, "User Rate Limit Exceeded", reason="userRateLimitExceeded", domain="usageLimits"
                )
            else:
                error = GoogleError(
                    decision.status, "Rate Limit Exceeded", reason="rateLimitExceeded", domain="usageLimits"
                )
            headers = [("retry-after", str(decision.retry_after))]
        else:
            messages = {503: "The service is currently unavailable.", 500: "Internal error encountered."}
            text = messages.get(decision.status, "Backend Error")
            error = GoogleError(decision.status, text, reason="backendError")
            headers = []
        return Reply(decision.status, [("content-type", JSON_TYPE), *headers], error.payload())

    def dump_state(self) -> dict[str, object]:
        """Mailbox summary, sent mail and calendar events, as JSON for `/_sandbox/state`."""
        box = self.state.gmail
        return {
            "gmail": {
                "email": box.email,
                "historyId": box.history_id,
                "messages": len(box.messages),
                "drafts": sorted(box.drafts),
                "labels": [lb.to_json() for lb in box.labels.values()],
                "sent": [
                    {
                        "id": s.message_id,
                        "threadId": s.thread_id,
                        "to": s.to,
                        "cc": s.cc,
                        "bcc": s.bcc,
                        "subject": s.subject,
                    }
                    for s in box.sent
                ],
            },
            "calendar": {
                cid: [e for e in self.state.calendar.events(cid, include_cancelled=True)]
                for cid in self.state.calendar.calendars
            },
            "notifications": [vars(n) for n in self.state.calendar.notifications],
        }

    def control_routes(self) -> list[BaseRoute]:
        """`/_sandbox/oauth/...`, `/_sandbox/quota`, `/_sandbox/gmail/...` knobs over HTTP."""
        return GoogleControl(self).routes()
