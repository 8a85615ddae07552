"""`charter console`'s web app: pending approvals, passkeys, and the live event stream.

Server-rendered pages (Jinja2, autoescaped) and two small static files; no framework on the page.
The grants, connections and audit pages are in `charter.cli.console.pages`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import jinja2  # noqa: F401  (Starlette's templates need it; imported here so its absence is named)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from charter.agents.passkey_proof import approval_challenge
from charter.agents.person import PasskeyStore, approval_needs_passkey, grant_needs_passkey
from charter.agents.rates import WriteRates, so_far_of
from charter.cli.approvals import pending, runnable_grant
from charter.cli.console import passkeys
from charter.cli.console.session import (
    COOKIE,
    LAUNCH_PATH,
    ConsoleSession,
    CsrfRefused,
    Doors,
    checked_form,
)
from charter.cli.context import Local
from charter.cli.grants import describe
from charter.schemas import ApprovalRequest, ApprovalStatus, CharterError, GrantDenied

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes every page
APPROVAL_ID = re.compile(r"^apr_[A-Za-z0-9_-]{1,40}$")
NOTES = {
    "approved": "Approved {id}: the agent's call runs once when it resumes.",
    "approved-batch": "Approved {id} as one batch: the paused call runs when the agent resumes, "
    "then the batch's further writes run without asking again.",
    "denied": "Denied {id}; the agent is told why.",
    "registered": "Passkey registered: protected decisions now need it.",
    "revoked": "Revoked {id}.",
}


@dataclass
class ConsoleState:
    """What the pages share: the home, the one session, who the passkeys are for, the poll interval."""

    here: Local
    session: ConsoleSession
    rp: passkeys.RelyingParty
    poll_seconds: float = 0.5
    stream_seconds: float = 25.0
    # Set when the server stops: open event streams end at once instead of holding the shutdown.
    closing: threading.Event = field(default_factory=threading.Event)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def passkeys(self) -> PasskeyStore:
        return PasskeyStore(self.here.home)


def state_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page with the session's CSRF token, the note named in the query, and the passkey state."""
    st = state_of(request)
    note_key, note_id = request.query_params.get("done", ""), request.query_params.get("id", "")
    note = NOTES.get(note_key, "").format(id=note_id if re.fullmatch(r"[\w-]{1,60}", note_id) else "")
    return templates.TemplateResponse(
        request,
        name,
        {"csrf": st.session.csrf, "note": note, "has_passkey": st.passkeys.any(), **context},
        status_code=status,
    )


def refused(request: Request, exc: CharterError, status: int = 400) -> Response:
    return page(request, "error.html", status=status, code=exc.code, message=exc.message)


async def launch(request: Request) -> Response:
    st = state_of(request)
    cookie = st.session.exchange(request.query_params.get("s", ""))
    if cookie is None:
        return Response("This console link was already used, or is wrong. Run `charter console` again.", 403)
    response = RedirectResponse("/approvals", status_code=303)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", path="/")
    return response


def approval_view(st: ConsoleState, request: ApprovalRequest, rates: WriteRates) -> dict[str, Any]:
    """What the approvals page shows of one request: the stored preview in full, its grant, deadlines,
    and, for a bulk pause, the batch the one decision approves with what the run did so far."""
    try:
        grant = st.here.grants.get(request.grant_id)
        grant_text, grant_expires = describe(grant.claims), grant.claims.expires_at
    except GrantDenied:
        grant_text, grant_expires = "unknown to this home", None
    return {
        "r": request,
        "grant_text": grant_text,
        "grant_expires": grant_expires,
        "needs_passkey": approval_needs_passkey(st.here.home, request),
        "batch": rates.batch(request.id),
        "so_far": so_far_of(request.reasons),
    }


def pending_views(st: ConsoleState) -> list[dict[str, Any]]:
    rates = WriteRates(st.here.home)
    return [approval_view(st, r, rates) for r in st.here.approvals.list(ApprovalStatus.PENDING)]


async def approvals_page(request: Request) -> Response:
    return page(request, "approvals.html", items=pending_views(state_of(request)))


async def approvals_fragment(request: Request) -> Response:
    return page(request, "_approvals.html", items=pending_views(state_of(request)))


def _approval_id(request: Request) -> str:
    value = str(request.path_params["approval_id"])
    if not APPROVAL_ID.fullmatch(value):
        raise CsrfRefused()
    return value


async def approve(request: Request) -> Response:
    st = state_of(request)
    try:
        form = await checked_form(request, st.session)
        approval_id = _approval_id(request)
        req = pending(st.here, approval_id)
        runnable_grant(st.here, req)
        verified_by, answer = "console:session", None
        assertion = str(form.get("assertion") or "")
        if assertion or approval_needs_passkey(st.here.home, req):
            if not assertion:
                raise GrantDenied("this approval needs your passkey", reason="passkey_required")
            purpose = f"approve:{req.id}:{req.payload_hash}"
            verified_by = passkeys.verify_assertion(st.rp, st.passkeys, st.session, purpose, assertion)
            answer = assertion  # kept with the decision: the Toolkit verifies it again at resume
        from charter.auth.policy import Policy

        ttl = Policy.for_home(st.here.home).approved_ttl
        st.here.approvals.approve(
            req.id, by=req.subject, ttl=ttl, verified_by=verified_by, passkey_answer=answer
        )
    except CsrfRefused:
        return Response("Refused: the form did not carry this session's token.", 403)
    except CharterError as exc:
        return refused(request, exc, 403 if isinstance(exc, GrantDenied) else 409)
    # One decision: the Toolkit opens the batch when the approved call runs at resume.
    done = "approved-batch" if WriteRates(st.here.home).batch(approval_id) else "approved"
    return RedirectResponse(f"/approvals?done={done}&id={approval_id}", status_code=303)


