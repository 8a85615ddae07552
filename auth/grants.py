"""Grants: signed, scoped, expiring, revocable tokens that let one agent act for one person.

A token is `chg_<claims>.<signature>`: base64url JSON claims and an HMAC-SHA256 over them. The
signature stops forgery; the server-side record makes a grant revocable and budgeted, so `verify`
checks both. A grant can be attenuated into a child that is narrower on every axis; revoking or
exhausting an ancestor stops its descendants too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Literal

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    bindparam,
    or_,
    select,
    update,
)

from charter.auth.attenuation import (
    attenuation_problem,
    check_agent_name,
    check_constraints,
    check_patterns,
    check_verbs,
    child_agent,
)
from charter.auth.audit import AuditLog
from charter.auth.grant_tokens import canonical, decode, denied, encode, signing_key
from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
from charter.auth.vocabulary import Vocabulary
from charter.schemas import GrantClaims, GrantDenied, NotFound, ValidationError, utcnow

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

# Built once: every call checks and consumes its grant, and building a statement costs more than
# running it.
_ROWS = select(grants_table.c.claims, grants_table.c.used, grants_table.c.revoked_at).where(
    grants_table.c.id.in_(bindparam("ids", expanding=True))
)
_CONSUME = (
    update(grants_table)
    .where(
        grants_table.c.id == bindparam("gid"),
        grants_table.c.revoked_at.is_(None),
        or_(grants_table.c.budget.is_(None), grants_table.c.used < grants_table.c.budget),
    )
    .values(used=grants_table.c.used + 1)
)


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


class GrantAuthority:
    """Issues, verifies, attenuates, budgets and revokes grants for one Charter home."""

    def __init__(
        self,
        home: CharterHome | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        audit: AuditLog | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.home = home or CharterHome()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)
        self._clock = clock
        # The names grants may use, from the connectors' declarations; loaded when first needed.
        self._vocabulary = vocabulary
        # Issuing, attenuating and revoking are always on the record, whoever builds the authority.
        self._audit = audit if audit is not None else AuditLog(self.home, clock=clock)
        self._key = signing_key(self.home)
        # Lineage never changes once a grant exists, so it is safe to keep.
        self._lineage: dict[str, tuple[str, ...]] = {}
        # Token claims found equal to their record, by identity of both (frozen, so equal for good).
        self._matched: dict[int, tuple[GrantClaims, GrantClaims]] = {}

    def __repr__(self) -> str:
        return f"<GrantAuthority home={str(self.home.path)!r}>"

    @property
    def vocabulary(self) -> Vocabulary:
        """The actions and constraint keys grants may name (the installed connectors' by default)."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.for_home(self.home)
        return self._vocabulary

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
        write_rate: int | None = None,
    ) -> IssuedGrant:
        """A new root grant from `subject` (the person) to `agent`.

        `write_rate` overrides the policy's bulk rate: writes of one action per window without a person.
        """
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
            agent=check_agent_name(agent),
            parent_id=None,
            connections=tuple(dict.fromkeys(connections)),
            verbs=check_verbs(verbs),
            actions=None if actions is None else check_patterns("actions", actions),
            destructive=check_patterns("destructive", destructive, globs=False),
            constraints=self.vocabulary.spell(connections, check_constraints(constraints or {})),
            budget=budget,
            write_rate=write_rate,
            issued_at=now,
            expires_at=now + ttl,
        )
        self._check_names(claims, claims)
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

        The child's agent is named under the parent's: `agent="sub-1"` under `triage-bot` is
        `triage-bot/sub-1` (default `.../sub`), so a sub-agent can never take another agent's name.
        Constraints the child leaves out are inherited, so a child can add constraints but never
        drop one. Anything wider than the parent is refused with `grant_denied` naming the axis.
        """
        parent = self.verify(parent_token)
        child_connections = parent.connections if connections is None else tuple(dict.fromkeys(connections))
        narrowed = self.vocabulary.spell(child_connections, check_constraints(constraints or {}))
        now = self._clock()
        remaining = self._remaining(parent.id)
        child_budget = remaining if budget is UNSET else budget
        child = self._claims(
            subject=parent.subject,
            agent=child_agent(parent.agent, agent),
            parent_id=parent.id,
            connections=child_connections,
            verbs=parent.verbs if verbs is None else check_verbs(verbs),
            actions=parent.actions if actions is None else check_patterns("actions", actions),
            destructive=parent.destructive
            if destructive is None
            else check_patterns("destructive", destructive, globs=False),
            constraints={**parent.constraints, **narrowed},
            budget=child_budget,
            # A child never runs more writes without a person than its parent.
            write_rate=parent.write_rate,
            issued_at=now,
            expires_at=parent.expires_at if ttl is None else now + ttl,
        )
        if child_budget is not None and child_budget < 1 and budget is not UNSET:
            raise ValidationError("budget must be a positive number of calls")
        self._check_names(child, parent)
        problem = attenuation_problem(parent, child, remaining)
        if problem is not None:
            raise denied(
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
        return decode(self._key, token)

    def check(self, claims: GrantClaims) -> None:
        """Server-side checks of decoded claims: known, unexpired, unrevoked, budget left (chain too)."""
        now = self._clock()
        chain = self._chain(claims.id)
        rows = self._rows(chain)
        own = rows.get(claims.id)
        if own is None:
            raise _unknown(claims.id)
        if not self._matches(own.claims, claims):
            raise denied("forged", f"grant {claims.id} does not match its record; ask for a new grant.")
        if claims.expires_at <= now:
            raise denied(
                "expired",
                f"grant {claims.id} expired at {claims.expires_at.isoformat()}; "
                "ask the person for a new grant.",
                grant_id=claims.id,
            )
        for gid in reversed(chain):
            row = rows.get(gid)
            whose = "" if gid == claims.id else f" (its ancestor grant {gid})"
            if row is None or row.revoked_at is not None:
                raise denied(
                    "revoked",
                    f"grant {claims.id} was revoked{whose}; ask the person for a new grant.",
                    grant_id=claims.id,
                )
            if row.remaining == 0:
                raise _exhausted(claims.id, row, whose)

    def _matches(self, recorded: GrantClaims, claims: GrantClaims) -> bool:
        pair = self._matched.get(id(claims))
        if pair is not None and pair[0] is claims and pair[1] is recorded:
            return True
        if recorded.model_dump() != claims.model_dump():
            return False
        if len(self._matched) > 1024:
            self._matched.clear()
        self._matched[id(claims)] = (claims, recorded)
        return True

    def verify(self, token: str) -> GrantClaims:
        """The claims of a valid, live token, or `GrantDenied` saying exactly why not."""
        claims = self.decode(token)
        self.check(claims)
        return claims

    def consume(self, grant_id: str) -> None:
        """Count one call against the grant and every ancestor, atomically; refuse when any is spent."""
        chain = self._chain(grant_id)
        try:
            with self._engine.begin() as conn:
                # Root first on every path, so concurrent consumers lock rows in the same order.
                for gid in chain:
                    done = conn.execute(_CONSUME, {"gid": gid})
                    if done.rowcount != 1:
                        raise _Spent(gid)
        except _Spent as spent:
            row = self.get(spent.grant_id)
            whose = "" if spent.grant_id == grant_id else f" (its ancestor grant {spent.grant_id})"
            if row.revoked_at is not None:
                raise denied(
                    "revoked",
                    f"grant {grant_id} was revoked{whose}; ask the person for a new grant.",
                    grant_id=grant_id,
                ) from None
            raise _exhausted(grant_id, row, whose) from None

    # -- managing ------------------------------------------------------------------------------

    def revoke(self, grant_id: str) -> list[str]:
        """Revoke a grant and all its descendants; returns the ids newly revoked.

        The person names the grant, so an unknown id is `not_found` (not a denial aimed at an agent).
        """
        record = self._rows((grant_id,)).get(grant_id)
        if record is None:
            raise NotFound(f"there is no grant {grant_id!r} in this Charter home; see `charter grant list`")
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

    def _check_names(self, claims: GrantClaims, base: GrantClaims) -> None:
        """Refuse actions, destructive names and constraint keys the grant's connectors do not know.

        For a child, only what it names anew is checked: what it inherits was checked at issue.
        """
        fresh = claims is base
        self.vocabulary.check(
            claims.connections,
            actions=claims.actions if fresh or claims.actions != base.actions else None,
            destructive=[d for d in claims.destructive if fresh or d not in base.destructive],
            constraints=[k for k in claims.constraints if fresh or k not in base.constraints],
        )

    def _claims(self, **fields: object) -> GrantClaims:
        return GrantClaims.model_validate({"id": "grt_" + secrets.token_urlsafe(12), **fields})

    def _store(self, claims: GrantClaims, lineage: tuple[str, ...]) -> IssuedGrant:
        with self._engine.begin() as conn:
            conn.execute(
                grants_table.insert().values(
                    id=claims.id,
                    parent_id=claims.parent_id,
                    lineage=" ".join(lineage),
                    subject=claims.subject,
                    agent=claims.agent,
                    claims=canonical(claims),
                    budget=claims.budget,
                    used=0,
                    issued_at=claims.issued_at,
                    expires_at=claims.expires_at,
                )
            )
        self._lineage[claims.id] = lineage
        return IssuedGrant(token=encode(self._key, claims), claims=claims)

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
        with self._engine.connect() as conn:
            records = [_record_from(row) for row in conn.execute(_ROWS, {"ids": list(ids)})]
        return {r.id: r for r in records}

    def _remaining(self, grant_id: str) -> int | None:
        left = [r.remaining for r in self._rows(self._chain(grant_id)).values() if r.remaining is not None]
        return min(left) if left else None

    def _record(
        self, actor: Literal["agent", "person"], claims: GrantClaims, action: str, reasons: Sequence[str] = ()
    ) -> None:
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
    return GrantRecord(_claims_of(claims_json), int(used), revoked_at)


@lru_cache(maxsize=1024)
def _claims_of(claims_json: str) -> GrantClaims:
    # Claims are frozen and their record never changes: parsing the same text once is enough.
    return GrantClaims.model_validate_json(claims_json)


def _unknown(grant_id: str) -> GrantDenied:
    return denied(
        "unknown",
        f"grant {grant_id} is not known to this Charter home (removed, or issued elsewhere); "
        "ask the person for a new grant.",
        grant_id=grant_id,
    )


def _exhausted(grant_id: str, row: GrantRecord, whose: str) -> GrantDenied:
    return denied(
        "budget_exhausted",
        f"grant {grant_id} has used its budget of {row.claims.budget} calls{whose}; "
        "ask the person for a new grant or a larger budget.",
        grant_id=grant_id,
    )


__all__ = [
    "UNSET",
    "GrantAuthority",
    "GrantRecord",
    "GrantStatus",
    "IssuedGrant",
]
