"""Approvals: calls paused until a person says yes, each bound to the hash of its exact payload.

A decision has a lifetime too: a pending request expires when nobody decides in time, and an
approval expires when its call is not run within `approved_ttl` of the decision (`expires_at`
holds whichever deadline applies now). Every state change is one conditional UPDATE, so two people
deciding at once, or two workers resuming at once, cannot both win: an approval is decided once and
its call runs once.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Column, MetaData, Row, String, Table, Text, select, update

from charter.auth.audit import AuditLog
from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
from charter.schemas import (
    ApprovalRequest,
    ApprovalRequired,
    ApprovalStatus,
    CharterError,
    Conflict,
    GrantDenied,
    NotFound,
    ValidationError,
    payload_hash,
    utcnow,
)

_metadata = MetaData()
approvals_table = Table(
    "charter_approvals",
    _metadata,
    Column("id", String(64), primary_key=True),
    Column("grant_id", String(64), nullable=False, index=True),
    Column("agent", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("tool", String(255), nullable=False),
    Column("args", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("preview", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", String(255), nullable=True),
    Column("deny_reason", Text, nullable=True),
    Column("consumed", Boolean, nullable=False),
    Column("consumed_at", UTCDateTime, nullable=True),
)
# How the person who decided was verified, one row per decision; a table of its own so that homes made
# before it keep their approvals table as it was.
proofs_table = Table(
    "charter_approval_proofs",
    _metadata,
    Column("approval_id", String(64), primary_key=True),
    Column("verified_by", String(255), nullable=False),
)
# The passkey's signed answer (WebAuthn assertion JSON) for a decision taken with it: checked again
# before the approved call runs (`charter.agents.passkey_proof`).
answers_table = Table(
    "charter_approval_passkey_answers",
    _metadata,
    Column("approval_id", String(64), primary_key=True),
    Column("answer", Text, nullable=False),
)
_t = approvals_table
_p = proofs_table
_COLUMNS = (
    _t.c.id, _t.c.grant_id, _t.c.agent, _t.c.subject, _t.c.tool, _t.c.args, _t.c.payload_hash,
    _t.c.preview, _t.c.reasons, _t.c.status, _t.c.created_at, _t.c.expires_at, _t.c.decided_at,
    _t.c.decided_by, _t.c.deny_reason, _t.c.consumed, _p.c.verified_by,
)  # fmt: skip
_JOINED = _t.outerjoin(_p, _p.c.approval_id == _t.c.id)


class ApprovalAlreadyUsed(Conflict):
    """The approved call has already run (or is running); it never runs twice."""


# How the person behind a decision was verified; the audit entry keeps it verbatim. A passkey's
# credential id is at most PASSKEY_ID_CHARS long, so "passkey:<id>" fits `verified_by`'s 255.
PASSKEY_ID_CHARS = 247
VERIFIED_BY = re.compile(r"passkey:[A-Za-z0-9_-]{1,247}|cli:tty|cli:no-tty|console:session|none")

# How long an approval stays usable after the person gives it (policy.yaml: approved_ttl_minutes).
DEFAULT_APPROVED_TTL = timedelta(hours=1)


class ApprovalStore:
    """Paused calls and the person's decisions on them, in the Charter database."""

    def __init__(
        self,
        home: CharterHome | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        audit: AuditLog | None = None,
        approved_ttl: timedelta = DEFAULT_APPROVED_TTL,
    ) -> None:
        if approved_ttl <= timedelta(0):
            raise ValidationError("approved_ttl must be positive")
        self.approved_ttl = approved_ttl
        self.home = home or CharterHome()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)
        self._clock = clock
        # The person's decisions are always audited: a store without a log would lose them silently.
        self._audit = audit if audit is not None else AuditLog(self.home, clock=clock)

    def __repr__(self) -> str:
        return f"<ApprovalStore home={str(self.home.path)!r}>"

    def create(
        self,
        *,
        grant_id: str,
        agent: str,
        subject: str,
        tool: str,
        args: dict[str, Any],
        preview: str,
        reasons: Sequence[str],
        ttl: timedelta = timedelta(hours=24),
        payload_hash: str | None = None,
    ) -> ApprovalRequest:
        """Hold a call for approval; it is bound to `payload_hash` (by default, of `tool` and `args`)."""
        now = self._clock()
        request = ApprovalRequest(
            id="apr_" + secrets.token_urlsafe(12),
            grant_id=grant_id,
            agent=agent,
            subject=subject,
            tool=tool,
            args=args,
            payload_hash=payload_hash or _hash(tool, args),
            preview=preview,
            reasons=list(reasons),
            created_at=now,
            expires_at=now + ttl,
        )
        with self._engine.begin() as conn:
            conn.execute(
                _t.insert().values(
                    **request.model_dump(exclude={"args", "reasons", "status", "verified_by"}),
                    args=json.dumps(args, sort_keys=True),
                    reasons=json.dumps(list(reasons)),
                    status=request.status.value,
                )
            )
        return request

    def get(self, approval_id: str) -> ApprovalRequest:
        """One request, with a pending one past its expiry shown (and stored) as expired."""
        self._expire(_t.c.id == approval_id)
        with self._engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).select_from(_JOINED).where(_t.c.id == approval_id)).first()
        if row is None:
            raise NotFound(f"no approval request {approval_id!r}; list them with `charter approvals list`")
        return _request_from(row)

    def list(self, status: ApprovalStatus | str | None = None) -> list[ApprovalRequest]:
        """Requests, newest first, optionally only those with `status`."""
        self._expire()
        query = select(*_COLUMNS).select_from(_JOINED).order_by(_t.c.created_at.desc())
        if status is not None:
            query = query.where(_t.c.status == ApprovalStatus(status).value)
        with self._engine.connect() as conn:
            return [_request_from(row) for row in conn.execute(query)]

    def find_open(self, grant_id: str, tool: str, payload_hash: str) -> ApprovalRequest | None:
        """A pending, or approved and unused, request for exactly this call, if there is one."""
        self._expire(_t.c.grant_id == grant_id)
        query = (
            select(*_COLUMNS)
            .select_from(_JOINED)
            .where(
                _t.c.grant_id == grant_id,
                _t.c.tool == tool,
                _t.c.payload_hash == payload_hash,
                _t.c.consumed.is_(False),
                _t.c.status.in_((ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value)),
            )
            .order_by(_t.c.created_at.desc())
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _request_from(row)

    def approve(
        self,
        approval_id: str,
        by: str,
        *,
        ttl: timedelta | None = None,
        verified_by: str = "none",
        passkey_answer: str | None = None,
    ) -> ApprovalRequest:
        """Approve a pending request, usable for `ttl` (default the store's `approved_ttl`).

        `verified_by` says how the person was verified (`passkey:<credential id>`, `cli:tty`, `none`);
        it is kept with the decision and in its audit entry; `passkey_answer`, the signed WebAuthn
        assertion, with it. An expired or already decided request is refused with `conflict`.
        """
        lifetime = self.approved_ttl if ttl is None else ttl
        if lifetime <= timedelta(0):
            raise ValidationError("an approval's lifetime must be positive")
        return self._decide(
            approval_id, ApprovalStatus.APPROVED, by, None, lifetime, verified_by, passkey_answer
        )

    def passkey_answer(self, approval_id: str) -> str | None:
        """The passkey's signed answer kept with the decision, if it was taken with one."""
        a = answers_table
        with self._engine.connect() as conn:
            found = conn.execute(select(a.c.answer).where(a.c.approval_id == approval_id)).scalar()
        return None if found is None else str(found)

    def deny(
        self, approval_id: str, by: str, reason: str = "", *, verified_by: str = "none"
    ) -> ApprovalRequest:
        """Deny a pending request; the agent is told the reason."""
        return self._decide(approval_id, ApprovalStatus.DENIED, by, reason or None, None, verified_by)

    def expire_due(self) -> int:
        """Mark every pending request, and every unused approval, past its expiry; returns how many."""
        return self._expire()

    def consume(self, approval_id: str, payload_hash: str) -> ApprovalRequest:
        """Mark an approved request used, only if `payload_hash` is the one the person approved.

        One conditional UPDATE: of two racing callers exactly one succeeds; the other gets
        `ApprovalAlreadyUsed`. An approval past its lifetime is never used.
        """
        now = self._clock()
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_t)
                .where(
                    _t.c.id == approval_id,
                    _t.c.status == ApprovalStatus.APPROVED.value,
                    _t.c.consumed.is_(False),
                    _t.c.payload_hash == payload_hash,
                    _t.c.expires_at > now,
                )
                .values(consumed=True, consumed_at=now)
            )
        request = self.get(approval_id)
        if done.rowcount == 1:
            return request
        raise refusal(request, payload_hash)

    # -- internals -----------------------------------------------------------------------------

    def _decide(
        self,
        approval_id: str,
        status: ApprovalStatus,
        by: str,
        reason: str | None,
        lifetime: timedelta | None = None,
        verified_by: str = "none",
        passkey_answer: str | None = None,
    ) -> ApprovalRequest:
        if not by:
            raise ValidationError("say who decides: approvals and denials are recorded by name")
        if not VERIFIED_BY.fullmatch(verified_by):
            raise ValidationError(
                f"unknown verification {verified_by!r}: passkey:<credential id>, cli:tty, cli:no-tty, "
                "console:session or none"
            )
        now = self._clock()
        self._expire(_t.c.id == approval_id)
        # From the decision on, `expires_at` is the approval's own deadline: run by then or ask again.
        deadline = {} if lifetime is None else {"expires_at": now + lifetime}
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_t)
                .where(_t.c.id == approval_id, _t.c.status == ApprovalStatus.PENDING.value)
                .values(status=status.value, decided_at=now, decided_by=by, deny_reason=reason, **deadline)
            )
            if done.rowcount == 1:
                conn.execute(_p.insert().values(approval_id=approval_id, verified_by=verified_by))
                if passkey_answer:
                    conn.execute(
                        answers_table.insert().values(approval_id=approval_id, answer=passkey_answer)
                    )
        request = self.get(approval_id)
        if done.rowcount != 1:
            raise _already_decided(request)
        self._audit.record(
            actor="person",
            subject=request.subject,
            action=f"approval.{'approve' if status is ApprovalStatus.APPROVED else 'deny'}",
            outcome="ok",
            agent=request.agent,
            grant_id=request.grant_id,
            approval_id=request.id,
            approver=by,
            reasons=(reason,) if reason else (),
            result_ref=request.tool,
            verified_by=verified_by,
        )
        return request

    def _expire(self, *where: Any) -> int:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(_t)
                .where(
                    _t.c.status.in_((ApprovalStatus.PENDING.value, ApprovalStatus.APPROVED.value)),
                    _t.c.consumed.is_(False),
                    _t.c.expires_at <= self._clock(),
                    *where,
                )
                .values(status=ApprovalStatus.EXPIRED.value)
            )
        return int(done.rowcount)


