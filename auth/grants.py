"""Grants: signed, scoped, expiring, revocable tokens that let one agent act for one person.

A token is `chg_<claims>.<signature>`: base64url JSON claims and an HMAC-SHA256 over them. The
signature stops forgery; the server-side record makes a grant revocable and budgeted, so `verify`
checks both. A grant can be attenuated into a child that is narrower on every axis; revoking or
exhausting an ancestor stops its descendants too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal, Protocol

import pydantic
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    or_,
    select,
    update,
)

from charter.auth.attenuation import (
    attenuation_problem,
    check_constraints,
    check_patterns,
    check_verbs,
)
from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
from charter.schemas import ConfigurationError, GrantClaims, GrantDenied, ValidationError, utcnow

TOKEN_PREFIX = "chg_"
KEY_ENV = "CHARTER_GRANT_KEY"
KEY_FILE = "grant-signing.key"

GrantStatus = Literal["active", "expired", "revoked", "exhausted"]


_metadata = MetaData()
grants_table = Table(
    "charter_grants",
    _metadata,
    Column("id", String(64), primary_key=True),
    Column("parent_id", String(64), nullable=True, index=True),
    # Ancestor ids, root first, space separated: one query checks the whole chain.
    Column("lineage", Text, nullable=False),
    Column("subject", String(255), nullable=False),
    Column("agent", String(255), nullable=False),
    Column("claims", Text, nullable=False),
    Column("budget", Integer, nullable=True),
    Column("used", Integer, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)


class GrantAudit(Protocol):
    """Where grant events are recorded (`charter.agents.AuditLog` fits)."""

    def record(
        self,
        *,
        actor: Literal["agent", "person"],
        subject: str,
        action: str,
        outcome: Literal["ok", "error", "paused", "denied"],
        agent: str | None = None,
        grant_id: str | None = None,
        reasons: Sequence[str] = (),
    ) -> object: ...


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET


@dataclass(frozen=True)
class IssuedGrant:
    """A new grant: the opaque token to hand to the agent, and what it allows."""

    token: str = field(repr=False)
    claims: GrantClaims

    @property
    def id(self) -> str:
        return self.claims.id

    def __repr__(self) -> str:
        return f"IssuedGrant(id={self.claims.id!r}, agent={self.claims.agent!r})"


@dataclass(frozen=True)
class GrantRecord:
    """What the server keeps of a grant: its claims, its usage, whether it was revoked."""

    claims: GrantClaims
    used: int
    revoked_at: datetime | None

    @property
    def id(self) -> str:
        return self.claims.id

    @property
    def remaining(self) -> int | None:
        """Calls left on this grant's own budget; None when unlimited."""
        return None if self.claims.budget is None else max(self.claims.budget - self.used, 0)

    def status(self, now: datetime | None = None) -> GrantStatus:
        if self.revoked_at is not None:
            return "revoked"
        if self.claims.expires_at <= (now or utcnow()):
            return "expired"
        if self.remaining == 0:
            return "exhausted"
        return "active"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(claims: GrantClaims) -> str:
    return json.dumps(claims.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _denied(reason: str, message: str, **details: object) -> GrantDenied:
    return GrantDenied(message, reason=reason, **details)


def signing_key(home: CharterHome) -> bytes:
    """The grant-signing key: `CHARTER_GRANT_KEY` (base64url) or a 0600 file in the home."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        try:
            key = _b64decode(configured.strip())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) < 32:
            raise ConfigurationError(f"{KEY_ENV} must be at least 32 bytes, base64url encoded")
        return key
    path = home.path / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                f"{path} is readable by other users; run `chmod 600 {path}` (anyone who reads it can "
                "forge grants)"
            ) from None
        key = path.read_bytes()
        if len(key) < 32:
            raise ConfigurationError(
                f"{path} is damaged (too short); remove it and issue grants again"
            ) from None
        return key
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


class GrantAuthority:
    """Issues, verifies, attenuates, budgets and revokes grants for one Charter home."""

    def __init__(
        self,
        home: CharterHome | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        audit: GrantAudit | None = None,
    ) -> None:
        self.home = home or CharterHome()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)
        self._clock = clock
        self._audit = audit
        self._key = signing_key(self.home)
        # Lineage never changes once a grant exists, so it is safe to keep.
        self._lineage: dict[str, tuple[str, ...]] = {}

    def __repr__(self) -> str:
        return f"<GrantAuthority home={str(self.home.path)!r}>"

    # -- issuing ---------------------------------------------------------------------------

    def issue(
        self,
        subject: str,
        agent: str,
        connections: Sequence[str],
        verbs: Sequence[str],
        actions: Sequence[str] | None = None,
        destructive: Sequence[str] = (),
        constraints: Mapping[str, Sequence[str]] | None = None,
        budget: int | None = None,
        ttl: timedelta = timedelta(hours=8),
    ) -> IssuedGrant:
        """A new root grant from `subject` (the person) to `agent`."""
        if not subject or not agent:
            raise ValidationError("a grant needs a subject (the person) and an agent name")
        if not connections:
            raise ValidationError("a grant needs at least one connection id (see `charter connections`)")
        if budget is not None and budget < 1:
            raise ValidationError("budget must be a positive number of calls, or None for unlimited")
        if ttl <= timedelta(0):
            raise ValidationError("ttl must be positive")
        now = self._clock()
        claims = self._claims(
            subject=subject,
            agent=agent,
            parent_id=None,
            connections=tuple(dict.fromkeys(connections)),
            verbs=check_verbs(verbs),
            actions=None if actions is None else check_patterns("actions", actions),
            destructive=check_patterns("destructive", destructive, globs=False),
            constraints=check_constraints(constraints or {}),
            budget=budget,
            issued_at=now,
            expires_at=now + ttl,
        )
        issued = self._store(claims, lineage=())
        self._record("person", claims, "grant.issue")
        return issued

    def attenuate(
        self,
        parent_token: str,
        *,
        agent: str | None = None,
        connections: Sequence[str] | None = None,
        verbs: Sequence[str] | None = None,
        actions: Sequence[str] | None = None,
        destructive: Sequence[str] | None = None,
        constraints: Mapping[str, Sequence[str]] | None = None,
        budget: int | _Unset | None = UNSET,
        ttl: timedelta | None = None,
    ) -> IssuedGrant:
        """A child grant no wider than its parent on any axis; omitted axes are inherited.

        Constraints the child leaves out are inherited, so a child can add constraints but never
        drop one. Anything wider than the parent is refused with `grant_denied` naming the axis.
        """
        parent = self.verify(parent_token)
        now = self._clock()
        remaining = self._remaining(parent.id)
        child_budget = remaining if budget is UNSET else budget
        child = self._claims(
            subject=parent.subject,
            agent=agent or parent.agent,
            parent_id=parent.id,
            connections=parent.connections if connections is None else tuple(dict.fromkeys(connections)),
            verbs=parent.verbs if verbs is None else check_verbs(verbs),
            actions=parent.actions if actions is None else check_patterns("actions", actions),
            destructive=parent.destructive
            if destructive is None
            else check_patterns("destructive", destructive, globs=False),
            constraints={**parent.constraints, **check_constraints(constraints or {})},
            budget=child_budget,
            issued_at=now,
            expires_at=parent.expires_at if ttl is None else now + ttl,
        )
        if child_budget is not None and child_budget < 1 and budget is not UNSET:
            raise ValidationError("budget must be a positive number of calls")
        problem = attenuation_problem(parent, child, remaining)
        if problem is not None:
            raise _denied(
                "wider_than_parent",
                f"attenuation refused: {problem[1]}. A child grant can only narrow its parent {parent.id}.",
                axis=problem[0],
                grant_id=parent.id,
            )
        issued = self._store(child, lineage=(*self._chain(parent.id)[:-1], parent.id))
        self._record("agent", child, "grant.attenuate")
        return issued

    # -- checking ------------------------------------------------------------------------------

    def decode(self, token: str) -> GrantClaims:
        """The claims of a token whose signature is valid; no server-side checks."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or token.count(".") != 1:
            raise _malformed()
        body, signature = token.split(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        try:
            given = _b64decode(signature)
            raw = _b64decode(body[len(TOKEN_PREFIX) :])
        except (binascii.Error, ValueError):
            raise _malformed() from None
        if not hmac.compare_digest(expected, given):
            raise _denied(
                "forged",
                "this grant token's signature does not match: it was altered or issued by another "
                "Charter home. Ask the person for a new grant.",
            )
        try:
            return GrantClaims.model_validate_json(raw)
        except pydantic.ValidationError:
            raise _malformed() from None

    def check(self, claims: GrantClaims) -> None:
        """Server-side checks of decoded claims: known, unexpired, unrevoked, budget left (chain too)."""
        now = self._clock()
        chain = self._chain(claims.id)
        rows = self._rows(chain)
        own = rows.get(claims.id)
        if own is None:
            raise _unknown(claims.id)
        if own.claims.model_dump() != claims.model_dump():
            raise _denied("forged", f"grant {claims.id} does not match its record; ask for a new grant.")
        if claims.expires_at <= now:
            raise _denied(
                "expired",
                f"grant {claims.id} expired at {claims.expires_at.isoformat()}; "
                "ask the person for a new grant.",
                grant_id=claims.id,
            )
        for gid in reversed(chain):
            row = rows.get(gid)
            whose = "" if gid == claims.id else f" (its ancestor grant {gid})"
            if row is None or row.revoked_at is not None:
                raise _denied(
                    "revoked",
                    f"grant {claims.id} was revoked{whose}; ask the person for a new grant.",
                    grant_id=claims.id,
                )
            if row.remaining == 0:
                raise _exhausted(claims.id, row, whose)

    def verify(self, token: str) -> GrantClaims:
        """The claims of a valid, live token, or `GrantDenied` saying exactly why not."""
        claims = self.decode(token)
        self.check(claims)
        return claims

    def consume(self, grant_id: str) -> None:
        """Count one call against the grant and every ancestor, atomically; refuse when any is spent."""
        chain = self._chain(grant_id)
        t = grants_table
        try:
            with self._engine.begin() as conn:
                # Root first on every path, so concurrent consumers lock rows in the same order.
                for gid in chain:
                    done = conn.execute(
                        update(t)
                        .where(
                            t.c.id == gid,
                            t.c.revoked_at.is_(None),
                            or_(t.c.budget.is_(None), t.c.used < t.c.budget),
                        )
                        .values(used=t.c.used + 1)
                    )
                    if done.rowcount != 1:
                        raise _Spent(gid)
        except _Spent as spent:
            row = self.get(spent.grant_id)
            whose = "" if spent.grant_id == grant_id else f" (its ancestor grant {spent.grant_id})"
            if row.revoked_at is not None:
                raise _denied(
                    "revoked",
                    f"grant {grant_id} was revoked{whose}; ask the person for a new grant.",
                    grant_id=grant_id,
                ) from None
            raise _exhausted(grant_id, row, whose) from None

    # -- managing ------------------------------------------------------------------------------

    def revoke(self, grant_id: str) -> list[str]:
        """Revoke a grant and all its descendants; returns the ids newly revoked."""
        record = self.get(grant_id)
        family = [grant_id]
        frontier = [grant_id]
        t = grants_table
        with self._engine.begin() as conn:
            while frontier:
                found = conn.execute(select(t.c.id).where(t.c.parent_id.in_(frontier))).scalars().all()
                family.extend(found)
                frontier = list(found)
            newly = (
                conn.execute(select(t.c.id).where(t.c.id.in_(family), t.c.revoked_at.is_(None)))
                .scalars()
                .all()
            )
            conn.execute(update(t).where(t.c.id.in_(newly)).values(revoked_at=self._clock()))
        self._record("person", record.claims, "grant.revoke", reasons=tuple(f"revoked {g}" for g in newly))
        return list(newly)

    def get(self, grant_id: str) -> GrantRecord:
        """The record of one grant."""
        row = self._rows((grant_id,)).get(grant_id)
        if row is None:
            raise _unknown(grant_id)
        return row

    def list(self, *, subject: str | None = None, agent: str | None = None) -> list[GrantRecord]:
        """Every grant, newest first, optionally for one person or one agent."""
        t = grants_table
        query = select(t.c.claims, t.c.used, t.c.revoked_at).order_by(t.c.issued_at.desc())
        if subject is not None:
            query = query.where(t.c.subject == subject)
        if agent is not None:
            query = query.where(t.c.agent == agent)
        with self._engine.connect() as conn:
            return [_record_from(row) for row in conn.execute(query)]

    # -- internals -----------------------------------------------------------------------------

    def _claims(self, **fields: object) -> GrantClaims:
        return GrantClaims.model_validate({"id": "grt_" + secrets.token_urlsafe(12), **fields})

    def _store(self, claims: GrantClaims, lineage: tuple[str, ...]) -> IssuedGrant:
        body = TOKEN_PREFIX + _b64encode(_canonical(claims).encode())
        signature = _b64encode(hmac.new(self._key, body.encode(), hashlib.sha256).digest())
        with self._engine.begin() as conn:
            conn.execute(
                grants_table.insert().values(
                    id=claims.id,
                    parent_id=claims.parent_id,
                    lineage=" ".join(lineage),
                    subject=claims.subject,
                    agent=claims.agent,
                    claims=_canonical(claims),
                    budget=claims.budget,
                    used=0,
                    issued_at=claims.issued_at,
                    expires_at=claims.expires_at,
                )
            )
        self._lineage[claims.id] = lineage
        return IssuedGrant(token=f"{body}.{signature}", claims=claims)

    def _chain(self, grant_id: str) -> tuple[str, ...]:
        """Ancestors root first, then the grant itself."""
        lineage = self._lineage.get(grant_id)
        if lineage is None:
            t = grants_table
            with self._engine.connect() as conn:
                found = conn.execute(select(t.c.lineage).where(t.c.id == grant_id)).scalar_one_or_none()
            if found is None:
                raise _unknown(grant_id)
            lineage = tuple(found.split())
            self._lineage[grant_id] = lineage
        return (*lineage, grant_id)

    def _rows(self, ids: Sequence[str]) -> dict[str, GrantRecord]:
        t = grants_table
        query = select(t.c.claims, t.c.used, t.c.revoked_at).where(t.c.id.in_(ids))
        with self._engine.connect() as conn:
            records = [_record_from(row) for row in conn.execute(query)]
        return {r.id: r for r in records}

    def _remaining(self, grant_id: str) -> int | None:
        left = [r.remaining for r in self._rows(self._chain(grant_id)).values() if r.remaining is not None]
        return min(left) if left else None

    def _record(
        self, actor: Literal["agent", "person"], claims: GrantClaims, action: str, reasons: Sequence[str] = ()
    ) -> None:
        if self._audit is not None:
            self._audit.record(
                actor=actor,
                subject=claims.subject,
                action=action,
                outcome="ok",
                agent=claims.agent,
                grant_id=claims.id,
                reasons=reasons,
            )


class _Spent(Exception):
    def __init__(self, grant_id: str) -> None:
        super().__init__(grant_id)
        self.grant_id = grant_id


def _record_from(row: Row[str, int, datetime | None]) -> GrantRecord:
    claims_json, used, revoked_at = row
    return GrantRecord(GrantClaims.model_validate_json(claims_json), int(used), revoked_at)


def _malformed() -> GrantDenied:
    return _denied(
        "malformed",
        "this grant token is malformed (a grant token starts with chg_ and comes from "
        "`charter grant create`); ask the person for a valid grant.",
    )


def _unknown(grant_id: str) -> GrantDenied:
    return _denied(
        "unknown",
        f"grant {grant_id} is not known to this Charter home (removed, or issued elsewhere); "
        "ask the person for a new grant.",
        grant_id=grant_id,
    )


def _exhausted(grant_id: str, row: GrantRecord, whose: str) -> GrantDenied:
    return _denied(
        "budget_exhausted",
        f"grant {grant_id} has used its budget of {row.claims.budget} calls{whose}; "
        "ask the person for a new grant or a larger budget.",
        grant_id=grant_id,
    )


__all__ = [
    "KEY_ENV",
    "TOKEN_PREFIX",
    "UNSET",
    "GrantAudit",
    "GrantAuthority",
    "GrantRecord",
    "GrantStatus",
    "IssuedGrant",
    "signing_key",
]
