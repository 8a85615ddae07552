"""Helpers for the tables Charter keeps in its home database (grants, approvals, drafts, audit head)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator
from sqlalchemy.exc import DBAPIError


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps naive text)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Charter stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create missing tables; safe when several workers start at once."""
    try:
        metadata.create_all(engine)
    except DBAPIError:
        # Two workers creating a table at once: the loser finds it there on a second look.
        metadata.create_all(engine)


__all__ = ["UTCDateTime", "create_tables"]
