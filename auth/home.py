"""Where Charter keeps its state: `$CHARTER_HOME` (default `~/.charter`), one database inside."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from charter.auth.storage import shared_engine, sqlite_engine


def default_home() -> Path:
    return Path(os.environ.get("CHARTER_HOME") or Path.home() / ".charter")


@dataclass
class CharterHome:
    """A Charter home: the database (SQLite file by default, any SQLAlchemy URL), key and audit files.

    Set CHARTER_DATABASE_URL to share a Postgres database between workers.
    """

    path: Path = field(default_factory=default_home)
    database_url: str | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.database_url = self.database_url or os.environ.get("CHARTER_DATABASE_URL")

    @property
    def database_file(self) -> Path:
        return self.path / "charter.db"

    @property
    def key_file(self) -> Path:
        return self.path / "vault.key"

    @property
    def audit_file(self) -> Path:
        return self.path / "audit.jsonl"

    @cached_property
    def engine(self) -> Engine:
        if self.database_url:
            return shared_engine(self.database_url)
        return sqlite_engine(self.database_file)
