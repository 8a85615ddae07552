"""Where Charter keeps its state: `$CHARTER_HOME` (default `~/.charter`), one database inside."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from charter.auth.storage import shared_engine, sqlite_engine
from charter.schemas import ConfigurationError


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
    def identity(self) -> str:
        """This home's stable id, made once with it: a copy or a restore of the home keeps it."""
        file = self.path / "home.id"
        try:
            return file.read_text().strip()
        except FileNotFoundError:
            pass
        # Written aside and linked into place, so racing processes never read a half-written id.
        draft = self.path / f".home.id.{secrets.token_hex(4)}"
        draft.write_text(f"home_{secrets.token_hex(16)}\n")
        draft.chmod(0o600)
        try:
            os.link(draft, file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        return file.read_text().strip()

    @cached_property
    def engine(self) -> Engine:
        if self.database_url:
            return shared_engine(self.database_url)
        return sqlite_engine(self.database_file)


def existing_home(path: Path | None = None) -> CharterHome:
    """The Charter home at `path` (default $CHARTER_HOME or ~/.charter), never creating one.

    For whatever reads state (an agent, a server, a listing): a new, empty home there would only
    fail later and misleadingly, e.g. as a grant whose signature does not match.
    """
    where = Path(path) if path is not None else default_home()
    shared = os.environ.get("CHARTER_DATABASE_URL")
    if not shared and not where.is_dir():
        raise ConfigurationError(
            f"there is no Charter home at {where} (no such folder): point --home or CHARTER_HOME "
            "at the home you use (for an agent, the one that issued its grant), or start one by "
            "connecting an account (`charter connect github`)"
        )
    return CharterHome(where)
