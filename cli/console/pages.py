"""The console's grants, connections and audit pages."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from charter.agents.person import grant_needs_passkey
from charter.auth.grants import GrantRecord
from charter.auth.vocabulary import Vocabulary
from charter.cli.console import passkeys
from charter.cli.console.app import page, refused, state_of
from charter.cli.console.session import CsrfRefused, checked_form
from charter.cli.grants import create_grant, describe
from charter.cli.options import parse_duration
from charter.schemas import AuditEvent, CharterError, ValidationError

VERBS = ("read", "draft", "write")
TTLS = ("30m", "1h", "8h", "1d", "7d")
AUDIT_ROWS = 500


def grant_tree(records: list[GrantRecord]) -> list[tuple[int, GrantRecord]]:
    """Grants as (depth, record), each child under its parent, roots newest first."""
    children: dict[str | None, list[GrantRecord]] = {}
    known = {r.id for r in records}
    for r in records:
        parent = r.claims.parent_id if r.claims.parent_id in known else None
        children.setdefault(parent, []).append(r)
    out: list[tuple[int, GrantRecord]] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            out.append((depth, r))
            walk(r.id, depth + 1)

    walk(None, 0)
    return out


def vocabulary_view(vocabulary: Vocabulary, services: Iterable[str]) -> list[dict[str, Any]]:
    """The actions, destructive actions and constraint keys of the services the home is connected to."""
    wanted = set(services)
    return [
        {
            "service": t.service,
            "actions": sorted(t.actions),
            "destructive": sorted(t.destructive),
            "constraints": sorted(t.constraints),
        }
        for t in sorted(vocabulary.services.values(), key=lambda t: t.service)
        if t.service in wanted
    ]


async def grants_page(request: Request, issued: Any = None, status: int = 200) -> Response:
    st = state_of(request)
    connections = [c for c in st.here.vault.connections() if c.status == "active"]
    records = st.here.grants.list()
    return page(
        request,
        "grants.html",
        status=status,
        tree=[(depth, r, describe(r.claims), r.status()) for depth, r in grant_tree(records)],
        connections=connections,
        terms=vocabulary_view(Vocabulary.for_home(st.here.home), {c.service for c in connections}),
        verbs=VERBS,
        ttls=TTLS,
        issued=issued,
        needs_passkey=grant_needs_passkey(st.here.home),
    )


def _list(form: dict[str, Any], key: str) -> list[str]:
    value = form.get(key)
    values = value if isinstance(value, list) else [value] if value else []
    return [str(v).strip() for v in values if str(v).strip()]


async def create(request: Request) -> Response:
    st = state_of(request)
    try:
        form = await checked_form(request, st.session)
        if grant_needs_passkey(st.here.home):
            assertion = str(form.get("assertion") or "")
            passkeys.verify_assertion(st.rp, st.passkeys, st.session, "grant", assertion)
        constraints = {
            key.removeprefix("constraint:"): [v.strip() for v in str(value).split(",") if v.strip()]
            for key, value in form.items()
            if key.startswith("constraint:") and str(value).strip()
        }
        budget = str(form.get("budget") or "").strip()
        if budget and not budget.isdigit():
            raise ValidationError("the budget is a whole number of calls, or empty for unlimited")
        issued = create_grant(
            st.here,
            agent=str(form.get("agent") or "").strip(),
            connections=_list(form, "connection"),
            verbs=_list(form, "verb"),
            actions=_list(form, "action") or None,
            destructive=_list(form, "destructive"),
            constraints=constraints,
            budget=int(budget) if budget else None,
            ttl=parse_duration(str(form.get("ttl") or "8h")),
            passkey_verified=True,
        )
    except CsrfRefused:
        return Response("Refused: the form did not carry this session's token.", 403)
    except CharterError as exc:
        return refused(request, exc)
    return await grants_page(request, issued=issued, status=201)


async def revoke_grant(request: Request) -> Response:
    st = state_of(request)
    try:
        await checked_form(request, st.session)
        grant_id = str(request.path_params["grant_id"])
        st.here.grants.revoke(grant_id)
    except CsrfRefused:
        return Response("Refused: the form did not carry this session's token.", 403)
    except CharterError as exc:
        return refused(request, exc)
    return RedirectResponse(f"/grants?done=revoked&id={grant_id}", status_code=303)


def last_used(st_records: list[GrantRecord], entries: Iterable[AuditEvent]) -> dict[str, str]:
    """Each connection's latest agent call, read from the audit log through the grants naming it."""
    connections_of = {r.id: r.claims.connections for r in st_records}
    seen: dict[str, str] = {}
    for event in entries:
        if event.actor == "agent" and event.grant_id in connections_of:
            for cid in connections_of[event.grant_id]:
                seen[cid] = f"{event.at:%Y-%m-%d %H:%M} UTC by {event.agent} ({event.action})"
    return seen


async def connections_page(request: Request) -> Response:
    st = state_of(request)
    used = last_used(st.here.grants.list(), st.here.audit.entries())
    rows = [(c, sorted(c.scopes), used.get(c.id, "never")) for c in st.here.vault.connections()]
    return page(request, "connections.html", rows=rows)


async def revoke_connection(request: Request) -> Response:
    st = state_of(request)
    try:
        await checked_form(request, st.session)
        connection_id = str(request.path_params["connection_id"])
        st.here.vault.revoke(connection_id)
    except CsrfRefused:
        return Response("Refused: the form did not carry this session's token.", 403)
    except CharterError as exc:
        return refused(request, exc)
    return RedirectResponse(f"/connections?done=revoked&id={connection_id}", status_code=303)


def audit_filter(request: Request) -> tuple[dict[str, str], list[AuditEvent]]:
    """The filters in the query (agent, action, decision) and the entries they keep, newest first."""
    wanted = {k: request.query_params.get(k, "").strip() for k in ("agent", "action", "decision")}
    kept = []
    for event in state_of(request).here.audit.entries():
        if wanted["agent"] and event.agent != wanted["agent"]:
            continue
        if wanted["action"] and wanted["action"] not in event.action:
            continue
        if wanted["decision"] and (event.decision or "") != wanted["decision"]:
            continue
        kept.append(event)
    return wanted, kept[::-1]


async def audit_page(request: Request) -> Response:
    wanted, kept = audit_filter(request)
    report = state_of(request).here.audit.verify() if request.query_params.get("verify") else None
    shown = kept[:AUDIT_ROWS]
    return page(request, "audit.html", wanted=wanted, entries=shown, total=len(kept), report=report)


async def audit_export(request: Request) -> Response:
    _, kept = audit_filter(request)
    body = "".join(json.dumps(e.model_dump(mode="json"), sort_keys=True) + "\n" for e in kept[::-1])
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"content-disposition": 'attachment; filename="charter-audit.jsonl"'},
    )


def page_routes() -> list[BaseRoute]:
    return [
        Route("/grants", grants_page),
        Route("/grants", create, methods=["POST"]),
        Route("/grants/{grant_id}/revoke", revoke_grant, methods=["POST"]),
        Route("/connections", connections_page),
        Route("/connections/{connection_id}/revoke", revoke_connection, methods=["POST"]),
        Route("/audit", audit_page),
        Route("/audit/export", audit_export),
    ]


__all__ = ["audit_filter", "grant_tree", "last_used", "page_routes", "vocabulary_view"]