def _hash(tool: str, args: dict[str, Any]) -> str:
    return payload_hash(tool, args)


def _request_from(row: Row[*tuple[Any, ...]]) -> ApprovalRequest:
    data = dict(row._mapping)
    data["args"] = json.loads(data["args"])
    data["reasons"] = json.loads(data["reasons"])
    data["consumed"] = bool(data["consumed"])
    return ApprovalRequest.model_validate(data)


def _already_decided(request: ApprovalRequest) -> Conflict:
    if request.status is ApprovalStatus.EXPIRED and request.decided_at is not None:
        return Conflict(
            f"approval {request.id} was approved by {request.decided_by} but expired unused at "
            f"{request.expires_at.isoformat()}; the agent must ask again",
            status=request.status.value,
        )
    if request.status is ApprovalStatus.EXPIRED:
        return Conflict(
            f"approval {request.id} expired at {request.expires_at.isoformat()} before anyone decided; "
            "the agent must ask again",
            status=request.status.value,
        )
    return Conflict(
        f"approval {request.id} was already {request.status.value} by {request.decided_by}; "
        "a decision cannot be changed",
        status=request.status.value,
    )


def refusal(request: ApprovalRequest, given_hash: str) -> CharterError:
    """Why the call held by `request` cannot run now with a payload hashing to `given_hash`."""
    if request.status is ApprovalStatus.PENDING:
        return ApprovalRequired(
            f"approval {request.id} is still waiting for a person; call resume again after they approve",
            approval_id=request.id,
        )
    if request.status is ApprovalStatus.DENIED:
        why = f": {request.deny_reason}" if request.deny_reason else ""
        return GrantDenied(
            f"a person denied this call{why}. Do not retry it unchanged.",
            reason="approval_denied",
            approval_id=request.id,
        )
    if request.status is ApprovalStatus.EXPIRED and request.decided_at is not None:
        return GrantDenied(
            f"approval {request.id} was given but not used before it expired at "
            f"{request.expires_at.isoformat()}; nothing was sent. Call the tool again to ask the "
            "person again.",
            reason="approval_expired",
            approval_id=request.id,
        )
    if request.status is ApprovalStatus.EXPIRED:
        return GrantDenied(
            f"approval {request.id} expired before a person decided; call the tool again to ask again",
            reason="approval_expired",
            approval_id=request.id,
        )
    if request.payload_hash != given_hash:
        return GrantDenied(
            f"approval {request.id} was given for a different payload; the change differs from what "
            "the person approved, so it was not run. Call the tool again to ask for a new approval.",
            reason="payload_changed",
            approval_id=request.id,
        )
    return ApprovalAlreadyUsed(
        f"approval {request.id} has already been used; its call runs only once",
        approval_id=request.id,
    )


__all__ = [
    "DEFAULT_APPROVED_TTL",
    "ApprovalAlreadyUsed",
    "ApprovalStore",
    "approvals_table",
    "proofs_table",
    "refusal",
]