async def deny(request: Request) -> Response:
    st = state_of(request)
    try:
        form = await checked_form(request, st.session)
        approval_id = _approval_id(request)
        req = pending(st.here, approval_id)
        reason = str(form.get("reason") or "").strip()[:2000]
        st.here.approvals.deny(req.id, by=req.subject, reason=reason, verified_by="console:session")
    except CsrfRefused:
        return Response("Refused: the form did not carry this session's token.", 403)
    except CharterError as exc:
        return refused(request, exc, 409)
    return RedirectResponse(f"/approvals?done=denied&id={approval_id}", status_code=303)


async def passkey_options(request: Request) -> Response:
    """Options for a ceremony: `register`, `approve:<id>`, or `grant`."""
    st = state_of(request)
    if not st.session.csrf_ok(request.headers.get("x-csrf-token")):
        return JSONResponse({"error": "missing CSRF token"}, 403)
    purpose = str((await request.json()).get("purpose", ""))
    try:
        if purpose == "register":
            if st.passkeys.any():
                raise GrantDenied(
                    "a passkey is already registered; add another with `charter console` after "
                    "removing the first from the home (see docs/console.md)",
                    reason="passkey_exists",
                )
            body = passkeys.registration_options(st.rp, st.passkeys, st.session, st.here.home.identity)
        elif purpose == "grant":
            body = passkeys.assertion_options(st.rp, st.passkeys, st.session, "grant")
        elif purpose.startswith("approve:") and APPROVAL_ID.fullmatch(purpose.removeprefix("approve:")):
            req = pending(st.here, purpose.removeprefix("approve:"))
            body = passkeys.assertion_options(
                st.rp,
                st.passkeys,
                st.session,
                f"approve:{req.id}:{req.payload_hash}",
                partial(approval_challenge, approval_id=req.id, payload_hash=req.payload_hash),
            )
        else:
            return JSONResponse({"error": "unknown purpose"}, 400)
    except CharterError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, 409)
    return Response(body, media_type="application/json")


async def passkey_register(request: Request) -> Response:
    st = state_of(request)
    if not st.session.csrf_ok(request.headers.get("x-csrf-token")):
        return JSONResponse({"error": "missing CSRF token"}, 403)
    data = await request.json()
    try:
        credential_id = passkeys.register(
            st.rp, st.passkeys, st.session, data.get("credential"), str(data.get("label") or "passkey")[:100]
        )
    except CharterError as exc:
        return JSONResponse({"error": exc.message, "code": exc.code}, 400)
    # On the record, and off the machine with the audit sinks: a passkey added later stands out.
    st.here.audit.record(
        actor="person",
        subject=st.here.home.identity,
        action="passkey.register",
        outcome="ok",
        result_ref=credential_id,
        verified_by="console:session",
    )
    return JSONResponse({"credential_id": credential_id})


async def passkeys_page(request: Request) -> Response:
    st = state_of(request)
    return page(
        request,
        "passkeys.html",
        keys=st.passkeys.list(),
        protects_grants=grant_needs_passkey(st.here.home),
    )


async def events(request: Request) -> Response:
    """Server-sent events: the pending approval ids, sent whenever they change."""
    st = state_of(request)

    def current() -> list[str]:
        return [r.id for r in st.here.approvals.list(ApprovalStatus.PENDING)]

    async def stream() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        last: list[str] | None = None
        with anyio.move_on_after(st.stream_seconds):
            while not st.closing.is_set():
                ids = await anyio.to_thread.run_sync(current)
                if ids != last:
                    new = [i for i in ids if last is not None and i not in last]
                    yield f"event: approvals\ndata: {json.dumps({'pending': ids, 'new': new})}\n\n"
                    last = ids
                await anyio.sleep(st.poll_seconds)

    return StreamingResponse(stream(), media_type="text/event-stream")


def build_app(state: ConsoleState) -> Doors:
    """The console's ASGI app behind its doors (Host, session, Origin, CSRF, security headers)."""
    from charter.cli.console.pages import page_routes

    app = Starlette(
        routes=[
            Route(LAUNCH_PATH, launch),
            Route("/", lambda request: RedirectResponse("/approvals", status_code=303)),
            Route("/approvals", approvals_page),
            Route("/approvals/fragment", approvals_fragment),
            Route("/approvals/{approval_id}/approve", approve, methods=["POST"]),
            Route("/approvals/{approval_id}/deny", deny, methods=["POST"]),
            Route("/passkeys", passkeys_page),
            Route("/passkeys/options", passkey_options, methods=["POST"]),
            Route("/passkeys/register", passkey_register, methods=["POST"]),
            Route("/events", events),
            *page_routes(),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
    )
    app.state.console = state
    origins = frozenset({state.rp.origin, state.rp.origin.replace("//localhost:", "//127.0.0.1:")})
    return Doors(app, state.session, origins)


__all__ = ["ConsoleState", "build_app", "page", "refused", "state_of"]
