"""Bulk: how many writes of one action a grant runs without a person, counted across workers.

Each grant may run a few writes of one action (its tool name: `gmail_modify_labels`) per window
(by default 5 per 10 minutes, `bulk:` in policy.yaml, `write_rate` on a grant). The next one pauses
with a summary of what the run did so far, and approving it approves a batch: the paused call
and the next `batch - 1` writes of that action under that grant run without asking again.

Counts live in the Charter database and are taken with one conditional UPDATE each, as grant
budgets are, so callers in several threads or processes sharing SQLite or Postgres never run more
than the rate allows between them. Windows are fixed (aligned on multiples of their length).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from charter.auth.audit import redact
from charter.auth.home import CharterHome
from charter.auth.policy import BulkRules
from charter.auth.storage import create_tables
from charter.schemas import GrantClaims

_metadata = MetaData()
counts_table = Table(
    "charter_write_rates",
    _metadata,
    Column("grant_id", String(64), primary_key=True),
    Column("action", String(128), primary_key=True),
    Column("window", BigInteger, primary_key=True),
    Column("used", Integer, nullable=False),
)
# What each counted write was, so a pause can tell the person what the run did so far.
calls_table = Table(
    "charter_write_rate_calls",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("grant_id", String(64), nullable=False, index=True),
    Column("action", String(128), nullable=False),
    Column("at", Float, nullable=False),
    Column("what", Text, nullable=False),
)
batches_table = Table(
    "charter_write_batches",
    _metadata,
    Column("approval_id", String(64), primary_key=True),
    Column("grant_id", String(64), nullable=False, index=True),
    Column("action", String(128), nullable=False),
    Column("size", Integer, nullable=False),
    Column("used", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("expires_at", Float, nullable=False),
)
_SHOWN = 20
_SO_FAR = "; so far: "


@dataclass(frozen=True)
class Batch:
    """The writes one bulk pause stands for: approving it runs the paused call and `size - 1` more."""

    approval_id: str
    action: str
    size: int
    used: int
    active: bool

    @property
    def further(self) -> int:
        """How many writes after the paused call the one decision covers."""
        return self.size - 1


@dataclass(frozen=True)
class Limit:
    """The rate one grant has for one action: `writes` per `minutes`, approved `batch` at a time."""

    writes: int
    minutes: int
    batch: int


def limit_for(rules: BulkRules, claims: GrantClaims, tool: str) -> Limit:
    """The grant's own rate if it names one, else the policy's for `tool`, else the policy default."""
    writes = claims.write_rate if claims.write_rate is not None else rules.writes_for(tool)
    return Limit(writes, rules.minutes, max(rules.batch, 1))


class WriteRates:
    """Per-grant, per-action write counts and approved batches in the Charter database."""

    def __init__(self, home: CharterHome, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = home.engine
        self._clock = clock
        create_tables(_metadata, self._engine)

    def admit(self, grant_id: str, action: str, limit: Limit, what: str) -> bool:
        """Count one write if the window or an approved batch has room; False when it must pause."""
        now = self._clock()
        window = int(now // (limit.minutes * 60))
        t = counts_table
        try:
            with self._engine.begin() as conn:
                conn.execute(t.insert().values(grant_id=grant_id, action=action, window=window, used=0))
        except IntegrityError:
            pass  # another caller opened this window first
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(t)
                .where(t.c.grant_id == grant_id, t.c.action == action, t.c.window == window)
                .where(t.c.used < limit.writes)
                .values(used=t.c.used + 1)
            )
            admitted = taken.rowcount == 1 or self._from_batch(conn, grant_id, action, now)
            if admitted:
                conn.execute(
                    calls_table.insert().values(grant_id=grant_id, action=action, at=now, what=what[:300])
                )
        return admitted

    def _from_batch(self, conn: Connection, grant_id: str, action: str, now: float) -> bool:
        b = batches_table
        open_ids = conn.execute(
            select(b.c.approval_id).where(
                b.c.grant_id == grant_id, b.c.action == action, b.c.active, b.c.used < b.c.size
            )
        ).scalars()
        for approval_id in list(open_ids):
            taken = conn.execute(
                update(b)
                .where(b.c.approval_id == approval_id, b.c.used < b.c.size, b.c.expires_at > now)
                .values(used=b.c.used + 1)
            )
            if taken.rowcount == 1:
                return True
        return False

    def so_far(self, grant_id: str, action: str, minutes: int) -> list[str]:
        """What the grant's writes of `action` did in the last `minutes`, oldest first."""
        since = self._clock() - minutes * 60
        c = calls_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.c.what)
                .where(c.c.grant_id == grant_id, c.c.action == action, c.c.at >= since)
                .order_by(c.c.id)
            ).scalars()
            return list(rows)

    def batch(self, approval_id: str) -> Batch | None:
        """The batch a pause stands for, or None when the pause was not a bulk one."""
        b = batches_table
        with self._engine.connect() as conn:
            row = conn.execute(select(b).where(b.c.approval_id == approval_id)).first()
        if row is None:
            return None
        return Batch(row.approval_id, row.action, row.size, row.used, bool(row.active))

    def hold(self, approval_id: str, grant_id: str, action: str, size: int, ttl_seconds: float) -> None:
        """Tie a batch of `size` writes to a pending approval; it opens when that approval is used."""
        values = {
            "approval_id": approval_id,
            "grant_id": grant_id,
            "action": action,
            "size": size,
            "used": 0,
            "active": False,
            "expires_at": self._clock() + ttl_seconds,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(batches_table.insert().values(**values))
        except IntegrityError:
            pass  # the same pause asked again: one batch per approval

    def open_batch(self, approval_id: str) -> bool:
        """The person approved the paused call and it runs now: it is the batch's first write."""
        b = batches_table
        with self._engine.begin() as conn:
            done = conn.execute(
                update(b)
                .where(b.c.approval_id == approval_id, b.c.active.is_(False))
                .values(active=True, used=1)
            )
        return done.rowcount == 1


class BulkGate:
    """The call pipeline's view of write rates: admit a write, or say why it pauses; open batches."""

    def __init__(
        self, home: CharterHome, rules: BulkRules, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.rules = rules
        self.rates = WriteRates(home, clock=clock)

    def check(self, claims: GrantClaims, tool: str, verb: str, what: str) -> tuple[str, ...] | None:
        """None when the write may run without a person; else the reasons it pauses."""
        if verb != "write":
            return None
        limit = limit_for(self.rules, claims, tool)
        if self.rates.admit(claims.id, tool, limit, redact(what)):
            return None
        return pause_reasons(tool, limit, self.rates.so_far(claims.id, tool, limit.minutes))

    def held(self, approval_id: str, claims: GrantClaims, tool: str, ttl_seconds: float) -> None:
        """The pause `approval_id` stands for a batch of `tool` writes."""
        limit = limit_for(self.rules, claims, tool)
        self.rates.hold(approval_id, claims.id, tool, limit.batch, ttl_seconds)

    def approved(self, approval_id: str) -> None:
        """An approved call runs now: if it paused a batch, the batch opens."""
        self.rates.open_batch(approval_id)


def pause_reasons(tool: str, limit: Limit, done: list[str]) -> tuple[str, ...]:
    """Why a write waits for the person, with what the run did so far."""
    shown = done[-_SHOWN:]
    more = len(done) - len(shown)
    listing = "; ".join(shown) + (f"; and {more} earlier" if more else "")
    return (
        f"approval required because {tool} already ran {len(done)} time(s) in the last "
        f"{limit.minutes} minutes under this grant, its rate without a person is {limit.writes}"
        f"{_SO_FAR}{listing or 'nothing recorded'}",
        f"approving this call approves a batch: it and the next {limit.batch - 1} {tool} call(s) "
        "of this grant run without asking again",
    )


def so_far_of(reasons: list[str]) -> str:
    """What the run did before it paused, as its pause's reasons tell it ("" if they do not)."""
    for reason in reasons:
        _, found, listing = reason.partition(_SO_FAR)
        if found:
            return listing
    return ""


__all__ = ["Batch", "BulkGate", "Limit", "WriteRates", "limit_for", "pause_reasons", "so_far_of"]
